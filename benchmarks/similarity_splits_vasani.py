"""Similarity-aware cross-validation on the Vasani human gene families (issue figures).

Protocol: ``human_data.txt`` with exact duplicate rows removed (first copy kept), then
``genoclass train --cv 5`` (stratified 5-fold, seed 42, one torch thread) at ``--dedup exact``
and at ``--dedup similar`` with 9-mer thresholds given on the command line; per setting the
accuracy mean ± sd over the folds, the CPU seconds, and the grouping statistics of the
whole de-duplicated set (clusters, largest cluster, rows in shared clusters, each class's
largest-cluster share) with the class balance the folds achieved.

    OMP_NUM_THREADS=1 python benchmarks/similarity_splits_vasani.py --model kmer_nb \
        --thresholds 0.9,0.8,0.5
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from pathlib import Path

import pandas as pd
import torch

from genoclass.cli import main
from genoclass.data.groups import grouping_report, split_balance
from genoclass.data.similarity import similarity_clusters
from genoclass.io.sequences import read_sequences

REPO = Path(__file__).resolve().parents[1]
HUMAN = REPO.parent / "shared" / "data" / "dna" / "vasani_human_dna" / "human_data.txt"
RESULTS = REPO / "benchmarks" / "results"
SCRATCH = Path("/tmp/genoclass_bench/similarity_vasani")


def deduplicated_file() -> tuple[Path, pd.DataFrame, int]:
    """The human file without exact duplicate rows, written to scratch as TSV."""
    table = read_sequences(HUMAN, label_col="class").table
    unique = table.drop_duplicates("sequence").reset_index(drop=True)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / "human_unique.tsv"
    unique[["sequence", "label"]].rename(columns={"label": "class"}).to_csv(
        path, sep="\t", index=False
    )
    return path, unique, len(table) - len(unique)


def fold_balance(cv_dir: Path) -> dict:
    """Largest deviation of any fold's test class proportions from the overall ones."""
    deviations = []
    for fold in json.loads((cv_dir / "cv.json").read_text())["folds"]:
        splits = pd.read_parquet(Path(fold["run"]) / "splits.parquet")
        test = splits["split"].eq("test").map({True: "test", False: "rest"})
        balance = split_balance(splits["label"].to_numpy(), test.to_numpy())
        deviations.append(balance["splits"]["test"]["max_deviation"])
    return {"max_fold_deviation": float(max(deviations))}


def run_setting(data: Path, model: str, dedup: str, threshold: float | None, extra: list[str]):
    """Cross-validate one setting; returns its summary row."""
    name = f"{model}_{dedup}" + (f"_{threshold}" if threshold else "")
    out = SCRATCH / name
    shutil.rmtree(out, ignore_errors=True)  # finished folds would be reused, not re-run
    argv = ["train", "--data", str(data), "--label-col", "class", "--model", model]
    argv += ["--cv", "5", "--seed", "42", "--dedup", dedup, "--out", str(out), "--overwrite"]
    argv += (["--similarity", str(threshold), "--kmer", "9"] if threshold else []) + extra
    start_cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    start = time.perf_counter()
    assert main(argv) == 0, argv
    cv = json.loads((out / "cv.json").read_text())
    acc = cv["summary"]["accuracy"]
    return {
        "setting": name,
        "model": model,
        "dedup": dedup,
        "threshold": threshold,
        "accuracy_mean": acc["mean"],
        "accuracy_sd": acc["sd"],
        "folds": acc["n"],
        "wall_seconds": round(time.perf_counter() - start, 1),
        "cpu_seconds": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime - start_cpu, 1),
        **fold_balance(out),
    }


def grouping_stats(unique: pd.DataFrame, thresholds: list[float]) -> list[dict]:
    """Cluster statistics of the de-duplicated set at each threshold."""
    rows = []
    for threshold in thresholds:
        start = time.perf_counter()
        groups = similarity_clusters(unique["sequence"].tolist(), threshold, k=9)
        seconds = time.perf_counter() - start
        report = grouping_report(groups, unique["label"].to_numpy())
        rows.append(
            {
                "threshold": threshold,
                "clusters": report["groups"],
                "largest_cluster": report["largest_group"],
                "rows_in_shared_clusters": report["rows_in_shared_groups"],
                "largest_share_per_class": {
                    c: round(v["largest_group_share"], 3) for c, v in report["per_class"].items()
                },
                "warnings": report["warnings"],
                "cluster_seconds": round(seconds, 2),
            }
        )
    return rows


def main_benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="kmer_nb")
    parser.add_argument("--thresholds", default="0.9,0.8,0.5")
    parser.add_argument("--extra", default="", help="more train flags, space-separated")
    args = parser.parse_args()
    torch.set_num_threads(1)
    thresholds = [float(t) for t in args.thresholds.split(",")]
    data, unique, removed = deduplicated_file()
    print(f"{len(unique)} unique sequences ({removed} exact duplicate rows removed)")
    stats = grouping_stats(unique, thresholds)
    for row in stats:
        print(json.dumps(row))
    extra = args.extra.split()
    rows = [run_setting(data, args.model, "exact", None, extra)]
    print(json.dumps(rows[-1]))
    for threshold in thresholds:
        rows.append(run_setting(data, args.model, "similar", threshold, extra))
        print(json.dumps(rows[-1]))
    RESULTS.mkdir(exist_ok=True)
    result = {
        "protocol": "human_data.txt, exact duplicates removed; train --cv 5 --seed 42",
        "rows": len(unique),
        "duplicates_removed": removed,
        "class_counts": unique["label"].value_counts().sort_index().to_dict(),
        "grouping": stats,
        "cv": rows,
    }
    target = RESULTS / f"similarity_splits_vasani_{args.model}.json"
    target.write_text(json.dumps(result, indent=2, default=int))
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main_benchmark()
