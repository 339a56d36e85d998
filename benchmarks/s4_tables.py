"""Print the markdown tables of BENCHMARKS.md's S4 section from benchmarks/results."""

from __future__ import annotations

import json

import pandas as pd
from s4_common import RESULTS


def _pm(mean: float, sd: float) -> str:
    return f"{mean:.3f} ± {sd:.3f}"


def split_table() -> str:
    rows = json.loads((RESULTS / "s4_tcga_split.json").read_text())
    lines = [
        "| model | test accuracy (95 % CI) | correct | macro F1 | MCC | integrated F1 (fixed) |",
        "|---|---|---|---|---|---|",
    ]
    for model, r in rows.items():
        ci = r["ci95"]["accuracy"]
        lines.append(
            f"| {model} | {r['accuracy']:.3f} ({ci[0]:.3f}–{ci[1]:.3f}) | {r['correct']}/"
            f"{r['n_test']} | {r['f1_macro']:.3f} | {r['mcc']:.3f} | {r['integrated_f1']:.3f} |"
        )
    return "\n".join(lines)


def cv_table(path: str) -> str:
    frame = pd.read_csv(RESULTS / path)
    has_set = "dataset" in frame
    head = "| data set | preprocessing | " if has_set else "| "
    lines = [
        head + "model | accuracy mean ± sd | integrated F1 fixed mean ± sd | integrated F1 "
        "relative |",
        "|---|---|" + ("---|---|" if has_set else "") + "---|---|",
    ]
    for _, r in frame.iterrows():
        start = f"| {r['dataset']} | {r['preprocess']} | " if has_set else "| "
        lines.append(
            start + f"{r['model']} | {_pm(r['accuracy_mean'], r['accuracy_sd'])} | "
            f"{_pm(r['integrated_f1_fixed_mean'], r['integrated_f1_fixed_sd'])} | "
            f"{r['integrated_f1_relative']:.3f} |"
        )
    return "\n".join(lines)


def grid_table() -> str:
    grid = json.loads((RESULTS / "s4_ordered_grid.json").read_text())
    lines = [
        "| step | hyperparameter | values tried | relative integrated F1 (val) | chosen | S4 |"
    ]
    lines.append("|---|---|---|---|---|---|")
    for step in grid["steps"]:
        scores = ", ".join(f"{s:.2f}" for s in step["scores"])
        lines.append(
            f"| {step['step']} | {step['param']} | {step['values']} | {scores} | "
            f"{step['chosen']} | {grid['s4'][step['param']]} |"
        )
    return "\n".join(lines) + f"\n\nBest configuration on test: {grid['best_config_test']}"


if __name__ == "__main__":
    for name, make in (
        ("split", split_table),
        ("tcga cv", lambda: cv_table("s4_tcga_cv.csv")),
        ("all sets", lambda: cv_table("s4_all_sets_cv.csv")),
        ("grid", grid_table),
    ):
        try:
            print(f"### {name}\n\n{make()}\n")
        except FileNotFoundError as exc:
            print(f"### {name}\n\n(pending: {exc.filename})\n")
