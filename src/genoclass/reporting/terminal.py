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
    if value is None or (isinstance(value, Real) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool | str) or column.split("@")[0] in FACTS:
        return format_value(value)
    return f"{float(value):.3f}" if isinstance(value, Real) else str(value)


def mean_sd_cell(mean: object, sd: object, column: str = "") -> str:
    """``"0.912 ± 0.010"`` (just the mean when there is no sd, e.g. a single run)."""
    if sd is None or (isinstance(sd, Real) and math.isnan(sd)):
        return cell(mean, column)
    return f"{cell(mean, column)} ± {cell(sd, column)}"


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
    pairs: a ``mean ± sd`` cell per column (those missing from the summary are left out),
    then the plain ``extra`` columns."""
    shown = [c for c in columns if f"{c}_mean" in summary]
    rows = []
    for record in summary.to_dict("records"):
        row = {key: str(record[key])}
        row.update({c: mean_sd_cell(record[f"{c}_mean"], record.get(f"{c}_sd"), c) for c in shown})
        row.update({c: cell(record.get(c), c) for c in extra if c in summary})
        rows.append(row)
    return aligned_table(rows, left=[key])
