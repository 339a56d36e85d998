"""The ``tune`` job: search hyperparameters on the validation split, then retrain the best
configuration once and test it once.

The data are read, split and preprocessed once (preprocessing fitted on the training split);
every trial trains on the training split and is judged on the validation split only. The
tune directory holds ``trials.csv``, ``best.json``, ``tune_report.html`` (criteria against
every hyperparameter's values) and ``best_run/`` (an ordinary run directory: the best
configuration trained and scored on the test split). The Optuna study lives in
``study.db`` unless ``--storage`` names another SQL database.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import log_loss

from genoclass.atomic import write_table_atomic
from genoclass.config import TrainConfig
from genoclass.errors import InputError
from genoclass.models import ModelSpec
from genoclass.reporting.tune_report import write_tune_report
from genoclass.tuning.search import check_search, run_search
from genoclass.tuning.space import TRAINING_KEYS, SearchSpace, check_space_values, load_space
from genoclass.workflows.fitting import PreparedData, fit_one, prepare
from genoclass.workflows.inputs import LabelledData, check_run
from genoclass.workflows.kinds import input_kind
from genoclass.workflows.rundir import write_json
from genoclass.workflows.train import run_training


@dataclasses.dataclass
class TrialEvaluator:
    """Trains one configuration on the prepared training split; scores it on validation."""

    config: TrainConfig
    spec: ModelSpec
    prep: PreparedData

    def settings(self, params: dict[str, Any]) -> TrainConfig:
        """The run config of ``params`` (training keys to the loop, the rest to the model)."""
        training = {k: v for k, v in params.items() if k in TRAINING_KEYS}
        model = {k: v for k, v in params.items() if k not in TRAINING_KEYS}
        return dataclasses.replace(
            self.config, **training, model_params={**self.config.model_params, **model}
        )

    def __call__(self, params: dict[str, Any]) -> dict[str, Any]:
        """Validation criteria of ``params``: accuracy, val_loss, f1_macro, mcc,
        integrated_f1 (fixed scale), per-class F1, epochs and seconds."""
        start = time.perf_counter()
        fitted = fit_one(self.settings(params), self.prep, splits=("val",))
        classes, y, proba = self.prep.classes, self.prep.features["val"].y, fitted.proba["val"]
        metrics = fitted.metrics("val")
        return {
            **{k: metrics[k] for k in ("accuracy", "f1_macro", "mcc", "integrated_f1")},
            "val_loss": float(log_loss(y, np.clip(proba, 1e-7, 1), labels=range(len(classes)))),
            "per_class_f1": [metrics["per_class"][c]["f1"] for c in classes],
            "best_epoch": fitted.report.best_epoch,
            "seconds": round(time.perf_counter() - start, 3),
        }


def run_tune(
    config: TrainConfig,
    space_path: str | Path,
    *,
    strategy: str = "ordered-grid",
    objective: str = "integrated_f1",
    storage: str | None = None,
    study_name: str | None = None,
    n_trials: int | None = None,
    retrain: bool = True,
) -> Path:
    """Tune ``config.model`` over the search space in ``space_path`` and write the tune
    directory ``config.out`` (re-running the same command resumes the study)."""
    if not config.out:
        raise InputError("--out is required")
    check_search(strategy, objective, n_trials)
    if config.init:  # its trials would train from scratch while the retrain would not
        raise InputError("init (a run to start from) is not supported by tune")
    if config.world_size > 1:  # trials run in parallel through a shared study instead
        raise InputError(
            "tune trains each trial in one process: leave out devices/num_nodes and run trials "
            "in parallel as several tune commands sharing --storage and --study (README)"
        )
    space = load_space(space_path)
    if space.model:
        config = dataclasses.replace(config, model=space.model)
    config = dataclasses.replace(config, model_params={**config.model_params, **space.fixed})
    spec, _ = check_run(config)
    check_space_values(space, spec, space_path)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    prep = prepare(config, spec, input_kind(spec.input_kind).reader(config))
    if "val" not in prep.features:
        raise InputError("tuning needs a validation split: give --val-size > 0 or --val")
    start = {**spec.hparams(config.model_params), **dataclasses.asdict(config)}
    result = run_search(
        space,
        TrialEvaluator(config, spec, prep),
        start=start,
        strategy=strategy,
        objective=objective,
        storage=storage or f"sqlite:///{(out / 'study.db').resolve()}",
        study_name=study_name or f"{spec.name}-{strategy}-{objective}",
        n_trials=n_trials,
        seed=config.seed,
    )
    write_table_atomic(result.trials, out / "trials.csv")
    summary: dict[str, Any] = {
        "model": spec.name,
        "strategy": strategy,
        "objective": objective,
        "objective_split": "val",
        "order": list(space.params),
        "best": result.best,
        "steps": [{k: v for k, v in s.items() if k != "criteria"} for s in result.steps],
        "n_trials": int(len(result.trials)),
    }
    if retrain:
        best_config = TrialEvaluator(config, spec, prep).settings(result.best)
        best_run = run_training(
            dataclasses.replace(best_config, out=str(out / "best_run")),
            overwrite=True,
            progress=False,
            data=LabelledData(prep.table, prep.info),  # the same splits as the search
        )
        summary["best_run"] = str(best_run)
    write_json(out / "best.json", summary)
    write_tune_report(out, _space_values(space))
    return out


def _space_values(space: SearchSpace) -> dict[str, list[Any] | None]:
    return {k: v if isinstance(v, list) else None for k, v in space.params.items()}
