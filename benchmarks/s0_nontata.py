"""S0 protocol on Genomic Benchmarks human_nontata_promoters: gb_cnn vs fast_accurate_cnn.

Protocol: the 9,034 rows of ``human_nontata_promoters/test.csv.gz`` (the only reachable
split) are divided once, stratified, with seed 42: 20 % test, then 10 % of the rest as
validation (exactly what ``genoclass train`` does with its defaults ``--seed 42``). That
split is written to a CSV with a ``split`` column and every model seed trains on the same
file, so only the model seed varies between runs. Both models get the same budget; the
best epoch is chosen on validation loss; test is scored once per run. The 6-mer logistic
regression anchor is fitted on the same training rows.

    .venv/bin/python benchmarks/s0_nontata.py            # 3 seeds x 2 models + anchor
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from s0_common import (
    MODELS,
    SCRATCH,
    SHARED,
    Protocol,
    kmer_lr_anchor,
    limit_threads,
    summarise,
    train_once,
    write_results,
)

from genoclass.data.splits import assign_splits
from genoclass.io.sequences import read_sequences

SOURCE = SHARED / "genomic_benchmarks" / "human_nontata_promoters" / "test.csv.gz"
SPLIT_SEED = 42


def fixed_split_file(path: Path) -> pd.DataFrame:
    """Write the seed-42 stratified 80/20 (+10 % of train for validation) split; return it."""
    table = read_sequences(SOURCE).table.reset_index(drop=True)
    table["split"] = None  # the file marks every row 'test'; carve our own split
    table["split"] = assign_splits(table, test_size=0.2, val_size=0.1, seed=SPLIT_SEED)
    path.parent.mkdir(parents=True, exist_ok=True)
    table[["sequence", "label", "split"]].to_csv(path, index=False)
    return table


def main(argv: list[str] | None = None) -> None:
    """Run the anchor and both models over the seeds; write results/s0_nontata.*."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--name", default="s0_nontata", help="results file stem")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args(argv)
    limit_threads(args.threads)
    protocol = Protocol(epochs=args.epochs, lr=args.lr, seeds=tuple(args.seeds))
    split_path = SCRATCH / "nontata_split42.csv"
    table = fixed_split_file(split_path)
    counts = table["split"].value_counts().to_dict()
    print(f"split (seed {SPLIT_SEED}): {counts}")
    train, val, test = (table[table["split"] == s] for s in ("train", "val", "test"))
    anchor = {
        "fit_on_train": kmer_lr_anchor(train, test),
        "fit_on_train_and_val": kmer_lr_anchor(pd.concat([train, val]), test),
        "val_fit_on_train": kmer_lr_anchor(train, val),
    }
    print(f"6-mer LR anchor: {anchor}")
    rows = []
    for seed in protocol.seeds:
        for model in args.models:
            row = train_once(
                str(split_path), model, seed, protocol, SCRATCH / f"nontata_{model}_{seed}"
            )
            print(row, flush=True)
            rows.append(row)
    keys = ("test_accuracy", "test_f1_macro", "test_mcc", "val_accuracy", "train_seconds")
    payload = {
        "dataset": str(SOURCE.relative_to(SHARED.parent.parent)),
        "split": {"seed": SPLIT_SEED, "test_size": 0.2, "val_size": 0.1, "counts": counts},
        "protocol": protocol.record("best validation-loss epoch", torch_threads=args.threads),
        "anchor_6mer_lr": anchor,
        "summary": summarise(rows, keys),
    }
    write_results(args.name, payload, rows)
    for model, entry in payload["summary"].items():
        print(model, {k: v["text"] for k, v in entry.items() if isinstance(v, dict)})


if __name__ == "__main__":
    main()
