"""expr_cnn under genoclass's old defaults against its new ones on every expression set in
../shared/data/expr, on identical splits and seeds.

Variants (everything else is genoclass's default: 10 epochs, batch 64, peak lr 1e-3,
one-cycle, best validation epoch kept; expr_cnn's own defaults are S4's network: 1 conv
layer of 32 filters, kernel 3, max-pool 2, 64 dense units):
  old            --preprocess log2cpm, the old default (CPM, log2(x+1), drop unexpressed
                 genes; no standardisation, every gene kept)
  new            --preprocess auto, the new default (by the scale of the training values:
                 log2cpm for counts, nothing for log values or ratios; then, for a neural
                 model, the 2,000 genes of highest ANOVA F, standardised)
  small_net      new + a smaller network (16 filters, pool 4, 32 dense units), the candidate
                 from the size grid below; rejected on validation accuracy (see BENCHMARKS.md)
  new_b16, small_net_b16
                 the same with --batch-size 16: on sets of 40-130 training samples the
                 default batch of 64 leaves 1-2 optimiser steps per epoch (10-20 in all)
Protocol: S4's split (stratified 70/30 train/test, train 80/20 fit/validation) with split
seed 42 for every run; model seeds 42, 43, 44 (initialisation, batch order). One torch
thread; CPU seconds are the process time of the whole run (reading, preprocessing,
training, evaluation, report). Resumes: finished rows of the results CSV are skipped.

Size grid (``--pilot``): filters x pool size x dense units under --preprocess auto on four of
the smaller sets, seed 42 only, ranked by mean validation accuracy
(``benchmarks/results/expr_cnn_pilot.csv``); its validation sets hold 10-27 samples.

Usage: OMP_NUM_THREADS=1 python benchmarks/expr_defaults.py [--variants A,B] [SEEDS] [DATASET ...]
(e.g. ``... 42`` for one seed); table: ``python benchmarks/expr_defaults.py --table``;
size grid: ``python benchmarks/expr_defaults.py --pilot``.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from s4_common import EXPR, RESULTS

from genoclass.config import load_config
from genoclass.errors import InputError
from genoclass.workflows.train import run_training

DATASETS = (
    "dslabs_tissue_gene_expression",
    "tcga_kirc_tumor_normal_rawcounts_simseq",
    "biolab_SRBCT",
    "datamicroarray_golub",
    "tcga_gbm_lgg_rawcounts",
    "bioc_ALL_chiaretti",
    "tcga_rtcga_rsem_6cohorts",
)
#: the smaller network tried as a default (rejected on validation accuracy)
SMALL_CNN = {"filters": 16, "pool_size": 4, "dense_units": 32}
VARIANTS: dict[str, dict[str, Any]] = {
    "old": {"preprocess": "log2cpm"},
    "new": {},
    "small_net": {"model_params": SMALL_CNN},
    "new_b16": {"batch_size": 16},
    "small_net_b16": {"model_params": SMALL_CNN, "batch_size": 16},
}
SPLIT = {"test_size": 0.3, "val_size": 0.2, "split_seed": 42}
OUT = RESULTS / "expr_defaults.csv"
WORK = Path("/tmp/genoclass_expr_defaults")


PILOT_SETS = DATASETS[:4]
PILOT_GRID = [
    {"filters": f, "pool_size": p, "dense_units": d}
    for f in (16, 32)
    for p in (2, 4, 8)
    for d in (32, 64)
]


def run_one(
    dataset: str, variant: str, seed: int, settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Train one variant on one data set with one seed; the result row (or the refusal)."""
    folder = EXPR / dataset
    out = WORK / f"{dataset}_{variant}_{seed}"
    values = {
        **SPLIT,
        "data": str(folder / "expression.csv.gz"),
        "labels": str(folder / "labels.csv"),
        "model": "expr_cnn",
        "seed": seed,
        "out": str(out),
        **(VARIANTS[variant] if settings is None else settings),
    }
    row: dict[str, Any] = {"dataset": dataset, "variant": variant, "seed": seed}
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        run_training(load_config(None, values), overwrite=True, progress=False)
    except InputError as exc:
        return {**row, "error": str(exc)[:200]}
    row["cpu_s"] = round(time.process_time() - cpu, 1)
    row["wall_s"] = round(time.perf_counter() - wall, 1)
    metrics = json.loads((out / "metrics.json").read_text())
    test, data = metrics["test"], metrics["data"]
    row["val_accuracy"] = metrics["val"]["accuracy"]
    row.update(
        accuracy=test["accuracy"],
        f1_macro=test["f1_macro"],
        mcc=test["mcc"],
        params=metrics["params"],
        features=data["features_out"],
        epochs_run=metrics["epochs_run"],
        pipeline=data["preprocessing"].split(":")[0],
    )
    shutil.rmtree(out)  # weights of the old network are 80 MB; the metrics are in the row
    return row


def table() -> pd.DataFrame:
    """Mean ± sd over seeds per data set and variant, with mean CPU seconds."""
    frame = pd.read_csv(OUT)
    done = frame[frame["error"].isna()] if "error" in frame else frame
    grouped = done.groupby(["dataset", "variant"])
    summary = grouped[["accuracy", "f1_macro", "mcc"]].agg(["mean", "std"])
    summary.columns = [f"{m}_{s}" for m, s in summary.columns]
    summary["val_accuracy"] = grouped["val_accuracy"].mean()
    summary["cpu_s"] = grouped["cpu_s"].mean()
    summary["params"] = grouped["params"].first()
    summary["features"] = grouped["features"].first()
    summary["seeds"] = grouped.size()
    return summary.reset_index()


def pilot() -> None:
    """Every network size of ``PILOT_GRID`` on ``PILOT_SETS`` (seed 42); prints the sizes by
    mean validation accuracy (test figures are recorded but not used)."""
    rows = []
    for i, params in enumerate(PILOT_GRID):
        for dataset in PILOT_SETS:
            row = run_one(dataset, f"pilot{i}", 42, {"model_params": params})
            rows.append({**params, **row})
            print(json.dumps(rows[-1]), flush=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(RESULTS / "expr_cnn_pilot.csv", index=False)
    ranked = frame.groupby(["filters", "pool_size", "dense_units"])["val_accuracy"].mean()
    print(ranked.sort_values(ascending=False).to_string())


def main(argv: list[str]) -> None:
    torch.set_num_threads(1)
    variants = list(VARIANTS)
    if argv[:1] == ["--variants"]:
        variants, argv = argv[1].split(","), argv[2:]
    seeds = [int(s) for s in argv[0].split(",")] if argv else [42, 43, 44]
    datasets = argv[1:] or list(DATASETS)
    old = pd.read_csv(OUT) if OUT.exists() else pd.DataFrame()
    keys = ("dataset", "variant", "seed")
    done = set() if old.empty else set(old[list(keys)].itertuples(index=False, name=None))
    rows = [] if old.empty else old.to_dict("records")
    for seed in seeds:
        for dataset in datasets:
            for variant in variants:  # the variants alternate within each data set and seed
                if (dataset, variant, seed) in done:
                    continue
                rows.append(run_one(dataset, variant, seed))
                print(json.dumps(rows[-1]), flush=True)
                pd.DataFrame(rows).to_csv(OUT, index=False)


if __name__ == "__main__":
    if sys.argv[1:] == ["--table"]:
        print(table().to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    elif sys.argv[1:] == ["--pilot"]:
        torch.set_num_threads(1)
        pilot()
    else:
        main(sys.argv[1:])
