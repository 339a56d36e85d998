"""5-fold stratified CV (seed 42) of random_forest, logistic_regression and expr_cnn on every
expression set in ../shared/data/expr (preprocessing per set: s4_common.PREPROCESS).

Usage: python benchmarks/s4_all_sets.py MODEL[,MODEL...] [DATASET ...]
(models already cross-validated are reused; the table covers every finished model)
"""

from __future__ import annotations

import dataclasses
import json
import sys

import pandas as pd
from s4_common import PREPROCESS, RESULTS, WORK, config

from genoclass.workflows.crossval import compare_crossvals, run_crossval

MODELS = ("random_forest", "logistic_regression", "expr_cnn")

if __name__ == "__main__":
    run_models = sys.argv[1].split(",")
    datasets = sys.argv[2:] or list(PREPROCESS)
    frames = []
    for dataset in datasets:
        for model in run_models:
            out = WORK / dataset / f"cv_{model}"
            if not (out / "cv.json").exists():
                # batch 16: with 30-150 training samples, batch 64 leaves the CNN 1-3 steps
                # per epoch (gbm_lgg: 0.50 and 0.63 accuracy in the first two folds)
                run_crossval(dataclasses.replace(config(dataset, model, out, batch_size=16), cv=5))
        dirs = {m: WORK / dataset / f"cv_{m}" for m in MODELS}
        dirs = {m: d for m, d in dirs.items() if (d / "cv.json").exists()}
        frame = compare_crossvals(dirs).assign(dataset=dataset, preprocess=PREPROCESS[dataset])
        first = next(iter(dirs.values())) / "folds" / "s42_f1" / "metrics.json"
        steps = json.loads(first.read_text())
        frame["steps"] = " > ".join(
            f"{s['step']}({s['genes_out']})" for s in steps["data"]["preprocessing_steps"]
        )
        print(frame.to_string(index=False), flush=True)
        frames.append(frame)
    path = RESULTS / "s4_all_sets_cv.csv"
    old = pd.read_csv(path) if path.exists() else pd.DataFrame()
    if not old.empty:
        old = old[~old["dataset"].isin(datasets)]
    pd.concat([old, *frames]).to_csv(path, index=False)
