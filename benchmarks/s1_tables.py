"""Print the markdown tables of BENCHMARKS.md's S1 section from benchmarks/results.

python benchmarks/s1_tables.py human_len1000_early_stopping
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
METRICS = ("accuracy", "precision_macro", "recall_macro", "f1_macro", "mcc", "roc_auc")
#: S1's reported accuracy / AUC (random split, thresholded precision/recall; SEEDS.md)
S1_REPORTED = {
    "cnn": (0.7486, 0.9464),
    "lstm": (0.7395, 0.9235),
    "gru": (0.7263, 0.9181),
    "bilstm": (0.7397, 0.9255),
    "cnn_lstm": (0.5947, 0.8619),
    "cnn_gru": (0.5571, 0.8422),
    "cnn_bilstm": (0.6110, 0.8696),
}


def _pm(row: pd.Series, column: str, digits: int = 3) -> str:
    mean, sd = row[f"{column}_mean"], row[f"{column}_sd"]
    return f"{mean:.{digits}f}" + ("" if pd.isna(sd) else f" ± {sd:.{digits}f}")


def summary_table(tag: str) -> str:
    """Mean ± sd per model (best first by the comparison's metric), cross-data accuracy
    when scored, S1's figures beside."""
    frame = pd.read_csv(RESULTS / f"s1_{tag}_comparison.csv")
    metric = json.loads((RESULTS / f"s1_{tag}_comparison.json").read_text())["metric"]
    cross = [c[: -len("_mean")] for c in frame if c.startswith("accuracy@") and c.endswith("_mean")]
    head = ["model", "seeds", *METRICS, *(c.replace("accuracy@", "acc ") for c in cross)]
    head += ["params", "train s", "epochs", "infer seq/s"]
    with_s1 = tag.startswith("human")
    if with_s1:
        head += ["S1 acc / AUC"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, row in frame.sort_values(f"{metric}_mean", ascending=False).iterrows():
        cells = [str(row["model"]), str(int(row["n"]))]
        cells += [_pm(row, m) for m in (*METRICS, *cross)]
        cells += [f"{row['params_mean']:,.0f}", f"{row['train_seconds_mean']:,.0f}"]
        epochs = row.get("epochs_run_mean")
        cells += ["–" if pd.isna(epochs) else f"{epochs:.1f}"]
        cells += [f"{row['inference_seq_per_s_mean']:,.0f}"]
        if with_s1:
            reported = S1_REPORTED.get(str(row["model"]))
            cells += [f"{reported[0]:.3f} / {reported[1]:.3f}" if reported else ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tests_table(tag: str) -> str:
    """The paired tests of the best model against each other one."""
    result = json.loads((RESULTS / f"s1_{tag}_comparison.json").read_text())
    lines = [
        f"Best by mean test {result['metric']}: **{result['best_model']}**.",
        "",
        "| other | pairs | mean difference | sd | paired t p |",
        "|---|---|---|---|---|",
    ]
    for name, test in result["paired_tests"].items():
        cells = [
            _number(test["mean_diff"], "+.4f"),
            _number(test["sd_diff"], ".4f"),
            _number(test["t_pvalue"], ".2g"),
        ]
        lines.append(f"| {name} | {test['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _number(value: float | None, spec: str) -> str:
    return "–" if value is None or pd.isna(value) else format(value, spec)


def main() -> None:
    """Print the tables of one comparison tag."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tag", help="e.g. human_len1000_early_stopping")
    args = parser.parse_args()
    print(summary_table(args.tag), "\n", tests_table(args.tag), sep="\n")


if __name__ == "__main__":
    main()
