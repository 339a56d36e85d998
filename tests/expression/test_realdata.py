"""Real expression sets through S4's pipeline (skips without ../shared/data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genoclass.config import load_config
from genoclass.workflows.train import run_training


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("dataset", "min_accuracy"), [("datamicroarray_golub", 0.85), ("tcga_gbm_lgg_rawcounts", 0.8)]
)
def test_s4_pipeline_on_raw_counts_and_negative_values(
    shared_data: Path, tmp_path: Path, dataset: str, min_accuracy: float
) -> None:
    folder = shared_data / "expr" / dataset
    config = load_config(
        None,
        {
            "data": str(folder / "expression.csv.gz"),
            "labels": str(folder / "labels.csv"),
            "model": "logistic_regression",
            "preprocess": "s4",
            "test_size": 0.3,
            "val_size": 0.2,
            "out": str(tmp_path / "run"),
        },
    )
    run = run_training(config, progress=False)
    metrics = json.loads((run / "metrics.json").read_text())
    steps = metrics["data"]["preprocessing_steps"]
    assert [s["step"] for s in steps] == ["cpm", "log2", "drop_unexpressed", "clip", "pad:100"]
    assert steps[-1]["genes_out"] % 100 == 0
    assert steps[2]["genes_out"] < steps[2]["genes_in"]  # unexpressed genes were dropped
    assert metrics["test"]["accuracy"] >= min_accuracy
    assert "drop_unexpressed" in (run / "report.html").read_text()
