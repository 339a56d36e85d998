"""Search strategies over a ``SearchSpace``, every trial persisted in an Optuna storage.

* ``ordered-grid`` (S4): vary one hyperparameter at a time in the space's order, the others
  held at their current values, keep the best value and move on. Trials already completed
  in the study with the same values are reused, so an interrupted search resumes.
* ``grid``: every combination (Optuna's GridSampler; workers sharing a study split the grid).
* ``tpe``: Optuna's TPE sampler for ``n_trials`` trials in total over all workers.

``evaluate(params) -> criteria`` trains one configuration and returns validation criteria
(``CRITERIA`` plus ``per_class_f1``); it never sees the test split.

A trial left RUNNING by a worker that died (kill -9, power loss) is found when a search
starts: its worker (host and process id, recorded on the trial) no longer runs, or, for a
worker elsewhere, its Optuna heartbeat stopped more than ``GRACE_S`` ago. Such a trial is
marked FAILED and, for grid and TPE, its parameters are queued again (Optuna's retry
callback), so a restarted search runs every grid point exactly once to completion.
"""

from __future__ import annotations

import math
import os
import socket
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import sqlalchemy

from genoclass.errors import InputError
from genoclass.evaluation.desirability import integrated_f1_relative
from genoclass.training.progress import Steps
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
#: seconds between heartbeats of a running trial, and silence after which it is stale
HEARTBEAT_S, GRACE_S = 30, 120
RUNNING = optuna.trial.TrialState.RUNNING

optuna.logging.set_verbosity(optuna.logging.WARNING)
# the ordered grid asks and tells trials itself (heartbeats serve Study.optimize's trials)
warnings.filterwarnings("ignore", "Heartbeat of storage is supposed to be used", UserWarning)


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
    check_search(strategy, objective, n_trials)
    sampler = {
        "grid": lambda: optuna.samplers.GridSampler(_grid(space), seed=seed),
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "ordered-grid": lambda: optuna.samplers.RandomSampler(seed=seed),
    }[strategy]()
    study = open_study(study_name, storage, CRITERIA[objective], sampler)
    recover_stale_trials(study, requeue=strategy != "ordered-grid")
    if strategy == "ordered-grid":
        with TrialLines(sum(len(space.values(n)) for n in space.params), objective) as lines:
            best, steps = _ordered_grid(study, space, evaluate, start, objective, lines)
        return SearchResult(best, trials_frame(study), steps)
    total = space.grid_size() if strategy == "grid" else (n_trials or 20)
    done = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    if total > done:
        with TrialLines(total - done, objective) as lines:
            study.optimize(
                lambda trial: _run_sampled(
                    trial, space, lines.counted(evaluate), objective, strategy == "grid"
                ),
                n_trials=total - done,
                callbacks=[
                    optuna.study.MaxTrialsCallback(
                        total, states=(optuna.trial.TrialState.COMPLETE,)
                    )
                ],
            )
    best = {k: decode(v) for k, v in study.best_trial.params.items()}
    return SearchResult(best, trials_frame(study))


class TrialLines(Steps):
    """Progress of a search, one step per trial: ``trial i/N  a=1, b=0.01  mcc 0.712
    (best 0.744)  elapsed  ETA`` (the objective on the validation split)."""

    def __init__(self, total: int, objective: str) -> None:
        super().__init__(total, "trial")
        self.objective, self.best = objective, math.nan

    def record(self, params: dict[str, Any], criteria: dict[str, Any], note: str = "") -> None:
        """Count one trial of ``params`` that gave ``criteria``."""
        value = float(criteria[self.objective])
        better = max if CRITERIA[self.objective] == "maximize" else min
        self.best = value if math.isnan(self.best) else better(self.best, value)
        shown = ", ".join(f"{k}={encode(v)}" for k, v in params.items())
        self.step(f"{shown}  {self.objective} {value:.4f} (best {self.best:.4f}){note}")

    def counted(self, evaluate: Evaluate) -> Evaluate:
        """``evaluate``, recording each trial it runs."""

        def run(params: dict[str, Any]) -> dict[str, Any]:
            criteria = evaluate(params)
            self.record(params, criteria)
            return criteria

        return run


