"""The self-contained explain.html of one ``genoclass explain`` output directory."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from genoclass.atomic import write_text_atomic
from genoclass.reporting.html import (
    Section,
    image_html,
    join_html,
    links_html,
    render_page,
    table_html,
    text_html,
)
from genoclass.reporting.plots import figure_to_data_uri

MOTIF_TABLE = "Motifs and JASPAR matches"
REJECTED_TABLE = "Motif candidates not reported"


@dataclass
class ExplainPage:
    """What explain.html shows: a summary mapping, tables and figures per section title,
    sentences opening a section (``section_notes``) and closing notes."""

    title: str
    summary: dict[str, object]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, list[tuple[str, Figure]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    section_notes: dict[str, list[str]] = field(default_factory=dict)


def figures_html(figures: list[tuple[str, Figure]]) -> str:
    """Embedded PNG images of ``(alt text, figure)`` pairs (figures are closed)."""
    return join_html(image_html(figure_to_data_uri(fig), alt) for alt, fig in figures)


def motif_tables(motifs: pd.DataFrame, rejected: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The page's motif tables in words: reported motifs (a JASPAR name only where the match
    passed the E-value cut-off, the best hit's E-value always) and the rejected candidates
    with the reason; the full columns stay in motifs.csv."""
    reported = pd.DataFrame(
        {
            "motif": motifs.get("motif", pd.Series(dtype=object)),
            "class": motifs.get("class", pd.Series(dtype=object)),
            "seqlets": _support(motifs),
            "width (nt)": motifs.get("width"),
            "consensus": motifs.get("consensus"),
            "information (bits)": motifs.get("information_bits"),
            "mean contribution": motifs.get("mean_contribution"),
            "JASPAR match": [_match_text(row) for _, row in motifs.iterrows()],
            "best hit E-value": motifs.get("tomtom_evalue"),
            "best hit p-value": motifs.get("tomtom_pvalue"),
            "alignment": [_alignment_text(row) for _, row in motifs.iterrows()],
            "Pearson r": motifs.get("pearson_r"),
            "other matches": motifs.get("next_matches"),
        },
        dtype=object,
    )
    tables = {MOTIF_TABLE: reported}
    if not rejected.empty:
        tables[REJECTED_TABLE] = pd.DataFrame(
            {
                "class": rejected["class"],
                "cluster": rejected["cluster"],
                "seqlets": _support(rejected),
                "width (nt)": rejected["width"],
                "information (bits)": rejected["information_bits"],
                "consensus": rejected["consensus"],
                "not reported because": rejected["rejected_because"],
            },
            dtype=object,
        )
    return tables


def _support(frame: pd.DataFrame) -> list[str]:
    if frame.empty or "n_seqlets" not in frame:
        return []
    return [
        f"{r.n_seqlets} in {r.n_sequences} of {r.n_explained} sequences" for r in frame.itertuples()
    ]


def _match_text(row: pd.Series) -> str:
    if isinstance(row.get("jaspar_id"), str):
        return f"{row['jaspar_name']} ({row['jaspar_id']})"
    return "none below the E-value cut-off"


def _alignment_text(row: pd.Series) -> str | None:
    if not isinstance(row.get("jaspar_id"), str):
        return None
    return f"strand {row['strand']}, offset {int(row['offset'])}, overlap {int(row['overlap'])}"


def write_explain_report(page: ExplainPage, out_dir: Path, run_report: Path | None) -> Path:
    """Write ``out_dir/explain.html`` (self-contained: images embedded) with a link back to
    the run's report when given, and return its path."""
    link = ""
    if run_report is not None and run_report.is_file():
        link = links_html([(os.path.relpath(run_report, out_dir), "Back to the run report")])
    sections = [Section("Summary", join_html([link, table_html(page.summary)]))]
    for title, frame in page.tables.items():
        body = table_html(frame) if not frame.empty else text_html("None.", muted=True)
        sections.append(Section(title, join_html([*_notes_html(page, title), body])))
    sections += [
        Section(t, join_html([*_notes_html(page, t), figures_html(figs)]))
        for t, figs in page.figures.items()
    ]
    if page.notes:
        sections.append(
            Section("How to read this page", join_html(text_html(n) for n in page.notes))
        )
    return write_text_atomic(Path(out_dir) / "explain.html", render_page(page.title, sections))


def _notes_html(page: ExplainPage, title: str) -> list[str]:
    return [text_html(n, muted=True) for n in page.section_notes.get(title, [])]
