"""Run directories written before model files were validated still load and predict the same."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import safetensors.torch
import torch
import yaml

from genoclass.cli import main
from genoclass.data.synthetic import demo_sequences
from genoclass.models import get_spec

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_runs"


@pytest.mark.parametrize("run, data", [("cnn", "seqs.csv"), ("forest", "expr.csv")])
def test_old_run_directory_loads_and_predicts_as_before(run: str, data: str, tmp_path) -> None:
    out = tmp_path / "pred.csv"
    argv = ["predict", "--model", str(LEGACY / run), "--input", str(LEGACY / data)]
    assert main([*argv, "--out", str(out)]) == 0
    ours, theirs = pd.read_csv(out), pd.read_csv(LEGACY / f"{run}_pred.csv")
    assert ours.columns.tolist() == theirs.columns.tolist()
    assert ours["predicted_label"].tolist() == theirs["predicted_label"].tolist()
    proba = [c for c in ours.columns if c.startswith("prob_")]
    np.testing.assert_allclose(ours[proba].to_numpy(), theirs[proba].to_numpy(), atol=1e-6)


def write_previous_release_run(run: Path, data: Path) -> torch.nn.Module:
    """A run directory written file by file as genoclass 0.1.0 wrote it before the
    Classifier seam and RunFiles (config.yaml, metrics.json, splits.parquet, model/); the
    model is a seeded, untrained tiny fast_accurate_cnn, which is returned."""
    hparams = {
        "embed_dim": 4, "channels": [4, 4], "kernel_size": 3, "hidden": 4, "dropout": 0.3,
        "block_dropout": 0.1, "dilated": True, "positional": False,
    }  # fmt: skip
    torch.manual_seed(0)
    model = get_spec("fast_accurate_cnn").builder(1, 30, **hparams).eval()
    (run / "model").mkdir(parents=True)
    safetensors.torch.save_file(model.state_dict(), str(run / "model" / "weights.safetensors"))
    card = {
        "name": "fast_accurate_cnn",
        "hparams": hparams,
        "classes": ["background", "motif"],
        "input_length": 30,
        "input": {
            "featurizer": "sequence", "input_kind": "tokens", "max_len": None, "crop": "right",
            "fixed_length": False, "input_length": 30, "alphabet": "A1 C2 G3 T4 N5 pad0",
            "one_hot_N": "0.25 on each base", "padding": "right, zeros",
        },
        "preprocessing": {},
        "training_data": {"fingerprint": "0" * 64, "n": 40},
        "extra": {},
        "genoclass_version": "0.1.0",
        "family": "neural",
    }  # fmt: skip
    (run / "model" / "model.json").write_text(json.dumps(card, indent=2))
    config = {
        "data": str(data), "test": None, "val": None, "labels": None, "format": "auto",
        "sequence_col": "sequence", "label_col": "label", "model": "fast_accurate_cnn",
        "model_params": {"embed_dim": 4, "channels": [4, 4], "hidden": 4}, "epochs": 1,
        "batch_size": 64, "lr": 0.001, "weight_decay": 0.01, "recipe": "onecycle",
        "patience": 3, "grad_clip": 1.0, "label_smoothing": 0.0, "class_weights": False,
        "seed": 42, "split_seed": None, "ignore_splits": False, "max_len": None,
        "crop": "right", "test_size": 0.2, "val_size": 0.1, "dedup": "none", "augment": {},
        "window": None, "window_stride": None, "orientation": "auto", "missing": "reject",
        "preprocess": "log2cpm", "cv": 0, "cv_seeds": 1, "out": str(run),
    }  # fmt: skip
    (run / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    table = pd.read_csv(data)
    splits = table[["id", "label"]].assign(source_row=range(1, len(table) + 1), split="test")
    splits.to_parquet(run / "splits.parquet")
    metrics = {"task": "binary", "classes": ["background", "motif"], "model": "fast_accurate_cnn"}
    (run / "metrics.json").write_text(json.dumps(metrics))
    return model


def test_a_run_directory_of_the_previous_release_evaluates_and_predicts(tmp_path) -> None:
    data = tmp_path / "seqs.csv"
    demo_sequences(seed=4, n_per_class=20, length=30).to_csv(data, index=False)
    run = tmp_path / "old_run"
    model = write_previous_release_run(run, data)
    out = tmp_path / "eval.json"
    argv = ["evaluate", "--model", str(run), "--data", str(data), "--split", "test"]
    assert main([*argv, "--out", str(out)]) == 0
    assert json.loads(out.read_text())["n"] == 40
    pred = tmp_path / "pred.csv"
    assert main(["predict", "--model", str(run), "--input", str(data), "--out", str(pred)]) == 0
    tokens = {"A": 1, "C": 2, "G": 3, "T": 4}
    sequences = pd.read_csv(data)["sequence"]
    x = torch.tensor([[tokens[b] for b in s] for s in sequences])
    with torch.no_grad():
        expected = torch.sigmoid(model(x))[:, 0].numpy()
    np.testing.assert_allclose(pd.read_csv(pred)["prob_motif"], expected, atol=1e-6)
