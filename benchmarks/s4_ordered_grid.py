"""S4's ordered grid search for expr_cnn on tcga_rtcga_rsem_6cohorts (S4 split, S4
preprocessing), objective: integrated F1 on the validation split (relative scale per step).
Resumable: re-running continues the Optuna study in the tune directory.

Usage: python benchmarks/s4_ordered_grid.py [EPOCHS]   (default 6 epochs per trial, peak lr 3e-4)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from s4_common import RESULTS, WORK, config

from genoclass.workflows.tune import run_tune

S4_CHOICE = {
    "output_activation": "softmax",
    "dense_activation": "selu",
    "conv_activation": "sigmoid",
    "pool_size": 2,
    "dense_units": 64,
    "kernel_size": 3,
    "filters": 32,
    "n_conv_layers": 1,
}

if __name__ == "__main__":
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    out = WORK / "tcga_rtcga_rsem_6cohorts" / "ordered_grid"
    cfg = config("tcga_rtcga_rsem_6cohorts", "expr_cnn", out, epochs=epochs, lr=3e-4)
    run_tune(cfg, Path(__file__).parent / "s4_space.yaml", objective="integrated_f1")
    best = json.loads((out / "best.json").read_text())
    test = json.loads((out / "best_run" / "metrics.json").read_text())["test"]
    summary = {
        "epochs_per_trial": epochs,
        "chosen": best["best"],
        "s4": S4_CHOICE,
        "steps": best["steps"],
        "n_trials": best["n_trials"],
        "best_config_test": {k: test[k] for k in ("accuracy", "f1_macro", "integrated_f1")},
    }
    (RESULTS / "s4_ordered_grid.json").write_text(json.dumps(summary, indent=2))
    for step in best["steps"]:
        print(step["param"], step["values"], [round(s, 3) for s in step["scores"]], step["chosen"])
    print("test", summary["best_config_test"])
