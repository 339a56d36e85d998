"""The self-contained explain.html of one ``genoclass explain`` output directory."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from genoclass.atomic import write_text_atomic
from genoclass.reporting.html import Section, escape, image_html, render_page, table_html, text_html
from genoclass.reporting.plots import figure_to_data_uri


@dataclass
class ExplainPage:
    """What explain.html shows: a summary mapping, tables and figures per section title."""

    title: str
    summary: dict[str, object]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, list[tuple[str, Figure]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def figures_html(figures: list[tuple[str, Figure]]) -> str:
    """Embedded PNG images of ``(alt text, figure)`` pairs (figures are closed)."""
    return "".join(image_html(figure_to_data_uri(fig), alt) for alt, fig in figures)


def write_explain_report(page: ExplainPage, out_dir: Path, run_report: Path | None) -> Path:
    """Write ``out_dir/explain.html`` (self-contained: images embedded) with a link back to
    the run's report when given, and return its path."""
    link = ""
    if run_report is not None and run_report.is_file():
        target = os.path.relpath(run_report, out_dir)
        link = f'<p><a href="{escape(target)}">Back to the run report</a></p>'
    sections = [Section("Summary", link + table_html(page.summary))]
    sections += [Section(t, table_html(frame)) for t, frame in page.tables.items()]
    sections += [Section(t, figures_html(figs)) for t, figs in page.figures.items()]
    if page.notes:
        sections.append(Section("How to read this page", "".join(text_html(n) for n in page.notes)))
    return write_text_atomic(Path(out_dir) / "explain.html", render_page(page.title, sections))
