"""The self-contained qc.html page of ``genoclass data qc``: checks, class balance, per-class
distributions, shortcuts, duplicates and leakage."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from genoclass.reporting.html import (
    Section,
    image_html,
    pre_html,
    render_page,
    table_html,
    text_html,
)
from genoclass.reporting.plots import figure_to_data_uri

#: per-row values plotted per class, with their axis titles
_DISTRIBUTIONS = {
    "length": "length (nt)",
    "gc": "GC fraction",
    "n_fraction": "N fraction",
    "library_size": "library size (sum of values)",
    "zero_fraction": "fraction of zero values",
}


def plot_class_balance(counts: dict) -> Figure:
    """Bar chart of rows per class, one bar group per split."""
    frame = pd.DataFrame(counts["per_split"]).fillna(0)
    fig = Figure(figsize=(max(4.5, 0.6 * len(frame) + 3), 3.4), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(len(frame.columns), 1)
    x = np.arange(len(frame))
    for i, split in enumerate(frame.columns):
        ax.bar(x + i * width, frame[split], width, label=split)
    ax.set_xticks(x + width * (len(frame.columns) - 1) / 2, [str(c) for c in frame.index])
    ax.set(ylabel="rows", title="Class balance")
    ax.legend(fontsize=8)
    return fig


def plot_distribution(rows: pd.DataFrame, column: str) -> Figure:
    """Overlaid per-class histograms of one per-row value (shared bins, density scale)."""
    fig = Figure(figsize=(5.5, 3.4), layout="constrained")
    ax = fig.subplots()
    values = rows[column].astype(float)
    bins = np.histogram_bin_edges(values[np.isfinite(values)], bins=40)
    for label, part in rows.groupby("label"):
        ax.hist(part[column], bins=bins, density=True, histtype="step", lw=1.4, label=str(label))
    ax.set(xlabel=_DISTRIBUTIONS.get(column, column), ylabel="density", title=column)
    ax.legend(fontsize=7)
    return fig


def plot_shortcuts(shortcuts: dict) -> Figure:
    """Horizontal bars of the highest single-feature AU-ROCs with the 0.6 / 0.7 lines."""
    top = shortcuts["top"][::-1]
    fig = Figure(figsize=(5.5, 0.3 * len(top) + 1.4), layout="constrained")
    ax = fig.subplots()
    colours = {"pass": "#3f9142", "warn": "#d9a400", "fail": "#c23b22"}
    ax.barh([t["feature"] for t in top], [t["auroc"] for t in top],
            color=[colours[t["status"]] for t in top])  # fmt: skip
    for line in (0.6, 0.7):
        ax.axvline(line, color="grey", ls="--", lw=0.8)
    ax.set(xlim=(0.5, 1.0), xlabel="AU-ROC (one feature alone)", title="Shortcut features")
    return fig


def plot_components(rows: pd.DataFrame) -> Figure:
    """Samples on the first two principal components, coloured by class."""
    fig = Figure(figsize=(5, 4), layout="constrained")
    ax = fig.subplots()
    for label, part in rows.groupby("label"):
        ax.scatter(part["PC1"], part["PC2"], s=10, label=str(label))
    ax.set(xlabel="PC1", ylabel="PC2", title="Principal components")
    ax.legend(fontsize=7)
    return fig


def _image(fig: Figure, alt: str) -> str:
    return image_html(figure_to_data_uri(fig), alt)


def _checks_html(report: dict) -> str:
    records = [
        {
            "check": c["name"],
            "status": c["status"].upper(),
            "value": json.dumps(c["value"], default=str),
            "fix": c["fix"],
        }
        for c in report["checks"]
    ]
    return text_html(f"Overall: {report['status'].upper()}") + table_html(records)


def _distributions_html(rows: pd.DataFrame) -> str:
    images = [_image(plot_distribution(rows, c), c) for c in _DISTRIBUTIONS if c in rows]
    if {"PC1", "PC2"} <= set(rows.columns):
        images.append(_image(plot_components(rows), "principal components"))
    return "".join(images)


def _leakage_html(report: dict) -> str:
    if report["kind"] == "expression":
        near = report["near_identical"]
        parts = [
            text_html(
                f"Sample pairs correlated >= {near['threshold']}: {near['pairs_same_class']} "
                f"within a class, {near['pairs_other_class']} across classes."
            )
        ]
        across = near["across_splits"]
    else:
        exact = report["leakage"]["exact_and_reverse_complement"]
        parts = [
            table_html(
                [
                    {"splits": p, "exact": n, "reverse complement": exact["reverse_complement"][p]}
                    for p, n in exact["exact"].items()
                ]
            )
        ]
        across = {
            f"{pair} at {t}": block
            for pair, blocks in report["leakage"]["near_duplicates"].items()
            for t, block in blocks.items()
        }
    parts.append(
        table_html(
            [{"splits": k, "rows": b["rows"], "share": b["share"]} for k, b in across.items()]
        )
    )
    examples = [dict(e, where=k) for k, b in across.items() for e in b["examples"]]
    if examples:
        parts.append(text_html("Examples:") + table_html(examples))
    return "".join(parts)


def render_qc_page(report: dict, rows: pd.DataFrame, title: str) -> str:
    """The complete HTML page of a QC report and its per-row values."""
    sections = [
        Section("Checks", _checks_html(report)),
        Section(
            "Class balance",
            text_html(f"Splits: {report['split_source']}")
            + _image(plot_class_balance(report["classes"]), "class balance")
            + table_html(pd.DataFrame(report["classes"]["per_split"]).fillna(0), index=True),
        ),
        Section("Distributions per class", _distributions_html(rows)),
        Section(
            "Single-feature shortcuts",
            text_html(report["shortcuts"]["definition"], muted=True)
            + _image(plot_shortcuts(report["shortcuts"]), "shortcut AU-ROCs")
            + table_html([{"kind": k, **v} for k, v in report["shortcuts"]["by_kind"].items()]),
        ),
        Section("Leakage between splits", _leakage_html(report)),
    ]
    if report["kind"] == "sequences":
        sections.append(Section("Duplicates", pre_html(json.dumps(report["duplicates"], indent=2))))
        clusters = {k: v for k, v in report["similarity_clusters"].items() if k != "per_class"}
        sections.append(Section("Similarity clusters", pre_html(json.dumps(clusters, indent=2))))
    else:
        sections.append(
            Section(
                "Principal components",
                table_html(report["principal_components"]["components"]),
            )
        )
    subtitle = f"{report['kind']} · {report['rows']} rows · status {report['status'].upper()}"
    return render_page(title, sections, subtitle)
