"""The Python interface: load a trained run, train one, and fit models in memory.

``load(run_dir)`` and ``train(data=..., model=..., **settings)`` return a ``TrainedRun``
(``predict_proba``, ``predict``, ``evaluate``, ``explain``, ``embed``, ``classes``,
``card``); ``embed(run_dir, data)`` gives a saved run's trunk features of the data.
``fit_in_memory`` trains on labelled samples held in Python (the scikit-learn estimators
in ``genoclass.estimators`` are built on it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoclass.config import TrainConfig, check_settings, default_of, quiet_unless_main
from genoclass.data.splits import holdout
from genoclass.workflows.apply import TrainedRun
from genoclass.workflows.fitting import fit_one, prepare
from genoclass.workflows.inputs import LabelledData, check_named, check_run
from genoclass.workflows.kinds import input_kind
from genoclass.workflows.train import run_metrics
from genoclass.workflows.train import train as train_job


def load(run_dir: str | Path) -> TrainedRun:
    """The trained run saved in ``run_dir`` by ``genoclass train`` (or ``train(out=...)``)."""
    return TrainedRun.load(run_dir)


def embed(run_dir: str | Path, data: Any, **options: Any) -> np.ndarray:
    """(n, dim) float32 trunk features of every sample of ``data`` computed by the neural
    sequence run saved in ``run_dir`` (``TrainedRun.embed``; options: batch_size, split,
    file reading options)."""
    return TrainedRun.load(run_dir).embed(data, **options)


def train(
    data: str | Path,
    model: str = default_of("model"),
    *,
    out: str | Path | None = None,
    progress: bool = False,
    **settings: Any,
) -> TrainedRun:
    """Train ``model`` on the file or folder ``data`` with ``settings`` (any ``TrainConfig``
    setting, as in a YAML config: ``epochs=5``, ``model_params={"k": 5}``, ``test=...``)
    and return the trained run; with ``out`` the run directory is written as by ``genoclass
    train``, else nothing is written and the run holds its metrics in memory."""
    check_settings(settings, None)
    config = TrainConfig(data=str(data), model=model, out=str(out or ""), **settings)
    with quiet_unless_main():  # several processes (docs/scaling.md): rank 0 prints
        return _train(config, out, progress)


def _train(config: TrainConfig, out: str | Path | None, progress: bool) -> TrainedRun:
    """``train`` of a checked config: the run directory ``out`` written, or the run kept in
    memory."""
    if out:
        result = train_job(config, progress=progress)
        return TrainedRun(result.classifier, config, result.directory, result.metrics)
    spec, _ = check_run(config)
    prep = prepare(config, spec, input_kind(spec.input_kind).reader(config))
    fitted = fit_one(config, prep, progress=progress)
    metrics = run_metrics(config, prep, fitted) if "test" in fitted.proba else None
    return TrainedRun(fitted.classifier, config, None, metrics, prep.featurizer)


def fit_in_memory(table: pd.DataFrame, config: TrainConfig) -> TrainedRun:
    """Train ``config.model`` on every row of the labelled sample ``table`` (a sequence
    table or an expression sample table) but a stratified validation hold-out of
    ``config.val_size`` (none when 0), without reading or writing files."""
    spec, _ = check_named(config)
    table = table.assign(split="train")
    if config.val_size > 0:
        labels = table["label"].to_numpy()
        _, held = holdout(labels, config.val_size, config.seed, None)
        table.iloc[held, table.columns.get_loc("split")] = "val"
    prep = prepare(config, spec, LabelledData(table))
    fitted = fit_one(config, prep, splits=())
    return TrainedRun(fitted.classifier, config, None, None, prep.featurizer)
