"""Exact resume: a run killed with SIGKILL (a real process) at an epoch boundary or in the
middle of an epoch, then resumed, ends byte-identical to an uninterrupted run; --resume
refuses a checkpoint of another command and a damaged checkpoint."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from genoclass.cli import main
from genoclass.data.synthetic import demo_sequences

#: dropout, k-mer-free tiny CNN and augmentation: every random stream of training is used
ARGS = [
    "--model", "fast_accurate_cnn", "--param", "embed_dim=8", "--param", "channels=[8,8]",
    "--param", "hidden=8", "--param", "dropout=0.5", "--augment", "substitute=0.05,rc=0.5",
    "--epochs", "4", "--batch-size", "16", "--lr", "0.01", "--seed", "5",
]  # fmt: skip
#: metrics.json fields that measure time, not results
TIMING = ("train_seconds", "inference_seq_per_s")

#: runs `genoclass train` in a child that SIGKILLs itself at a planted point: after the
#: checkpoint of epoch KILL_EPOCH (boundary) or at batch 2 of that epoch (mid-epoch)
KILLER = """
import os, signal, sys, torch
torch.set_num_threads(int(sys.argv[1]))
from genoclass.training import checkpoint, module
epoch, where = int(sys.argv[2]), sys.argv[3]
if where == "boundary":
    save = checkpoint.LastCheckpoint.on_train_epoch_end
    def after_save(self, trainer, pl_module):
        save(self, trainer, pl_module)
        if trainer.current_epoch == epoch:
            os.kill(os.getpid(), signal.SIGKILL)
    checkpoint.LastCheckpoint.on_train_epoch_end = after_save
else:
    step = module.ClassifierModule.training_step
    def step_then_die(self, batch, batch_idx):
        if self.current_epoch == epoch and batch_idx == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return step(self, batch, batch_idx)
    module.ClassifierModule.training_step = step_then_die
from genoclass.cli import main
sys.exit(main(sys.argv[4:]))
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("resume") / "seqs.csv"
    demo_sequences(seed=8, n_per_class=50, length=40).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def uninterrupted(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("resume") / "whole"
    assert main(["train", "--data", str(data), *ARGS, "--out", str(out)]) == 0
    return out


def _killed_then_resumed(data: Path, out: Path, where: str) -> Path:
    argv = ["train", "--data", str(data), *ARGS, "--out", str(out)]
    threads = str(torch.get_num_threads())  # same threads: same floating-point sums
    child = subprocess.run(
        [sys.executable, "-c", KILLER, threads, "1", where, *argv], capture_output=True, timeout=300
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    partial = out.with_name(out.name + ".partial")
    assert (partial / "checkpoints" / "last.ckpt").exists() and not out.exists()
    assert main([*argv, "--resume"]) == 0
    assert not partial.exists()
    return out


def _results(run: Path) -> tuple[dict, bytes, str]:
    metrics = json.loads((run / "metrics.json").read_text())
    for key in TIMING:
        metrics.pop(key)
    weights = (run / "model" / "weights.safetensors").read_bytes()
    return metrics, weights, (run / "history.csv").read_text()


@pytest.mark.parametrize("where", ["boundary", "mid-epoch"])
def test_kill_9_then_resume_is_byte_identical(data, uninterrupted, tmp_path, where) -> None:
    resumed = _killed_then_resumed(data, tmp_path / "run", where)
    metrics, weights, history = _results(resumed)
    want_metrics, want_weights, want_history = _results(uninterrupted)
    assert weights == want_weights
    assert metrics == want_metrics
    # history.csv holds per-epoch figures only (no timing): identical as well
    assert history == want_history


def test_resume_with_another_command_names_what_differs(data, tmp_path, capsys) -> None:
    out = tmp_path / "run"
    argv = ["train", "--data", str(data), *ARGS, "--out", str(out)]
    child = subprocess.run(
        [sys.executable, "-c", KILLER, "1", "0", "boundary", *argv], capture_output=True
    )
    assert child.returncode == -signal.SIGKILL
    changed = [a if a != "0.01" else "0.02" for a in argv]  # another --lr
    assert main([*changed, "--epochs", "6", "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "different command" in err
    assert "lr 0.01 (now 0.02)" in err and "epochs 4 (now 6)" in err
    ckpt = out.with_name("run.partial") / "checkpoints" / "last.ckpt"
    ckpt.write_bytes(ckpt.read_bytes()[:1000])  # as a full disk would leave it
    assert main([*argv, "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert "truncated or damaged" in err and "last.ckpt" in err and "run.partial" in err
