"""S1 benchmark: `genoclass compare` on the S1 datasets with the S1 protocol.

Runs the library's compare job (the code path of ``genoclass compare``) so the figures are
what users get; run directories go to a scratch folder, the comparison tables are copied
to ``benchmarks/results/s1_<dataset>_len<max_len>_comparison.{csv,json}``.

    python benchmarks/s1_compare.py human --models kmer_nb,kmer_lr,cnn --seeds 3
    python benchmarks/s1_compare.py nontata --models kmer_nb,cnn --seeds 1

Several processes may train different ``--models`` of one table into the same folder at
once (each (model, seed) run is its own directory); a last call with every model then
finds all runs finished and writes the joint table.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pandas as pd

from genoclass.config import TrainConfig
from genoclass.workflows.compare import load_variants, run_compare

REPO = Path(__file__).resolve().parents[1]
DNA = REPO.parent / "shared" / "data" / "dna"
RESULTS = REPO / "benchmarks" / "results"
SCRATCH = Path("/tmp/genoclass_bench/s1")
HUMAN = DNA / "vasani_human_dna"

#: dataset -> (TrainConfig settings, metric, files every run is also scored on)
DATASETS: dict[str, tuple[dict, str, list[str]]] = {
    # S1: 80/20 split, 10 % of train for validation, duplicate-aware (exact) groups
    "human": (
        {"data": str(HUMAN / "human_data.txt"), "label_col": "class", "dedup": "exact"},
        "accuracy",
        [str(HUMAN / "chimp_data.txt"), str(HUMAN / "dog_data.txt")],
    ),
    # S1 protocol on the Genomic Benchmarks non-TATA promoter test split (80/20, seed 42);
    # the file marks every row 'test', so its rows are copied without that column first
    "nontata": (
        {"data": str(SCRATCH / "nontata_rows.csv"), "split_seed": 42},
        "accuracy",
        [],
    ),
    # GUE tf/0 with its official train/dev/test files
    "gue_tf0": (
        {
            "data": str(DNA / "gue/tf/0/train.csv.gz"),
            "val": str(DNA / "gue/tf/0/dev.csv.gz"),
            "test": str(DNA / "gue/tf/0/test.csv.gz"),
        },
        "mcc",
        [],
    ),
}


def main() -> None:
    """Parse the dataset and budget, run the comparison, copy the tables to results/."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", choices=sorted(DATASETS))
    parser.add_argument("--models", required=True)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--max-len", type=int, default=1000, help="0: whole sequences")
    parser.add_argument("--recipe", default="early_stopping", help="S1: Adam + early stopping")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--variants", help="YAML of named model variants (see compare)")
    args = parser.parse_args()
    settings, metric, cross = DATASETS[args.dataset]
    if args.dataset == "nontata":
        source = DNA / "genomic_benchmarks/human_nontata_promoters/test.csv.gz"
        SCRATCH.mkdir(parents=True, exist_ok=True)
        pd.read_csv(source)[["sequence", "label"]].to_csv(settings["data"], index=False)
    config = TrainConfig(
        **settings,
        recipe=args.recipe,
        epochs=args.epochs,
        patience=args.patience,
        max_len=args.max_len or None,
        lr=args.lr,
        batch_size=64,
        seed=42,
    )
    tag = f"{args.dataset}_len{args.max_len or 'all'}_{args.recipe}"
    out = SCRATCH / tag
    models = args.models.split(",")
    variants = load_variants(args.variants) if args.variants else None
    run_compare(config, models, args.seeds, out, metric=metric, cross=cross, variants=variants)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in ("comparison.csv", "comparison.json", "runs.csv"):
        shutil.copy(out / name, RESULTS / f"s1_{tag}_{name}")


if __name__ == "__main__":
    main()
