"""ONNX export: equal to PyTorch within 1e-5, dynamic batch and length, used by predict,
refused when stale, for models without a sequence trunk, or when damaged."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from genoclass.cli import main
from genoclass.config import TrainConfig
from genoclass.data.synthetic import demo_sequences
from genoclass.training.export import TOLERANCE
from genoclass.workflows.apply import TrainedRun
from genoclass.workflows.train import run_training

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def exported(tiny_demo, tmp_path_factory):
    """A copy of the tiny demo run with its ONNX export in the model folder."""
    run, data = tiny_demo
    copy = tmp_path_factory.mktemp("onnx") / "run"
    shutil.copytree(run, copy)
    assert main(["export", "--model", str(copy)]) == 0
    return copy, data


def test_export_predicts_like_pytorch_on_the_demo_run(exported, tmp_path, capsys):
    run, data = exported
    assert (run / "model" / "model.onnx").stat().st_size > 0
    torch_csv, onnx_csv = tmp_path / "torch.csv", tmp_path / "onnx.csv"
    base = ["predict", "--model", str(run), "--data", str(data)]
    assert main([*base, "--out", str(torch_csv)]) == 0
    assert main([*base, "--out", str(onnx_csv), "--engine", "onnx"]) == 0
    a, b = pd.read_csv(torch_csv), pd.read_csv(onnx_csv)
    prob = [c for c in a if c.startswith("prob_")]
    assert len(a) == 800 and a["id"].tolist() == b["id"].tolist()
    assert np.abs(a[prob].to_numpy() - b[prob].to_numpy()).max() <= TOLERANCE
    capsys.readouterr()
    assert main(["export", "--model", str(run), "--out", str(tmp_path / "copy.onnx")]) == 0
    printed = capsys.readouterr().out
    assert f"ONNX model (opset 17, dynamic batch and length): {tmp_path / 'copy.onnx'}" in printed


@pytest.mark.parametrize("model", ["gb_cnn", "gated_dilated_cnn", "cnn"])
def test_fixed_length_and_one_hot_models_export_exactly(tmp_path, model):
    data = tmp_path / "d.csv"
    demo_sequences(seed=4, n_per_class=30, length=120).to_csv(data, index=False)
    params = {"gated_dilated_cnn": {"width": 8}}.get(model, {})
    config = TrainConfig(
        data=str(data), model=model, model_params=params, epochs=1, batch_size=16,
        out=str(tmp_path / "run"),
    )  # fmt: skip
    run = TrainedRun.load(run_training(config, progress=False))
    path, check = run.export_onnx(tmp_path / "m.onnx")
    assert check["max_abs_diff"] <= TOLERANCE and path.stat().st_size > 0
    assert check["dynamic_length"] == (not run.featurizer.fixed_length)


def test_stale_missing_damaged_and_classical_exports_are_refused(exported, tmp_path, capsys):
    run, data = exported
    stale = tmp_path / "stale"
    shutil.copytree(run, stale)
    weights = stale / "model" / "weights.safetensors"
    other = TrainedRun.load(run)
    with open(weights, "r+b") as f:  # a different (still valid) weight file: retrained
        f.seek(-4, 2)
        f.write(b"\x00\x00\x80\x3f")
    argv = ["predict", "--model", str(stale), "--data", str(data), "--out", "-", "--engine"]
    assert main([*argv, "onnx"]) == 2
    assert "exported from other weights than the run's; export again" in capsys.readouterr().err
    (stale / "model" / "model.onnx").write_bytes(b"not onnx")
    assert main([*argv, "onnx"]) == 2
    assert "not a readable ONNX model" in capsys.readouterr().err
    (stale / "model" / "model.onnx").unlink()
    assert main([*argv, "onnx"]) == 2
    assert "no ONNX export; run: genoclass export --model" in capsys.readouterr().err
    kmer = tmp_path / "kmer"
    config = TrainConfig(data=str(data), model="kmer_nb", out=str(kmer))
    run_training(config, progress=False)
    assert main(["export", "--model", str(kmer)]) == 2
    assert "ONNX export takes neural sequence models, not 'kmer_nb'" in capsys.readouterr().err
    assert not (kmer / "model" / "model.onnx").exists()
    assert other.classes  # the original run is untouched
