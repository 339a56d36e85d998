"""The self-contained tune_report.html: S4-style plots of every validation criterion against
each hyperparameter's values, the trials table, the best configuration and its test result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from genoclass.atomic import write_text_atomic
from genoclass.reporting.html import Section, image_html, pre_html, render_page, table_html
from genoclass.reporting.plots import figure_to_data_uri

#: validation criteria plotted per hyperparameter (loss on its own panel)
SCORE_CRITERIA = ("accuracy", "f1_macro", "mcc", "integrated_f1")


def plot_criteria(
    frame: pd.DataFrame, param: str, values: list[str], relative: list | None
) -> Figure:
    """Criteria (mean over the trials with each value) against the values of ``param``, in the
    listed order; ``relative`` adds the ordered grid's relative integrated F1 of that step."""
    grouped = frame.groupby(param, sort=False).mean(numeric_only=True).reindex(values)
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    x = range(len(values))
    for criterion in SCORE_CRITERIA:
        if criterion in grouped:
            left.plot(x, grouped[criterion], marker="o", label=criterion)
    if relative is not None:
        left.plot(x, relative, marker="s", ls="--", label="integrated_f1 (relative)")
    if "val_loss" in grouped:
        right.plot(x, grouped["val_loss"], marker="o", color="#b44")
    for ax, title in ((left, "validation scores"), (right, "validation loss")):
        ax.set_xticks(list(x), labels=values, rotation=30 if len(values) > 4 else 0)
        ax.set(xlabel=param, title=title)
        ax.grid(alpha=0.3)
    left.legend(fontsize=7)
    return fig


def write_tune_report(tune_dir: Path, space: dict[str, list[Any] | None]) -> Path:
    """Build ``tune_dir/tune_report.html`` from trials.csv, best.json and best_run/."""
    tune_dir = Path(tune_dir)
    trials = pd.read_csv(tune_dir / "trials.csv")
    best = json.loads((tune_dir / "best.json").read_text())
    steps = {s["param"]: s for s in best.get("steps", [])}
    complete = trials[trials["state"] == "COMPLETE"]
    plots = []
    for param, values in space.items():
        if param not in complete or values is None:
            continue
        rows = complete
        if param in steps and "step" in complete:
            rows = complete[complete["step"] == param]
        labels = [json.dumps(v) if isinstance(v, list) else str(v) for v in values]
        rows = rows.assign(**{param: rows[param].astype(str)})
        relative = (
            steps[param]["scores"]
            if best["objective"] == "integrated_f1" and param in steps
            else None
        )
        fig = plot_criteria(rows, param, labels, relative)
        plots.append(image_html(figure_to_data_uri(fig), f"criteria against {param}"))
    sections = [
        Section("Best configuration", pre_html(json.dumps(best, indent=2, default=str))),
        Section("Criteria against each hyperparameter (validation split)", "".join(plots)),
        Section("Test result of the best configuration", _best_run_html(tune_dir / "best_run")),
        Section("Trials", table_html(trials.drop(columns=["per_class_f1"], errors="ignore"))),
    ]
    subtitle = f"{best['strategy']} · objective {best['objective']} · {best['n_trials']} trials"
    page = render_page(f"genoclass tuning: {best['model']}", sections, subtitle=subtitle)
    return write_text_atomic(tune_dir / "tune_report.html", page)


def _best_run_html(run_dir: Path) -> str:
    path = run_dir / "metrics.json"
    if not path.is_file():
        return "<p>The best configuration was not retrained.</p>"
    test = json.loads(path.read_text())["test"]
    keys = ("accuracy", "f1_macro", "mcc", "integrated_f1", "sensitivity", "specificity")
    return table_html({k: test.get(k) for k in keys}) + f"<p>Run directory: {run_dir}</p>"
