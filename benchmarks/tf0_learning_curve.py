"""Learning curve on GUE tf/0 (official dev / test): from scratch against transfer from a
self-supervised trunk, at 500, 1,000, 2,000, 5,000 and all 32,378 training sequences.

Training subsets are nested: the first n rows of one fixed random order of the official
training split (numpy seed 0), each written as a table with a ``split`` column beside the
official dev (validation) and test rows. Variants, all ``fast_accurate_cnn`` under the S0
budget (10 epochs, batch 64, peak lr 1e-3, one-cycle; best dev-loss epoch kept):
``scratch``; ``ssl_finetune`` (``--init`` the pretrained trunk, all weights trained, trunk at
the full lr: the fine-tuning rate that did best in the tf/0 -> mouse/0 table); ``ssl_features``
(the pretrained trunk frozen, a new head trained). The trunk is pretrained once (``genoclass
pretrain``: masked-span reconstruction, window 101, 3 epochs) on the training sequences of
tf/0 and mouse/0 with ``--exclude`` tf/0's dev and test sequences, so it never sees them;
its CPU time is counted once. Seeds 1-3 (1-5 below 10,000 sequences with ``--seeds``).
Jobs are shared between ``--workers`` processes, one torch thread each; each writes
``results/tf0_learning_curve_<worker>.csv``; the last step merges them and writes the summary
and the plot (``results/tf0_learning_curve.{csv,json,png}``).

    cd benchmarks && OMP_WAIT_POLICY=PASSIVE ../.venv/bin/python tf0_learning_curve.py
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from s0_common import (  # noqa: E402
    RESULTS,
    SCRATCH,
    SHARED,
    Protocol,
    cpu_seconds,
    pretrain_once,
    train_once,
)

from genoclass.training.pretrain import PretrainConfig  # noqa: E402

TASK = SHARED / "gue" / "tf" / "0"
SIZES = (500, 1000, 2000, 5000, 32378)
VARIANTS = {
    "scratch": {},
    "ssl_finetune": {"transfer": "finetune", "trunk_lr_scale": 1.0},
    "ssl_features": {"transfer": "features"},
}
FOLDER = SCRATCH / "tf0_curve"


def subsets() -> dict[int, Path]:
    """One labelled table per training-set size (nested subsets, official dev and test)."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    train = pd.read_csv(TASK / "train.csv.gz")
    order = np.random.default_rng(0).permutation(len(train))
    dev = pd.read_csv(TASK / "dev.csv.gz").assign(split="val")
    test = pd.read_csv(TASK / "test.csv.gz").assign(split="test")
    paths = {}
    for n in SIZES:
        rows = train.iloc[order[:n]].assign(split="train")
        paths[n] = FOLDER / f"train_{n}.csv"
        pd.concat([rows, dev, test]).to_csv(paths[n], index=False)
    return paths


def pretrained() -> dict[str, object]:
    """The self-supervised trunk (trained once, reused): run directory, losses, CPU s."""
    config = PretrainConfig(
        data=[str(TASK / "train.csv.gz"), str(SHARED / "gue" / "mouse" / "0" / "train.csv.gz")],
        exclude=[str(TASK / "dev.csv.gz"), str(TASK / "test.csv.gz")],
        model="fast_accurate_cnn",
        window=101,
        stride=101,
        epochs=3,
        seed=1,
        out=str(FOLDER / "pretrain"),
    )
    return pretrain_once(config, FOLDER / "pretrain.json")


def work(args: tuple[int, list[tuple[int, int, str]], dict[int, str], str]) -> None:
    """Run one worker's jobs, appending each result to its own CSV."""
    worker, jobs, paths, trunk = args
    torch.set_num_threads(1)
    csv = RESULTS / f"tf0_learning_curve_{worker}.csv"
    for n, seed, variant in jobs:
        extra = dict(VARIANTS[variant], init=trunk) if variant != "scratch" else {}
        out = FOLDER / f"run_{n}_{seed}_{variant}"
        start = cpu_seconds()
        row = train_once(paths[n], "fast_accurate_cnn", seed, Protocol(), out, **extra)
        row.update(n_train=n, variant=variant, cpu_seconds=round(cpu_seconds() - start, 1))
        print({k: row[k] for k in ("n_train", "seed", "variant", "test_mcc", "cpu_seconds")})
        pd.DataFrame([row]).to_csv(csv, mode="a", header=not csv.exists(), index=False)


def summarise(runs: pd.DataFrame, trunk: dict) -> None:
    """Mean ± sd per size and variant, the plot and the JSON summary."""
    table = runs.groupby(["n_train", "variant"]).agg(
        test_mcc=("test_mcc", "mean"), sd=("test_mcc", "std"), seeds=("seed", "count"),
        val_mcc=("val_mcc", "mean"), cpu_seconds=("cpu_seconds", "median"),
    ).reset_index()  # fmt: skip
    fig, ax = plt.subplots(figsize=(6, 4))
    for variant, group in table.groupby("variant"):
        ax.errorbar(group["n_train"], group["test_mcc"], yerr=group["sd"], label=variant, capsize=3)
    ax.set(xscale="log", xlabel="training sequences (GUE tf/0)", ylabel="test MCC")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "tf0_learning_curve.png", dpi=120)
    runs.to_csv(RESULTS / "tf0_learning_curve.csv", index=False)
    payload = {"pretrained_trunk": trunk, "summary": table.round(4).to_dict(orient="records")}
    (RESULTS / "tf0_learning_curve.json").write_text(json.dumps(payload, indent=2) + "\n")
    print(table.round(3).to_string(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    paths = {n: str(p) for n, p in subsets().items()}
    trunk = pretrained()
    print("pretrained trunk:", trunk, flush=True)
    jobs = [
        (n, s, v) for n in sorted(args.sizes, reverse=True) for s in args.seeds for v in VARIANTS
    ]
    shares = [(w, jobs[w :: args.workers], paths, trunk["run"]) for w in range(args.workers)]
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        pool.map(work, shares)
    parts = [RESULTS / f"tf0_learning_curve_{w}.csv" for w in range(args.workers)]
    summarise(pd.concat([pd.read_csv(p) for p in parts if p.exists()]), trunk)


if __name__ == "__main__":
    main()
