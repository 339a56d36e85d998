"""Search strategies over a ``SearchSpace``, every trial persisted in an Optuna storage.

* ``ordered-grid`` (S4): vary one hyperparameter at a time in the space's order, the others
  held at their current values, keep the best value and move on. Trials already completed
  in the study with the same values are reused, so an interrupted search resumes.
* ``grid``: every combination (Optuna's GridSampler; workers sharing a study split the grid).
* ``tpe``: Optuna's TPE sampler for ``n_trials`` trials in total over all workers.

``evaluate(params) -> criteria`` trains one configuration and returns validation criteria
(``CRITERIA`` plus ``per_class_f1``); it never sees the test split.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
import pandas as pd
import sqlalchemy

from genoclass.errors import InputError
from genoclass.evaluation.desirability import integrated_f1_relative
from genoclass.tuning.space import SearchSpace, decode, encode

#: criterion -> optimisation direction (validation split)
CRITERIA = {
    "accuracy": "maximize",
    "val_loss": "minimize",
    "f1_macro": "maximize",
    "mcc": "maximize",
    "integrated_f1": "maximize",
}
STRATEGIES = ("ordered-grid", "grid", "tpe")
Evaluate = Callable[[dict[str, Any]], dict[str, Any]]

optuna.logging.set_verbosity(optuna.logging.WARNING)


@dataclass
class SearchResult:
    """Best parameters, every trial of the study, and (ordered grid) the choice per step."""

    best: dict[str, Any]
    trials: pd.DataFrame
    steps: list[dict[str, Any]] = field(default_factory=list)


def run_search(
    space: SearchSpace,
    evaluate: Evaluate,
    *,
    start: dict[str, Any],
    strategy: str,
    objective: str,
    storage: str,
    study_name: str,
    n_trials: int | None = None,
    seed: int = 42,
) -> SearchResult:
    """Run ``strategy`` over ``space`` from the starting values ``start`` (used by the ordered
    grid for the hyperparameters not yet tuned) and return the best parameters found."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; use one of {STRATEGIES}")
    if objective not in CRITERIA:
        raise InputError(f"unknown objective {objective!r}; use one of {sorted(CRITERIA)}")
    sampler = {
        "grid": lambda: optuna.samplers.GridSampler(_grid(space), seed=seed),
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "ordered-grid": lambda: optuna.samplers.RandomSampler(seed=seed),
    }[strategy]()
    study = open_study(study_name, storage, CRITERIA[objective], sampler)
    if strategy == "ordered-grid":
        best, steps = _ordered_grid(study, space, evaluate, start, objective)
        return SearchResult(best, trials_frame(study), steps)
    total = space.grid_size() if strategy == "grid" else (n_trials or 20)
    done = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    if total > done:
        study.optimize(
            lambda trial: _run_sampled(trial, space, evaluate, objective, strategy == "grid"),
            n_trials=total - done,
            callbacks=[
                optuna.study.MaxTrialsCallback(total, states=(optuna.trial.TrialState.COMPLETE,))
            ],
        )
    best = {k: decode(v) for k, v in study.best_trial.params.items()}
    return SearchResult(best, trials_frame(study))


def open_study(
    name: str, storage: str, direction: str, sampler: optuna.samplers.BaseSampler
) -> optuna.Study:
    """Create or load the study; workers starting together may race to create the database
    tables, so a failed attempt is retried after a short pause."""
    create = functools.partial(
        optuna.create_study,
        study_name=name,
        storage=storage,
        direction=direction,
        sampler=sampler,
        load_if_exists=True,
    )
    for pause in (0.5, 1.5, 3.0):
        try:
            return create()
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
            time.sleep(pause)
    return create()


def _grid(space: SearchSpace) -> dict[str, list[Any]]:
    return {name: [encode(v) for v in space.values(name)] for name in space.params}


def _suggest(trial: optuna.Trial, space: SearchSpace) -> dict[str, Any]:
    """Parameters of one trial: categorical over listed values, else a numeric range."""
    params = {}
    for name, values in space.params.items():
        if isinstance(values, list):
            params[name] = decode(trial.suggest_categorical(name, [encode(v) for v in values]))
        elif isinstance(values["low"], int) and isinstance(values["high"], int):
            params[name] = trial.suggest_int(name, values["low"], values["high"])
        else:
            low, high = float(values["low"]), float(values["high"])
            params[name] = trial.suggest_float(name, low, high, log=bool(values.get("log")))
    return params


