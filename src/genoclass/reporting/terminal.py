"""Plain-text tables for the terminal: aligned columns, scores with 3 decimals, mean ± sd
cells; the CSV files on disk keep every digit."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real

import pandas as pd

from genoclass.reporting.html import format_value

#: columns whose values are counts, sizes or times rather than scores in [-1, 1]: shown in
#: the reports' number format instead of 3 decimals
FACTS = (
    "n",
    "n_test",
    "params",
    "train_seconds",
    "inference_seq_per_s",
    "epochs_run",
    "seed",
    "fold",
)


def cell(value: object, column: str = "") -> str:
    """One value as shown: scores with 3 decimals, facts (``FACTS``) as in the reports, a
    missing value as ``n/a``."""
    if _missing(value):
        return "n/a"
    if isinstance(value, bool | str) or column.split("@")[0] in FACTS:
        return format_value(value)
    return f"{float(value):.3f}" if isinstance(value, Real) else str(value)


def mean_sd_column(means: Sequence[object], sds: Sequence[object], column: str = "") -> list[str]:
    """``"0.912 ± 0.010"`` cells of one column, means and sds each padded to one width so
    that the ``±`` signs line up (just the means when no row has an sd, e.g. one run)."""
    mean_text = [cell(m, column) for m in means]
    sd_text = [None if _missing(sd) else cell(sd, column) for sd in sds]
    if all(sd is None for sd in sd_text):
        return mean_text
    mean_width = max(len(m) for m in mean_text)
    sd_width = max(len(sd or "n/a") for sd in sd_text)
    return [
        f"{m.rjust(mean_width)} ± {(sd or 'n/a').rjust(sd_width)}"
        for m, sd in zip(mean_text, sd_text, strict=True)
    ]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, Real) and math.isnan(value))


def aligned_table(rows: Sequence[Mapping[str, str]], left: Sequence[str] = ()) -> str:
    """Rows of text cells as an aligned table under a header of their keys: the ``left``
    columns left-aligned, every other column right-aligned, two spaces between columns."""
    columns = list(rows[0]) if rows else []
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}

    def line(cells: Mapping[str, str]) -> str:
        parts = [
            str(cells.get(c, "")).ljust(widths[c])
            if c in left
            else str(cells.get(c, "")).rjust(widths[c])
            for c in columns
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line({c: c for c in columns}), *(line(r) for r in rows)])


def frame_table(frame: pd.DataFrame, left: Sequence[str] = ()) -> str:
    """A data frame as an aligned table (``cell`` formats every value)."""
    rows = [{c: cell(v, c) for c, v in record.items()} for record in frame.to_dict("records")]
    return aligned_table(rows, left)


def mean_sd_table(
    summary: pd.DataFrame, key: str, columns: Sequence[str], extra: Sequence[str] = ()
) -> str:
    """One row per ``key`` value of a summary with ``<column>_mean`` / ``<column>_sd``
    pairs: a ``mean ± sd`` column per column (those missing from the summary are left
    out), then the plain ``extra`` columns."""
    cells: dict[str, list[str]] = {key: [str(v) for v in summary[key]]}
    for c in (c for c in columns if f"{c}_mean" in summary):
        sds = summary[f"{c}_sd"] if f"{c}_sd" in summary else [None] * len(summary)
        cells[c] = mean_sd_column(list(summary[f"{c}_mean"]), list(sds), c)
    cells.update({c: [cell(v, c) for v in summary[c]] for c in extra if c in summary})
    rows = [{c: values[i] for c, values in cells.items()} for i in range(len(summary))]
    return aligned_table(rows, left=[key])
