"""Self-contained HTML report pages built from Jinja2 templates (package data in
``reporting/templates``: the page layout, its inline CSS and one macro per kind of block).

Autoescaping is on, so every title, cell and caption handed to these helpers is escaped by
the templates; the helpers return ``Markup`` that sections can concatenate. Pages embed their
CSS and images (``data:`` URIs only) and fetch nothing.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral, Real
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

#: text that reads as a number, an interval or a mean ± sd ("0.912 ± 0.010", "0.9 – 1.0")
_NUMERIC_TEXT = re.compile(r"[-−+]?[0-9][0-9.,e+-]*( (±|–) (< )?[-−+]?[0-9][0-9.,e+-]*)?")

#: suffix of a directory being written (``RUN.partial`` becomes ``RUN`` when complete)
STAGING_SUFFIX = ".partial"


@dataclass(frozen=True)
class Section:
    """One titled block of a report page; ``html`` is trusted markup built with this module's
    helpers (which escape their arguments)."""

    title: str
    html: str


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("genoclass.reporting", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _blocks() -> Any:
    return _environment().get_template("blocks.html.j2").module


def escape(text: object) -> str:
    """Return ``str(text)`` with HTML special characters (including quotes) escaped."""
    return html.escape(str(text), quote=True)


def final_name(directory: object) -> str:
    """The name a directory will have once written: ``RUN`` for the staging ``RUN.partial``."""
    name = getattr(directory, "name", str(directory))
    return name.removesuffix(STAGING_SUFFIX)


def format_value(value: object) -> str:
    """One number format for every page: integers as is (thousands separated from 10,000),
    floats with 3 decimals below 10, 1 decimal below 1,000 (none when whole) and none above,
    values under 0.001 in scientific notation with 2 significant digits, zero as ``0``;
    None/NaN as an en dash, booleans as yes/no, lists as ``a, b``."""
    if _missing(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, Real):
        return _format_float(float(value))
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def _format_float(x: float) -> str:
    size = abs(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    if size < 0.001:
        return f"{x:.1e}"
    if size < 10:
        return f"{x:.3f}"
    if size < 1000:
        return f"{x:.0f}" if x.is_integer() else f"{x:.1f}"
    return f"{x:,.0f}"


def format_interval(bounds: Sequence[float] | None) -> str:
    """A confidence interval ``[low, high]`` as ``low – high`` (en dash when absent)."""
    if not bounds or len(bounds) != 2:
        return "–"
    return f"{format_value(bounds[0])} – {format_value(bounds[1])}"


def format_mean_sd(mean: object, sd: object) -> str:
    """``mean ± sd`` in the page's number format (just the mean when sd is missing); an sd
    below 0.001 next to a larger mean reads ``< 0.001`` (floating-point noise otherwise
    shows as 1e-16)."""
    if _missing(sd) or not isinstance(sd, Real):
        return format_value(mean)
    tiny = isinstance(mean, Real) and abs(mean) >= 0.001 and 0 < abs(sd) < 0.001
    return f"{format_value(mean)} ± {'< 0.001' if tiny else format_value(sd)}"


def text_html(text: str, *, muted: bool = False) -> Markup:
    """A paragraph holding the escaped ``text``, greyed out when ``muted``."""
    return _blocks().paragraph(text, muted)


def heading_html(text: str) -> Markup:
    """A sub-heading inside a section."""
    return _blocks().heading(text)


def pre_html(text: str) -> Markup:
    """The escaped ``text`` in a preformatted block (for logs, code)."""
    return _blocks().preformatted(text)


def links_html(items: Iterable[tuple[str, str]], intro: str = "") -> Markup:
    """A bulleted list of ``(relative href, label)`` links, after an optional sentence."""
    return _blocks().links(intro, list(items))


def table_html(data: pd.DataFrame | Sequence[Mapping] | Mapping, *, index: bool = False) -> Markup:
    """Render a DataFrame, a list of records, or a mapping (as a two-column key/value table)
    as a horizontally scrollable table: every header and cell escaped, values formatted with
    ``format_value``, columns holding only numbers right-aligned; the DataFrame index only
    when ``index``."""
    frame = _as_frame(data)
    if index:
        frame = frame.reset_index()
    numeric = [_is_numeric(frame[c]) for c in frame.columns]
    rows = [
        [(format_value(v), right) for v, right in zip(record, numeric, strict=True)]
        for record in frame.itertuples(index=False)
    ]
    return _blocks().table([str(c) for c in frame.columns], rows)


def settings_html(settings: Mapping, *, key: str = "setting") -> Markup:
    """A two-column table of a nested mapping, nested keys joined by `` › `` and lists
    written as comma-separated values (for configurations and protocols)."""
    return table_html(
        pd.DataFrame(flatten_settings(settings), columns=[key, "value"], dtype=object)
    )


def grid_html(grid: Mapping[str, Mapping], *, row: str, total: bool = False) -> Markup:
    """A table of a two-level mapping ``{row name: {column: value}}`` (columns in first-seen
    order, missing cells as an en dash), with a ``total`` column of each row's sum when
    asked."""
    columns: list[object] = []
    for values in grid.values():
        columns += [c for c in values if c not in columns]
    records = []
    for name, values in grid.items():
        record: dict[str, object] = {row: name}
        record.update({str(c): values.get(c) for c in columns})
        if total:
            record["total"] = sum(v for v in values.values() if isinstance(v, Real))
        records.append(record)
    return table_html(pd.DataFrame(records, dtype=object))


def flatten_settings(mapping: Mapping, prefix: str = "") -> list[tuple[str, object]]:
    """``(label, value)`` pairs of a nested mapping in words: underscores become spaces,
    nested keys are joined by `` › ``, lists become comma-separated text."""
    rows: list[tuple[str, object]] = []
    for name, value in mapping.items():
        label = f"{prefix}{str(name).replace('_', ' ')}"
        if isinstance(value, Mapping) and value:
            rows += flatten_settings(value, f"{label} › ")
        elif isinstance(value, Mapping):
            rows.append((label, "–"))
        elif isinstance(value, list | tuple):
            rows.append((label, _inline_list(value)))
        else:
            rows.append((label, value))
    return rows


def _inline_list(values: list | tuple) -> str:
    """A list as one line of text; mappings in it as ``key value, key value`` items
    separated by semicolons."""
    if not values:
        return "–"
    if not any(isinstance(v, Mapping) for v in values):
        return format_value(list(values))
    items = [
        ", ".join(f"{str(k).replace('_', ' ')} {format_value(x)}" for k, x in v.items())
        if isinstance(v, Mapping)
        else format_value(v)
        for v in values
    ]
    return "; ".join(items)


def image_html(data_uri: str, alt: str) -> Markup:
    """An ``<img>`` tag for an embedded ``data:`` URI; any other source is refused so
    reports stay self-contained."""
    if not data_uri.startswith("data:"):
        raise ValueError("image_html only embeds data: URIs so the report works offline")
    return _blocks().image(data_uri, alt)


def join_html(parts: Iterable[str]) -> Markup:
    """Concatenate trusted markup pieces (the output of this module's helpers)."""
    return Markup("").join(Markup(p) for p in parts)


def render_page(title: str, sections: list[Section], subtitle: str = "") -> str:
    """A complete, self-contained HTML document: a header (``title``, ``subtitle``), a
    navigation bar linking to each section, and the sections in order."""
    anchors = _anchors([s.title for s in sections])
    pairs = [
        (anchor, Section(s.title, Markup(s.html)))
        for anchor, s in zip(anchors, sections, strict=True)
    ]
    page = _environment().get_template("page.html.j2")
    return page.render(title=title, subtitle=subtitle, sections=pairs) + "\n"


def _as_frame(data: pd.DataFrame | Sequence[Mapping] | Mapping) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        return pd.DataFrame({"name": list(data), "value": list(data.values())}, dtype=object)
    return pd.DataFrame.from_records(list(data))


def _is_numeric(column: pd.Series) -> bool:
    """Whether every filled cell of ``column`` is a number, or text made of numbers such as
    ``0.912 ± 0.010`` (such columns align right and do not wrap)."""
    values = [v for v in column if not _missing(v)]
    return bool(values) and all(
        (isinstance(v, Real) and not isinstance(v, bool))
        or (isinstance(v, str) and _NUMERIC_TEXT.fullmatch(v) is not None)
        for v in values
    )


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _anchors(titles: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    anchors = []
    for title in titles:
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"
        seen[slug] = seen.get(slug, 0) + 1
        anchors.append(slug if seen[slug] == 1 else f"{slug}-{seen[slug]}")
    return anchors
