"""S4 on tcga_rtcga_rsem_6cohorts: the 70/30 (+80/20) split and 5-fold CV of expr_cnn,
random_forest and logistic_regression with S4's preprocessing (CPM, log2, drop genes not
expressed in training, clip, pad to a multiple of 100).

Usage: python benchmarks/s4_tcga.py split|cv
"""

from __future__ import annotations

import dataclasses
import json
import sys

from s4_common import RESULTS, WORK, config

from genoclass.workflows.crossval import compare_crossvals, run_crossval
from genoclass.workflows.train import run_training

DATASET = "tcga_rtcga_rsem_6cohorts"
MODELS = ("logistic_regression", "random_forest", "expr_cnn")
#: the split run trains 20 epochs (the 5-fold CV keeps the protocol's 10 to fit the machine)
SPLIT = {"epochs": 20}


def split() -> None:
    """Each model once on the S4 split; test metrics to results/s4_tcga_split.json."""
    rows = {}
    for model in MODELS:
        out = WORK / DATASET / f"split_{model}"
        if not (out / "metrics.json").exists():
            run_training(config(DATASET, model, out, **SPLIT), overwrite=True, progress=False)
        m = json.loads((out / "metrics.json").read_text())
        keys = ("accuracy", "f1_macro", "mcc", "integrated_f1", "sensitivity", "specificity")
        rows[model] = {k: m["test"][k] for k in keys}
        rows[model].update(n_test=m["n_test"], ci95=m["test"]["ci95"], seconds=m["train_seconds"])
        rows[model]["correct"] = round(m["test"]["accuracy"] * m["n_test"])
        print(model, rows[model], flush=True)
    (RESULTS / "s4_tcga_split.json").write_text(json.dumps(rows, indent=2))


def cv() -> None:
    """5-fold stratified CV (seed 42) of each model; summary to results/s4_tcga_cv.csv."""
    dirs = {}
    for model in MODELS:
        out = WORK / DATASET / f"cv_{model}"
        dirs[model] = out
        if not (out / "cv.json").exists():
            run_crossval(dataclasses.replace(config(DATASET, model, out), cv=5))
        print(model, json.loads((out / "cv.json").read_text())["summary"]["accuracy"], flush=True)
    frame = compare_crossvals(dirs)
    frame.to_csv(RESULTS / "s4_tcga_cv.csv", index=False)
    print(frame.to_string(index=False))


if __name__ == "__main__":
    {"split": split, "cv": cv}[sys.argv[1]]()