def _run_sampled(
    trial: optuna.Trial, space: SearchSpace, evaluate: Evaluate, objective: str, grid: bool
) -> float:
    """Evaluate a sampled trial. A grid point another worker already ran (or started first)
    is pruned: when the grid runs out, Optuna's GridSampler hands concurrent workers repeated
    points. A repeated TPE point reuses the finished trial's criteria (training is seeded, so
    retraining would give the same numbers)."""
    params = _suggest(trial, space)
    for other in trial.study.get_trials(deepcopy=False):
        if other.number == trial.number or other.params != trial.params:
            continue
        if other.state == optuna.trial.TrialState.COMPLETE and not grid:
            return _record(trial, dict(other.user_attrs), objective)
        earlier = other.state == optuna.trial.TrialState.RUNNING and other.number < trial.number
        if other.state == optuna.trial.TrialState.COMPLETE or earlier:
            raise optuna.TrialPruned(f"trial {other.number} has the same parameters")
    return _record(trial, evaluate(params), objective)


def _record(trial: optuna.Trial, criteria: dict[str, Any], objective: str) -> float:
    """Store every criterion on the trial and return the objective's value."""
    for key, value in criteria.items():
        trial.set_user_attr(key, value)
    return float(criteria[objective])


def _ordered_grid(
    study: optuna.Study,
    space: SearchSpace,
    evaluate: Evaluate,
    start: dict[str, Any],
    objective: str,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """S4's ordered grid search; returns the final parameters and one record per step."""
    current = {}
    for name in space.params:
        value = start.get(name)
        current[name] = value if value in space.values(name) else space.values(name)[0]
    steps = []
    for step, name in enumerate(space.params):
        results = []
        for value in space.values(name):
            params = {**current, name: value}
            results.append(_cached_or_run(study, space, params, evaluate, objective, name))
        scores = _step_scores(results, objective)
        pick = int(np.argmin(scores) if CRITERIA[objective] == "minimize" else np.argmax(scores))
        current[name] = space.values(name)[pick]
        steps.append(
            {
                "step": step + 1,
                "param": name,
                "values": space.values(name),
                "scores": [float(s) for s in scores],
                "chosen": current[name],
                "criteria": results,
            }
        )
    return current, steps


def _step_scores(results: list[dict[str, Any]], objective: str) -> np.ndarray:
    """Objective per candidate; integrated F1 uses the relative scale of S4 (worst and best
    per-class F1 among this step's candidates map to -2 and 5)."""
    if objective == "integrated_f1":
        return integrated_f1_relative([r["per_class_f1"] for r in results])
    return np.array([r[objective] for r in results], dtype=float)


def _cached_or_run(
    study: optuna.Study,
    space: SearchSpace,
    params: dict[str, Any],
    evaluate: Evaluate,
    objective: str,
    step: str,
) -> dict[str, Any]:
    """Criteria of ``params``: from a completed trial of the study, else a new trial."""
    wanted = {k: encode(v) for k, v in params.items()}
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        if trial.params == wanted:
            return dict(trial.user_attrs)
    study.enqueue_trial(wanted)
    trial = study.ask()
    for name in space.params:
        trial.suggest_categorical(name, [encode(v) for v in space.values(name)])
    trial.set_user_attr("step", step)
    criteria = evaluate(params)
    study.tell(trial, _record(trial, criteria, objective))
    return {**criteria, "step": step}


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, state, parameters (decoded), objective value, criteria."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {"trial": trial.number, "state": trial.state.name}
        row.update({k: encode(decode(v)) for k, v in trial.params.items()})
        row["value"] = trial.value
        row.update({k: v for k, v in trial.user_attrs.items() if k != "per_class_f1"})
        if "per_class_f1" in trial.user_attrs:
            row["per_class_f1"] = encode(trial.user_attrs["per_class_f1"])
        rows.append(row)
    return pd.DataFrame(rows)
