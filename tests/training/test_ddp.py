"""Several training processes (DDP): the same global batches as one process, one writer,
validated options, and 16-bit precision on a CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from genoclass.cli import main
from genoclass.config import TrainConfig, is_main_process
from genoclass.data import loaders
from genoclass.data.loaders import BatchPlan
from genoclass.data.synthetic import demo_sequences
from genoclass.errors import InputError
from genoclass.models.registry import get_spec
from genoclass.models.serialize import ModelCard, build_model
from genoclass.training.pretrain import PretrainConfig, PretrainModule

#: a small one-hot CNN without dropout or batch norm: nothing in it differs between one
#: process and two except the order of floating-point sums
SMALL_CNN = ["--model", "cnn", "--param", "channels=[16]", "--param", "kernel_size=9"]
SMALL_CNN += ["--param", "hidden=16", "--param", "dropout=0"]
#: 219 training rows in global batches of 16: the last batch (11 rows) splits 5 / 6
FIT = ["--epochs", "6", "--batch-size", "16", "--lr", "0.02", "--seed", "0"]
FIT += ["--accelerator", "cpu", "--threads", "1"]
#: largest difference in a test-set probability allowed between the two runs. Both runs see
#: the same global batches and the gradient of the same mean loss; they differ only in how
#: the sums are ordered (two half-batch means averaged by all-reduce against one mean), about
#: 1e-7 per step in float32. Over 84 steps the probabilities measured 1.2e-7 apart; 1e-5 leaves
#: room for other CPUs and libraries while still catching any difference in batches, rows or
#: loss weighting (one swapped row moves them by more than 1e-3).
TOLERANCE = 1e-5


def _shares(order: list[int], batch_size: int, world: int, monkeypatch) -> list[list[list[int]]]:
    """The batches each of ``world`` processes takes of one epoch of ``order``."""
    shares = []
    for rank in range(world):
        monkeypatch.setattr(loaders, "process_shard", lambda r=rank: (r, world))
        sampler = BatchPlan(len(order), batch_size, shuffle=True, seed=3)
        shares.append([rows.tolist() for _, _, rows in sampler])
        assert len(sampler) == len(shares[-1])
    return shares


def test_processes_share_out_the_batches_of_one_process(monkeypatch):
    (one,) = _shares(list(range(23)), 8, 1, monkeypatch)
    assert [len(b) for b in one] == [8, 8, 7]
    first, second = _shares(list(range(23)), 8, 2, monkeypatch)
    assert [len(b) for b in first] == [4, 4, 3] and [len(b) for b in second] == [4, 4, 4]
    assert [a + b for a, b in zip(first, second, strict=True)] == one
    # a last batch of fewer rows than processes cannot give each one a row: left out
    (one,) = _shares(list(range(17)), 8, 1, monkeypatch)
    shares = _shares(list(range(17)), 8, 3, monkeypatch)
    assert [[len(b) for b in s] for s in shares] == [[2, 2], [3, 3], [3, 3]]
    assert [sum(batches, []) for batches in zip(*shares, strict=True)] == one[:2]


def _run_files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_two_processes_train_like_one_with_the_same_global_batch(tmp_path):
    data = tmp_path / "motif.csv"
    demo_sequences(seed=1, n_per_class=153, length=40).to_csv(data, index=False)
    common = ["train", "--data", str(data), *SMALL_CNN, *FIT]
    assert main([*common, "--out", str(tmp_path / "one")]) == 0
    before = _run_files(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "LOCAL_RANK", "NODE_RANK")}
    two = subprocess.run(
        [sys.executable, "-m", "genoclass", *common, "--devices", "2", "--strategy", "ddp"]
        + ["--out", str(tmp_path / "two")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "PYTHONPATH": os.pathsep.join(sys.path)},
        cwd=tmp_path,
    )
    assert two.returncode == 0, two.stderr
    # one run directory, and nothing else written by either process
    added = _run_files(tmp_path) - before
    assert added == {"two"} | {f"two/{p}" for p in _run_files(tmp_path / "one")}
    # rank 1 printed nothing: every line once
    assert two.stdout.count("test accuracy") == 1 and two.stdout.count("epoch 6/6") == 1
    assert two.stdout.count("data: 219 train") == 1
    runs = [json.loads((tmp_path / r / "metrics.json").read_text()) for r in ("one", "two")]
    assert runs[1]["runtime"]["devices"] == 2 and runs[1]["runtime"]["strategy"] == "ddp"
    assert yaml.safe_load((tmp_path / "two" / "config.yaml").read_text())["devices"] == 2
    assert runs[0]["n_test"] == runs[1]["n_test"] == 62
    assert runs[0]["test"]["accuracy"] > 0.8  # it learnt the planted motif
    proba = [pd.read_parquet(tmp_path / r / "predictions.parquet") for r in ("one", "two")]
    columns = [c for c in proba[0] if c.startswith("prob_")]
    assert np.abs(proba[0][columns].to_numpy() - proba[1][columns].to_numpy()).max() <= TOLERANCE
    for name in ("accuracy", "f1_macro", "mcc", "roc_auc"):
        assert runs[1]["test"][name] == pytest.approx(runs[0]["test"][name], abs=TOLERANCE)
    assert runs[0]["best_epoch"] == runs[1]["best_epoch"]
    history = [pd.read_csv(tmp_path / r / "history.csv") for r in ("one", "two")]
    assert np.allclose(history[0]["val_loss"], history[1]["val_loss"], atol=TOLERANCE)
    assert np.allclose(history[0]["train_loss"], history[1]["train_loss"], atol=TOLERANCE)


def test_bf16_mixed_precision_trains_on_a_cpu_and_is_recorded(tmp_path):
    data = tmp_path / "motif.csv"
    demo_sequences(seed=1, n_per_class=153, length=40).to_csv(data, index=False)
    out = tmp_path / "bf16"
    argv = ["train", "--data", str(data), *SMALL_CNN, *FIT, "--precision", "bf16-mixed"]
    assert main([*argv, "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["runtime"]["precision"] == "bf16-mixed"
    assert yaml.safe_load((out / "config.yaml").read_text())["precision"] == "bf16-mixed"
    assert metrics["test"]["accuracy"] > 0.8


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--devices", "3"], "--batch-size 16 is the global batch and must be divisible by"),
        (["--devices", "0"], "--devices must be an integer in [1, 4096], got 0"),
        (["--num-nodes", "0"], "--num-nodes must be an integer"),
        (["--precision", "16-mixed"], "--precision 16-mixed needs a CUDA GPU"),
        (["--accelerator", "gpu"], "--accelerator gpu: no CUDA GPU found"),
        (["--devices", "2", "--cv", "3"], "--cv runs its folds one after another"),
        (["--precision", "8"], "argument --precision: invalid choice: '8'"),
        (["--strategy", "ddp_spawn"], "argument --strategy: invalid choice: 'ddp_spawn'"),
    ],
)
def test_bad_process_options_are_input_errors(tmp_path, capsys, flags, message):
    if "CUDA" in message and torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    data = tmp_path / "motif.csv"
    demo_sequences(seed=1, n_per_class=20, length=40).to_csv(data, index=False)
    argv = ["train", "--data", str(data), *SMALL_CNN, *FIT, *flags, "--out", str(tmp_path / "r")]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own choices
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_yaml_precision_of_32_is_the_text_32():
    assert TrainConfig(precision=32).precision == "32"


@pytest.mark.parametrize(
    ("env", "main_process"),
    [
        ({}, True),
        ({"LOCAL_RANK": "0", "NODE_RANK": "0"}, True),
        ({"LOCAL_RANK": "1"}, False),
        ({"LOCAL_RANK": "0", "NODE_RANK": "1"}, False),
        ({"RANK": "3", "LOCAL_RANK": "0"}, False),
        ({"SLURM_PROCID": "2", "SLURM_NTASKS": "4"}, False),
        ({"SLURM_PROCID": "0", "SLURM_NTASKS": "4"}, True),
        ({"SLURM_PROCID": "5", "SLURM_NTASKS": "1"}, True),
    ],
)
def test_only_rank_zero_is_the_main_process(monkeypatch, env, main_process):
    for name in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID", "SLURM_NTASKS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert is_main_process() is main_process


def test_pretraining_freezes_only_what_reconstruction_never_reaches():
    spec = get_spec("fast_accurate_cnn")
    card = ModelCard(spec.name, spec.hparams({"channels": [16, 32]}), ["a", "b"], 60)
    module = PretrainModule(build_model(card), "tokens", PretrainConfig(data=["x"], window=60))
    frozen = {name for name, p in module.named_parameters() if not p.requires_grad}
    assert frozen == {name for name, _ in module.named_parameters() if ".head." in name} | {
        "model.norm.weight",
        "model.norm.bias",
    }
    assert all(p.grad is None for p in module.parameters())


def test_pretraining_checks_its_process_options():
    with pytest.raises(InputError, match="must be divisible by --devices x --num-nodes = 6"):
        PretrainConfig(data=["x"], batch_size=64, devices=3, num_nodes=2)
    assert PretrainConfig(data=["x"], precision=32).precision == "32"


def test_each_process_augments_its_share_from_its_own_stream(monkeypatch):
    keys = []
    for rank in range(2):
        monkeypatch.setattr(loaders, "process_shard", lambda r=rank: (r, 2))
        keys.append([index for _, index, _ in BatchPlan(20, 8, shuffle=True, seed=3)])
    assert keys == [[0, 2, 4], [1, 3, 5]]  # batch index x processes + rank: never shared
    monkeypatch.setattr(loaders, "process_shard", lambda: (0, 1))
    assert [index for _, index, _ in BatchPlan(20, 8, shuffle=True, seed=3)] == [0, 1, 2]
