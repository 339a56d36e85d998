"""Interpretation benchmark on tcga_rtcga_rsem_6cohorts: top genes per class and their
stability across the folds of a stratified 5-fold cross-validation.

Protocol: ``genoclass train --cv 5`` (seed 42, S4's log2-CPM preprocessing) of ``--model``;
each fold's model is explained (``genoclass explain``, default method) on all 350 samples,
keeping the top ``--top`` genes per class; stability = fraction of the 5 folds in which a
gene is in its class's top list; genes are ranked by that stability, then by mean rank.
Writes ``top_genes_<model>.csv`` under --out.

    nice -n 10 .venv/bin/python benchmarks/interpret_tcga_biomarkers.py --out /tmp/tcga_rf
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from genoclass.config import TrainConfig
from genoclass.workflows.crossval import run_crossval
from genoclass.workflows.explain import ExplainOptions, run_explain

TCGA = Path(__file__).resolve().parents[2] / "shared" / "data" / "expr" / "tcga_rtcga_rsem_6cohorts"


def main() -> None:
    """Cross-validate, explain every fold and write the stable top genes per class."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", default="random_forest")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    out = Path(args.out)
    data, labels = TCGA / "expression.csv.gz", TCGA / "labels.csv"
    config = TrainConfig(
        data=str(data),
        labels=str(labels),
        model=args.model,
        epochs=args.epochs,
        cv=5,
        seed=42,
        out=str(out / "cv"),
    )
    cv_dir = out / "cv"
    if not (cv_dir / "cv.json").exists():  # a finished cross-validation is reused
        run_crossval(config)
    tables = []
    for fold in sorted((cv_dir / "folds").iterdir()):
        explained = run_explain(
            fold, data, fold / "explain", ExplainOptions(top_genes=args.top), labels=str(labels)
        )
        tables.append(pd.read_csv(explained / "biomarkers.csv").assign(fold=fold.name))
    genes = pd.concat(tables)
    summary = (
        genes.groupby(["class", "gene"])
        .agg(
            folds_in_top=("fold", "nunique"),
            mean_rank=("rank", "mean"),
            direction=("direction", "first"),
            log2_fold_change=("log2_fold_change", "mean"),
        )
        .reset_index()
    )
    summary["stability"] = summary["folds_in_top"] / len(tables)
    summary = summary.sort_values(
        ["class", "stability", "mean_rank"], ascending=[True, False, True]
    )
    top = summary.groupby("class").head(args.top)
    top.to_csv(out / f"top_genes_{args.model}.csv", index=False)
    print(top.to_string())


if __name__ == "__main__":
    main()
