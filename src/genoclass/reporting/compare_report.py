"""The self-contained comparison.html (and comparison.png) of a ``compare`` directory."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from genoclass.atomic import write_text_atomic, write_with
from genoclass.errors import InputError
from genoclass.io.run_files import RunFiles
from genoclass.reporting.html import (
    Section,
    final_name,
    format_mean_sd,
    format_value,
    heading_html,
    image_html,
    join_html,
    links_html,
    render_page,
    settings_html,
    table_html,
    text_html,
)
from genoclass.reporting.plots import figure_to_data_uri, plot_bars_with_error


def mean_sd_table(summary: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per model with ``mean ± sd`` strings for each of ``columns``."""
    table = pd.DataFrame({"model": summary["model"], "runs": summary["n"]})
    for col in columns:
        mean, sd = summary[f"{col}_mean"], summary[f"{col}_sd"]
        table[col] = [format_mean_sd(m, s) for m, s in zip(mean, sd, strict=True)]
    return table


def write_compare_report(out: Path) -> Path:
    """Build ``out/comparison.html`` and ``out/comparison.png`` (bar plot, mean ± sd of the
    comparison metric over seeds) from ``out/comparison.json`` and return the HTML path."""
    out = Path(out)
    path = out / "comparison.json"
    if not path.is_file():
        raise InputError("not a compare directory: comparison.json is missing", path=out)
    result = json.loads(path.read_text(encoding="utf-8"))
    runs = pd.DataFrame(result["runs"])
    summary = pd.DataFrame(result["summary"])
    metric = result["metric"]
    fig = plot_bars_with_error(runs, metric, title=f"test {metric} (mean ± sd over seeds)")
    write_with(out / "comparison.png", lambda temp: fig.savefig(temp, dpi=100, format="png"))
    columns = [c[: -len("_mean")] for c in summary.columns if c.endswith("_mean")]
    sections = [
        Section("Summary", _summary_html(result)),
        Section("Models (mean ± sd over seeds)", table_html(mean_sd_table(summary, columns))),
        Section(f"Test {metric}", image_html(figure_to_data_uri(fig), f"{metric} by model")),
        Section("Paired tests: best model vs each other", _tests_html(result)),
        Section("Runs", join_html([table_html(runs), _run_links(result)])),
        Section("How metrics are computed", table_html(_notes(result))),
        Section("Protocol", _protocol_html(result["protocol"])),
    ]
    if "selection" in result:
        sections.insert(1, Section("Selection on validation (--select)", _selection_html(result)))
    page = render_page("genoclass model comparison", sections, subtitle=final_name(out))
    return write_text_atomic(out / "comparison.html", page)


def _summary_html(result: dict) -> str:
    protocol = result["protocol"]
    lines = [
        f"Models: {', '.join(protocol['models'])}; seeds: {format_value(protocol['seeds'])} "
        f"({protocol['splits']}).",
        f"Best by mean test {result['metric']}: {result['best_model']}.",
        "Every (model, seed) pair used the same split: "
        + ("yes." if result.get("splits_identical") else "NO - check the run directories."),
    ]
    return join_html(text_html(line) for line in lines)


def _selection_html(result: dict) -> str:
    """The model and run ``--select`` chose, and every model's validation MCC."""
    chosen = result["selection"]
    rows = [
        {
            "model": row["model"],
            "validation MCC (mean ± sd)": format_mean_sd(row["val_mcc_mean"], row["val_mcc_sd"]),
            "per seed": ", ".join(
                f"{r['seed']}: {format_value(r['val_mcc'])}" for r in row["runs"]
            ),
        }
        for row in chosen["validation"]
    ]
    text = (
        f"Selected {chosen['chosen']} seed {chosen['seed']}: {chosen['selection']}. "
        f"Its run is copied to {chosen['directory']}/ (an ordinary run directory)."
    )
    link = links_html([(f"{chosen['directory']}/{RunFiles.REPORT}", "selected run report")])
    return join_html([text_html(text), table_html(rows), link])


def _protocol_html(protocol: dict) -> str:
    """The comparison's own choices, then the settings every run shared, as tables."""
    protocol = dict(protocol)
    shared = protocol.pop("config", None)
    parts = [settings_html(protocol)]
    if isinstance(shared, dict):
        parts += [heading_html("Settings shared by every run"), settings_html(shared)]
    return join_html(parts)


def _tests_html(result: dict) -> str:
    rows = [
        {
            "best": result["best_model"],
            "other": name,
            "pairs": test["n"],
            "mean difference": test["mean_diff"],
            "sd difference": test["sd_diff"],
            "paired t p-value": test["t_pvalue"],
            "Wilcoxon p-value": test["wilcoxon_pvalue"],
        }
        for name, test in result["paired_tests"].items()
    ]
    if not rows:
        return text_html("Only one model: nothing to test.", muted=True)
    leads = [text_html(lead["text"] + ".") for lead in result.get("leads", [])]
    return join_html([*leads, text_html(result["test_choice"]), table_html(rows)])


def _run_links(result: dict) -> str:
    links = [
        (f"runs/{r['model']}/seed{r['seed']}/{RunFiles.REPORT}", f"{r['model']} seed {r['seed']}")
        for r in result["runs"]
    ]
    return links_html(links, "Run reports:")


def _notes(result: dict) -> list[dict[str, str]]:
    return [{"metric": k, "definition": v} for k, v in result["averaging"].items()]
