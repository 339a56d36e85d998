"""The self-contained tune_report.html: plots of every validation criterion against each
hyperparameter's values (the ordered-grid protocol of the tuning study), the search in
words, the trials table, and the test result of the best configuration."""

from __future__ import annotations

import json
import numbers
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from genoclass.atomic import write_text_atomic
from genoclass.io.run_files import RunFiles
from genoclass.reporting.html import (
    Section,
    final_name,
    format_value,
    heading_html,
    image_html,
    join_html,
    links_html,
    render_page,
    table_html,
    text_html,
)
from genoclass.reporting.plots import figure_to_data_uri

#: validation criteria plotted per hyperparameter (loss on its own panel)
SCORE_CRITERIA = ("accuracy", "f1_macro", "mcc", "integrated_f1")


def plot_criteria(
    frame: pd.DataFrame, param: str, values: list[str], relative: list | None
) -> Figure:
    """Criteria against the values of ``param`` in the listed order: ``frame`` has a
    ``value_index`` column (position of each trial's value in ``values``) and each point is
    the mean of the trials with that value; ``relative`` adds the ordered grid's relative
    integrated F1 of that step."""
    grouped = frame.groupby("value_index").mean(numeric_only=True).reindex(range(len(values)))
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


def same_value(a: Any, b: Any) -> bool:
    """Whether a value read back from trials.csv equals a search-space value (``1`` and
    ``1.0`` are the same number; lists compare by their JSON text)."""
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return float(a) == float(b)
    return _text(a) == _text(b)


def value_index(column: pd.Series, values: list[Any]) -> pd.Series:
    """Position in ``values`` of each entry of ``column`` (-1 where none matches)."""
    return column.map(lambda v: next((i for i, w in enumerate(values) if same_value(v, w)), -1))


def step_trials(
    complete: pd.DataFrame, steps: list[dict[str, Any]], order: list[str], param: str
) -> pd.DataFrame:
    """The completed trials of the ordered-grid step that varied ``param``: every trial whose
    other hyperparameters hold that step's values (the choices of earlier steps, the starting
    values of later ones), including a trial the step reused from an earlier step (it is
    tagged with that earlier step in trials.csv, so filtering on the tag would drop it)."""
    position = order.index(param)
    held = {s["param"]: s["chosen"] for s in steps if order.index(s["param"]) < position}
    tagged = complete[complete["step"] == param] if "step" in complete else complete.iloc[:0]
    reference = tagged if not tagged.empty else complete[complete["step"] == order[0]]
    for name in order[position + 1 :]:
        if not reference.empty and name in reference:
            held[name] = reference[name].iloc[0]
    keep = pd.Series(True, index=complete.index)
    for name, value in held.items():
        if name in complete:
            keep &= complete[name].map(lambda v, w=value: same_value(v, w))
    return complete[keep]


def write_tune_report(tune_dir: Path, space: dict[str, list[Any] | None]) -> Path:
    """Build ``tune_dir/tune_report.html`` from trials.csv, best.json and best_run/."""
    tune_dir = Path(tune_dir)
    trials = pd.read_csv(tune_dir / "trials.csv")
    best = json.loads((tune_dir / "best.json").read_text())
    sections = [
        Section("Best configuration", _best_html(best)),
        Section(
            "Criteria against each hyperparameter (validation split)",
            _criteria_html(trials, best, space),
        ),
        Section("Test result of the best configuration", _best_run_html(tune_dir / "best_run")),
        Section("Trials", table_html(trials.drop(columns=["per_class_f1"], errors="ignore"))),
    ]
    subtitle = (
        f"{best['strategy']} · objective {best['objective']} · {best['n_trials']} trials · "
        f"{final_name(tune_dir)}"
    )
    page = render_page(f"genoclass tuning: {best['model']}", sections, subtitle=subtitle)
    return write_text_atomic(tune_dir / "tune_report.html", page)


def _criteria_html(trials: pd.DataFrame, best: dict, space: dict[str, list[Any] | None]) -> str:
    complete = trials[trials["state"] == "COMPLETE"]
    steps = best.get("steps", [])
    by_param = {s["param"]: s for s in steps}
    order = [s["param"] for s in steps]
    plots = []
    for param, values in space.items():
        if param not in complete or values is None:
            continue
        rows = step_trials(complete, steps, order, param) if param in by_param else complete
        labels = [_text(v) for v in values]
        rows = rows.assign(value_index=value_index(rows[param], values))
        relative = (
            by_param[param]["scores"]
            if best["objective"] == "integrated_f1" and param in by_param
            else None
        )
        fig = plot_criteria(rows, param, labels, relative)
        plots.append(image_html(figure_to_data_uri(fig), f"criteria against {param}"))
    note = "Each point is the mean of the completed trials with that value" + (
        "; for the ordered grid, the trials of the step that varied it." if steps else "."
    )
    return join_html([text_html(note, muted=True), *plots])


def _best_html(best: dict) -> str:
    """The search in words: strategy, objective, the best values, and (ordered grid) what
    each step tried and chose."""
    facts = {
        "model": best["model"],
        "strategy": best["strategy"],
        f"objective ({best.get('objective_split', 'val')} split)": best["objective"],
        "trials": best["n_trials"],
        "order of the hyperparameters": ", ".join(best.get("order", [])),
    }
    parts = [table_html(facts), heading_html("Best values")]
    parts.append(
        table_html(
            pd.DataFrame(
                [{"hyperparameter": k, "value": _text(v)} for k, v in best["best"].items()],
                dtype=object,
            )
        )
    )
    if best.get("steps"):
        parts += [heading_html("Ordered grid: one hyperparameter at a time"), _steps_html(best)]
    return join_html(parts)


def _steps_html(best: dict) -> str:
    records = [
        {
            "step": step["step"],
            "hyperparameter": step["param"],
            "values tried": ", ".join(_text(v) for v in step["values"]),
            f"{best['objective']} per value": ", ".join(format_value(x) for x in step["scores"]),
            "chosen": _text(step["chosen"]),
        }
        for step in best["steps"]
    ]
    return table_html(pd.DataFrame(records, dtype=object))


def _best_run_html(run_dir: Path) -> str:
    files = RunFiles(run_dir)
    if not files.finished():
        return text_html("The best configuration was not retrained.", muted=True)
    test = files.read_metrics()["test"]
    keys = ("accuracy", "f1_macro", "mcc", "integrated_f1", "sensitivity", "specificity")
    link = links_html([(f"best_run/{RunFiles.REPORT}", "run report of the best configuration")])
    return join_html([table_html({k: test.get(k) for k in keys}), link])


def _text(value: Any) -> str:
    """A hyperparameter value as written in the search space (lists and mappings as JSON)."""
    return json.dumps(value) if isinstance(value, list | dict) else str(value)
