"""Threads, determinism and accelerator: applied for a fit, restored after, recorded."""

from __future__ import annotations

import json

import torch
import yaml

from genoclass.cli import main
from genoclass.data.synthetic import demo_sequences
from genoclass.training.runtime import Runtime, applied


def test_applied_sets_threads_and_determinism_then_restores_them():
    before = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    wanted = 1 if before[0] != 1 else 2
    with applied(Runtime(threads=wanted, deterministic=True)) as record:
        assert torch.get_num_threads() == wanted and torch.are_deterministic_algorithms_enabled()
        assert record["threads"] == wanted and record["deterministic"] is True
        assert record["device"] == "cpu" or torch.cuda.is_available()
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == before


def test_train_records_threads_and_determinism_and_repeats_exactly(tmp_path, capsys):
    data = tmp_path / "demo.csv"
    demo_sequences(seed=3, n_per_class=60, length=40).to_csv(data, index=False)
    common = ["train", "--data", str(data), "--model", "cnn", "--epochs", "2", "--batch-size", "16"]
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        argv = [*common, "--threads", "1", "--deterministic", "--accelerator", "cpu"]
        assert main([*argv, "--out", str(out)]) == 0
        runs.append(out)
    metrics = [json.loads((r / "metrics.json").read_text()) for r in runs]
    assert metrics[0]["runtime"]["threads"] == 1
    assert metrics[0]["runtime"]["deterministic"] is True
    assert metrics[0]["runtime"]["accelerator"] == "cpu"
    config = yaml.safe_load((runs[0] / "config.yaml").read_text())
    assert (config["threads"], config["deterministic"], config["accelerator"]) == (1, True, "cpu")
    weights = [(r / "model" / "weights.safetensors").read_bytes() for r in runs]
    assert weights[0] == weights[1]
    assert metrics[0]["test"] == metrics[1]["test"]
    default = tmp_path / "default"
    assert main([*common, "--out", str(default)]) == 0
    recorded = json.loads((default / "metrics.json").read_text())["runtime"]
    assert recorded["threads_option"] is None and recorded["threads"] >= 1
    assert recorded["deterministic"] is False


def test_bad_thread_counts_and_accelerators_are_input_errors(tmp_path, capsys):
    assert main(["train", "--data", "x.csv", "--threads", "0", "--out", str(tmp_path / "r")]) == 2
    assert "--threads must be an integer in [1, 4096], got 0" in capsys.readouterr().err
    assert main(["predict", "--model", "m", "--data", "x", "--out", "-", "--threads", "-1"]) == 2
    assert "--threads" in capsys.readouterr().err
    try:
        main(["train", "--accelerator", "tpu"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "invalid choice: 'tpu'" in capsys.readouterr().err