def check_search(strategy: str, objective: str, n_trials: int | None) -> None:
    """InputError for an unknown strategy or objective or a trial count out of range."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; use one of {STRATEGIES}")
    if objective not in CRITERIA:
        raise InputError(f"unknown objective {objective!r}; use one of {sorted(CRITERIA)}")
    if n_trials is not None and not 1 <= n_trials <= 10**6:
        raise InputError(f"--n-trials must be an integer in [1, 1000000], got {n_trials}")


def open_study(
    name: str, storage: str, direction: str, sampler: optuna.samplers.BaseSampler
) -> optuna.Study:
    """Create or load the study (its running trials send heartbeats); workers starting
    together may race to create the database tables, so a failed attempt is retried after a
    short pause."""
    for pause in (0.5, 1.5, 3.0):
        try:
            return _create_study(name, storage, direction, sampler)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
            time.sleep(pause)
    return _create_study(name, storage, direction, sampler)


def _create_study(
    name: str, storage: str, direction: str, sampler: optuna.samplers.BaseSampler
) -> optuna.Study:
    return optuna.create_study(
        study_name=name,
        storage=_heartbeat_storage(storage),
        direction=direction,
        sampler=sampler,
        load_if_exists=True,
    )


def _heartbeat_storage(url: str) -> optuna.storages.RDBStorage:
    """An SQL storage whose running trials record heartbeats; a trial silent for
    ``GRACE_S`` is failed and queued again when the next trial starts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # heartbeats are marked experimental
        return optuna.storages.RDBStorage(
            url,
            heartbeat_interval=HEARTBEAT_S,
            grace_period=GRACE_S,
            **{_RETRY_ARGUMENT: _retry_callback()},
        )


#: Optuna >= 5 renamed the stale-trial callback and its RDBStorage argument
_RETRY_ARGUMENT = (
    "heartbeat_stale_trial_callback"
    if hasattr(optuna.storages, "RetryHeartbeatStaleTrialCallback")
    else "failed_trial_callback"
)


def _retry_callback() -> Callable[[optuna.Study, optuna.trial.FrozenTrial], None]:
    """Optuna's callback that queues a failed trial's parameters again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        retry = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
        return (retry or optuna.storages.RetryFailedTrialCallback)()


def worker_identity() -> dict[str, Any]:
    """This process as recorded on the trials it runs: host, process id and start time."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "started": _process_start(pid)}


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (None where unknown), so
    a recycled process id is not taken for the worker that died."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _worker_gone(worker: Any) -> bool:
    """Whether the worker that started a RUNNING trial no longer runs (this process counts:
    when a search starts it runs no trial). Workers on other hosts are left to heartbeats."""
    if not isinstance(worker, dict) or worker.get("host") != socket.gethostname():
        return False
    pid = worker.get("pid")
    if not isinstance(pid, int) or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return worker.get("started") != _process_start(pid)


def recover_stale_trials(study: optuna.Study, *, requeue: bool) -> list[int]:
    """Mark FAILED the RUNNING trials of this study whose worker died (see the module
    docstring) and, with ``requeue``, queue their parameters again; returns their numbers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optuna.storages.fail_stale_trials(study)  # heartbeat silence (any host)
    stale = [
        t
        for t in study.get_trials(deepcopy=False, states=(RUNNING,))
        if _worker_gone(t.user_attrs.get("worker"))
    ]
    retry = _retry_callback()
    for trial in stale:
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
        if requeue:
            retry(study, trial)
    return [t.number for t in stale]


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
    params = _suggest(trial, space)  # first: concurrent workers compare parameters
    for other in trial.study.get_trials(deepcopy=False):
        if other.number == trial.number or other.params != trial.params:
            continue
        if other.state == optuna.trial.TrialState.COMPLETE and not grid:
            return _record(trial, dict(other.user_attrs), objective)
        earlier = other.state == optuna.trial.TrialState.RUNNING and other.number < trial.number
        if other.state == optuna.trial.TrialState.COMPLETE or earlier:
            raise optuna.TrialPruned(f"trial {other.number} has the same parameters")
    trial.set_user_attr("worker", worker_identity())
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
    lines: TrialLines,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """S4's ordered grid search; returns the final parameters and one record per step (each
    candidate, run or reused from the study, is a step of ``lines``)."""
    current = {}
    for name in space.params:
        value = start.get(name)
        current[name] = value if value in space.values(name) else space.values(name)[0]
    steps = []
    for step, name in enumerate(space.params):
        results = []
        for value in space.values(name):
            params = {**current, name: value}
            ran = len(study.get_trials(deepcopy=False))
            results.append(_cached_or_run(study, space, params, evaluate, objective, name))
            reused = len(study.get_trials(deepcopy=False)) == ran
            lines.record(params, results[-1], " (reused)" if reused else "")
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
    study.enqueue_trial(wanted, user_attrs={"worker": worker_identity(), "step": step})
    trial = study.ask()
    for name in space.params:
        trial.suggest_categorical(name, [encode(v) for v in space.values(name)])
    try:
        criteria = evaluate(params)
    except BaseException:  # interrupted or failed: the trial must not stay RUNNING
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        raise
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
