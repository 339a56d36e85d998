"""S0 models on GUE tasks with their official splits: MCC of gb_cnn vs fast_accurate_cnn.

Protocol: GUE folders (``train/dev/test.csv.gz``) read by ``genoclass train`` as official
splits; ``dev`` is the validation set (best epoch = lowest dev loss), ``test`` is scored
once per run. Same budget for both models (S0 recipe: AdamW + OneCycleLR + gradient
clipping, batch 64). Model seeds vary; the split never does. The 6-mer logistic
regression anchor (CountVectorizer char 6-grams + LogisticRegression, C=1) is fitted on
``train`` and scored on ``test``.

    .venv/bin/python benchmarks/s0_gue.py                          # all three tasks
    .venv/bin/python benchmarks/s0_gue.py --tasks mouse/0 --seeds 1 2 3
    .venv/bin/python benchmarks/s0_gue.py --tasks mouse/0 --models gated_dilated_cnn \
        --epochs 20 --lr 3e-3 --augment rc=0.5 --tag gated   # results s0_gue_gated_<task>.*
"""

from __future__ import annotations

import argparse
import json

import pandas as pd
from s0_common import (
    MODELS,
    RESULTS,
    SCRATCH,
    SHARED,
    Protocol,
    kmer_lr_anchor,
    limit_threads,
    parse_augment,
    summarise,
    train_once,
    write_results,
)

TASKS = ("mouse/0", "tf/0", "prom/prom_core_notata")
REFERENCE_LR_MCC = {"prom/prom_core_notata": 0.572, "tf/0": 0.604, "mouse/0": 0.484}


def run_task(
    task: str, protocol: Protocol, models: list[str], augment: dict[str, float], tag: str
) -> dict[str, object]:
    """Anchor + every model x seed on one GUE task; writes results/s0_gue_[<tag>_]<task>.*."""
    folder = SHARED / "gue" / task
    train = pd.read_csv(folder / "train.csv.gz")
    test = pd.read_csv(folder / "test.csv.gz")
    anchor = kmer_lr_anchor(train, test)
    print(f"{task}: 6-mer LR anchor {anchor}", flush=True)
    rows = []
    for seed in protocol.seeds:
        for model in models:
            out = SCRATCH / f"gue_{task.replace('/', '_')}_{model}_{seed}"
            row = train_once(str(folder), model, seed, protocol, out, augment=augment)
            row["task"] = task
            print(row, flush=True)
            rows.append(row)
    payload = {
        "task": task,
        "data": f"shared/data/dna/gue/{task} (official train/dev/test)",
        "protocol": protocol.record("best dev-loss epoch", augment=augment),
        "anchor_6mer_lr": anchor,
        "reference_lr_mcc": REFERENCE_LR_MCC.get(task),
        "summary": summarise(rows, ("test_mcc", "test_accuracy", "val_mcc", "train_seconds")),
    }
    prefix = f"s0_gue_{tag}_" if tag else "s0_gue_"
    write_results(prefix + task.replace("/", "_"), payload, rows)
    return payload


def main(argv: list[str] | None = None) -> None:
    """Run the chosen GUE tasks in order and print a compact summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument(
        "--augment", type=parse_augment, default={}, help="genoclass --augment value, e.g. rc=0.5"
    )
    parser.add_argument("--tag", default="", help="results name part, so runs do not overwrite")
    args = parser.parse_args(argv)
    limit_threads(args.threads)
    protocol = Protocol(epochs=args.epochs, lr=args.lr, seeds=tuple(args.seeds))
    summary = {}
    for task in args.tasks:
        payload = run_task(task, protocol, args.models, args.augment, args.tag)
        summary[task] = {
            "anchor_mcc": round(payload["anchor_6mer_lr"]["mcc"], 3),
            **{m: e["test_mcc"]["text"] for m, e in payload["summary"].items()},
        }
    print(json.dumps(summary, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    main()
