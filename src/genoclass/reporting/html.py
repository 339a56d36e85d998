"""A tiny builder for self-contained HTML reports (inline CSS, no external resources)."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import pandas as pd

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  margin: 0; color: #1f2933; background: #f5f7fa; line-height: 1.45; }
header { background: #243b53; color: #fff; padding: 1.2rem 2rem; }
header h1 { margin: 0; font-size: 1.6rem; }
header p { margin: .3rem 0 0; color: #d9e2ec; }
nav { padding: .6rem 2rem; background: #fff; border-bottom: 1px solid #d9e2ec; }
nav a { margin-right: 1rem; color: #334e68; text-decoration: none; font-size: .9rem; }
main { padding: 1rem 2rem 3rem; max-width: 1200px; }
section { background: #fff; border: 1px solid #d9e2ec; border-radius: 6px;
  padding: .8rem 1.2rem 1.2rem; margin: 1rem 0; }
h2 { font-size: 1.2rem; color: #243b53; border-bottom: 1px solid #e4e7eb;
  padding-bottom: .3rem; }
table { border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }
th, td { border: 1px solid #d9e2ec; padding: .25rem .6rem; text-align: left; }
th { background: #f0f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafbfc; }
img { max-width: 100%; height: auto; margin: .5rem 1rem .5rem 0; vertical-align: top; }
pre { background: #f0f4f8; padding: .8rem; overflow-x: auto; font-size: .85rem; }
.muted { color: #627d98; }
"""


@dataclass(frozen=True)
class Section:
    """One titled block of a report page; ``html`` is trusted markup built with this module's
    helpers (escape user text with ``escape`` or ``text_html`` before putting it here)."""

    title: str
    html: str


def escape(text: object) -> str:
    """Return ``str(text)`` with HTML special characters (including quotes) escaped."""
    return html.escape(str(text), quote=True)


def text_html(text: str, *, muted: bool = False) -> str:
    """Return a paragraph holding the escaped ``text``, greyed out when ``muted``."""
    css = ' class="muted"' if muted else ""
    return f"<p{css}>{escape(text)}</p>"


def pre_html(text: str) -> str:
    """Return the escaped ``text`` in a preformatted block (for configs, logs, code)."""
    return f"<pre>{escape(text)}</pre>"


def format_value(value: object, digits: int = 4) -> str:
    """Format one table cell as text: floats to ``digits`` significant digits, integers as
    is, None/NaN as an en dash, lists of numbers as ``[a, b]``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool | Integral):
        return str(value)
    if isinstance(value, Real):
        return f"{float(value):.{digits}g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v, digits) for v in value) + "]"
    return str(value)


def table_html(data: pd.DataFrame | Sequence[Mapping] | Mapping, *, index: bool = False) -> str:
    """Render a DataFrame, a list of records, or a mapping (as a two-column key/value table)
    as an HTML table with every header and cell escaped and numbers right-aligned; the
    DataFrame index is shown only when ``index`` is true."""
    frame = _as_frame(data)
    if index:
        frame = frame.reset_index()
    head = "".join(f"<th>{escape(c)}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = "".join(_cell(v) for v in record)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def image_html(data_uri: str, alt: str) -> str:
    """Return an ``<img>`` tag for an embedded ``data:`` URI; any other source is refused so
    reports stay self-contained."""
    if not data_uri.startswith("data:"):
        raise ValueError("image_html only embeds data: URIs so the report works offline")
    return f'<img src="{escape(data_uri)}" alt="{escape(alt)}">'


def render_page(title: str, sections: list[Section], subtitle: str = "") -> str:
    """Return a complete, self-contained HTML document with a header (escaped ``title`` and
    ``subtitle``), a navigation bar linking to each section, and the sections in order."""
    anchors = _anchors([s.title for s in sections])
    pairs = list(zip(anchors, sections, strict=True))
    nav = "".join(f'<a href="#{a}">{escape(s.title)}</a>' for a, s in pairs)
    body = "".join(
        f'<section id="{a}"><h2>{escape(s.title)}</h2>{s.html}</section>' for a, s in pairs
    )
    sub = f"<p>{escape(subtitle)}</p>" if subtitle else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>{sub}</header>"
        f"<nav>{nav}</nav><main>{body}</main></body></html>\n"
    )


def _as_frame(data: pd.DataFrame | Sequence[Mapping] | Mapping) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        return pd.DataFrame({"name": list(data.keys()), "value": list(data.values())})
    return pd.DataFrame.from_records(list(data))


def _cell(value: object) -> str:
    is_number = isinstance(value, Real) and not isinstance(value, bool)
    css = ' class="num"' if is_number else ""
    return f"<td{css}>{escape(format_value(value))}</td>"


def _anchors(titles: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    anchors = []
    for title in titles:
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"
        seen[slug] = seen.get(slug, 0) + 1
        anchors.append(slug if seen[slug] == 1 else f"{slug}-{seen[slug]}")
    return anchors
