"""The ``evaluate`` and ``predict`` jobs: apply a saved run's model to new data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoclass.atomic import check_output_file, write_with
from genoclass.config import TrainConfig, config_from_mapping, read_yaml_mapping
from genoclass.data.featurize import featurizer_from_state
from genoclass.errors import InputError
from genoclass.evaluation.metrics import predictions_frame
from genoclass.models.serialize import ModelCard, load_model
from genoclass.training.fit import predict_any
from genoclass.workflows.inputs import READERS
from genoclass.workflows.train import split_metrics


@dataclass
class LoadedRun:
    """A trained model with its card and the config it was trained with."""

    directory: Path
    model: Any
    card: ModelCard
    config: TrainConfig


def load_run(run_dir: str | Path) -> LoadedRun:
    """Load the model and config of a run directory written by ``train``; everything in it
    is checked (config.yaml's settings, model.json and the weights, the input encoding)."""
    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise InputError("not a genoclass run directory (no config.yaml)", path=run_dir)
    config = config_from_mapping(read_yaml_mapping(config_path, "run config"), config_path)
    model, card = load_model(run_dir / "model")
    _check_input_state(card, run_dir / "model" / "model.json")
    return LoadedRun(run_dir, model, card, config)


def _check_input_state(card: ModelCard, path: Path) -> None:
    """The input encoding saved in model.json rebuilds and matches the model's input length."""
    try:
        featurizer = featurizer_from_state(card.input)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"input encoding cannot be rebuilt ({exc!r})", path=path) from None
    if featurizer.input_length != card.input_length:
        raise InputError(
            f"input encoding length {featurizer.input_length} does not match input_length "
            f"{card.input_length}",
            path=path,
        )


def read_for_run(
    run: LoadedRun, path: str | Path, *, split: str | None, labels_required: bool, **columns: Any
) -> pd.DataFrame:
    """Read ``path`` the way the run's training data was read; ``split`` keeps only the rows
    the run recorded in that split (matched by id)."""
    overrides = {k: v for k, v in columns.items() if v is not None}
    config = TrainConfig(
        **{
            **run.config.to_dict(),
            "data": str(path),
            "test": None,
            "val": None,
            "labels": None,  # the training labels table does not label new data
            **overrides,
        }
    )
    table = READERS[run.card.input["input_kind"]](config, labels_required=labels_required).table
    if split is not None:
        recorded = pd.read_parquet(run.directory / "splits.parquet")
        keep = set(recorded.loc[recorded["split"] == split, "id"])
        table = table[table["id"].isin(keep)].reset_index(drop=True)
        if table.empty:
            raise InputError(f"no rows of split {split!r} of this run found", path=path)
    return table


def score(run: LoadedRun, table: pd.DataFrame, y: np.ndarray | None) -> np.ndarray:
    """Class probabilities of the run's model on ``table``."""
    features = featurizer_from_state(run.card.input).transform(table, y)
    return predict_any(run.model, features)


def label_indices(table: pd.DataFrame, classes: list[str], path: str | Path) -> np.ndarray:
    """Label indices; a label the model never saw is an input error naming the row."""
    index = {c: i for i, c in enumerate(classes)}
    unknown = ~table["label"].isin(index)
    if unknown.any():
        row = table.loc[unknown].iloc[0]
        raise InputError(
            f"label not among the model's classes {classes}",
            path=path,
            where=f"row {row.get('source_row', '?')}",
            value=row["label"],
        )
    return table["label"].map(index).to_numpy(np.int64)


def evaluate_run(
    run_dir: str | Path, data: str | Path, *, split: str | None = None, **columns: Any
) -> dict[str, Any]:
    """Metrics (with bootstrap intervals) of a saved run on labelled data."""
    run = load_run(run_dir)
    table = read_for_run(run, data, split=split, labels_required=True, **columns)
    y = label_indices(table, run.card.classes, data)
    metrics = split_metrics(
        y, score(run, table, y), run.card.classes, seed=run.config.seed, with_ci=True
    )
    return {
        "model": run.card.name,
        "data": str(data),
        "split": split,
        "n": len(y),
        "classes": run.card.classes,
        "metrics": metrics,
    }


def predict_run(
    run_dir: str | Path,
    data: str | Path,
    out: str | Path,
    *,
    split: str | None = None,
    **columns: Any,
) -> pd.DataFrame:
    """Predict every row of ``data`` and write a CSV (id, true label if known, prediction,
    per-class probabilities) atomically to ``out`` (its folder must exist)."""
    check_output_file(out, "--out")
    run = load_run(run_dir)
    table = read_for_run(run, data, split=split, labels_required=False, **columns)
    labelled = "label" in table and table["label"].notna().all()
    y = label_indices(table, run.card.classes, data) if labelled else None
    frame = predictions_frame(table["id"].to_numpy(), y, score(run, table, y), run.card.classes)
    write_with(out, lambda temp: frame.to_csv(temp, index=False))
    return frame
