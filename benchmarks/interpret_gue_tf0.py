"""Interpretation benchmark on GUE tf/0: motifs learned by fast_accurate_cnn and their JASPAR
matches.

Protocol: official GUE splits (train / dev as validation / test); the training split is
subsampled to ``--n-train`` sequences (seed 42) to fit a 2-core CPU budget; fast_accurate_cnn
with default hyperparameters, ``--epochs`` one-cycle epochs, lr 3e-3, seed 42; then
``genoclass explain`` (integrated gradients) on the test split's correctly classified
sequences of every class. Writes the run, the explanations and ``summary.json`` under --out.

    nice -n 10 .venv/bin/python benchmarks/interpret_gue_tf0.py --out /tmp/gue_tf0
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from genoclass.config import TrainConfig
from genoclass.workflows.explain import ExplainOptions, run_explain
from genoclass.workflows.train import run_training

GUE_TF0 = Path(__file__).resolve().parents[2] / "shared" / "data" / "dna" / "gue" / "tf" / "0"


def main() -> None:
    """Train, explain and summarise (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--n-train", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train = pd.read_csv(GUE_TF0 / "train.csv.gz")
    train.sample(n=min(args.n_train, len(train)), random_state=42).to_csv(
        out / "train_subsample.csv", index=False
    )
    config = TrainConfig(
        data=str(out / "train_subsample.csv"),
        val=str(GUE_TF0 / "dev.csv.gz"),
        test=str(GUE_TF0 / "test.csv.gz"),
        model="fast_accurate_cnn",
        epochs=args.epochs,
        lr=3e-3,
        seed=42,
        out=str(out / "run"),
    )
    run = run_training(config, overwrite=True)
    start = time.perf_counter()
    explained = run_explain(run, GUE_TF0 / "test.csv.gz", options=ExplainOptions(max_examples=500))
    seconds = time.perf_counter() - start
    metrics = json.loads((run / "metrics.json").read_text())["test"]
    motifs = pd.read_csv(explained / "motifs.csv")
    summary = {
        "protocol": vars(args),
        "test_accuracy": metrics["accuracy"],
        "test_mcc": metrics["mcc"],
        "explain_seconds": round(seconds, 1),
        "motifs": motifs.to_dict(orient="records"),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    print(motifs.to_string())


if __name__ == "__main__":
    main()
