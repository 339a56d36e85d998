"""CSV, TSV and Parquet sequence tables with configurable sequence and label columns.

Rows are numbered from 1 without the header, so data row ``N`` sits on file line
``N + 1`` of a delimited file. An optional ``id`` column names the rows and an optional
``split`` column (train / val / valid / dev / test) carries an official split.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from genoclass.errors import InputError, name_few
from genoclass.io.records import (
    GROUP_COLUMN,
    SPLIT_NAMES,
    RawRecords,
    ReadOptions,
    base_name,
    make_records,
    require_labels,
)
from genoclass.io.textfile import READ_ERRORS, is_gzip, read_problem

#: Delimiter of each delimited table format.
DELIMITERS = {"csv": ",", "tsv": "\t"}
TABLE_FORMATS = (*DELIMITERS, "parquet")
#: Label column used when the requested default ``label`` is absent (Vasani files).
FALLBACK_LABEL_COL = "class"


@dataclass(frozen=True)
class TableColumns:
    """The columns a sequence table is read from (``label`` None when absent and optional)."""

    sequence: str
    label: str | None
    id: str | None
    split: str | None

    def names(self) -> list[str]:
        """Every column to read, sequence first."""
        return [c for c in (self.sequence, self.label, self.id, self.split) if c is not None]


def read_table(
    path: Path, options: ReadOptions, *, fmt: str, split: str | None = None
) -> RawRecords:
    """Read a ``csv``, ``tsv`` or ``parquet`` table; ``split`` overrides any split column."""
    frame = _load(path, fmt)
    columns = table_columns(list(frame.columns), options, path)
    numbers = np.arange(1, len(frame) + 1)
    ids, labels, splits = row_facts(frame, columns, numbers, path, options, fmt=fmt, split=split)
    extra = None
    if options.group_col:
        column = _require_column(list(frame.columns), options.group_col, "group", path)
        extra = {GROUP_COLUMN: as_text(frame[column]).tolist()}
    return make_records(
        path,
        "row",
        ids=ids,
        sequences=as_text(frame[columns.sequence]).fillna("").tolist(),
        labels=labels,
        numbers=numbers,
        split=splits,
        extra=extra,
    )


def table_columns(names: list[str], options: ReadOptions, path: Path) -> TableColumns:
    """Which of the (stripped) column ``names`` hold sequence, label, id and split;
    InputError when the sequence column, or a required label column, is missing."""
    return TableColumns(
        sequence=_require_column(names, options.sequence_col, "sequence", path),
        label=_label_column(names, options, path),
        id="id" if "id" in names else None,
        split="split" if "split" in names else None,
    )


def row_facts(
    frame: pd.DataFrame,
    columns: TableColumns,
    numbers: np.ndarray,
    path: Path,
    options: ReadOptions,
    *,
    fmt: str,
    split: str | None = None,
) -> tuple[list[str], list[str | None], str | None | list[str | None]]:
    """Ids, labels and splits of the rows of ``frame`` (numbered ``numbers`` in the file);
    InputError at the first empty required label or unknown split value. ``split``
    overrides the split column."""
    where = _parquet_row if fmt == "parquet" else _text_row
    label = columns.label
    labels = as_text(frame[label]) if label else pd.Series([None] * len(frame), dtype=object)
    if options.labels_required:
        reason = f"empty label in column {label!r}"
        require_labels(labels, numbers, path=path, where=where, reason=reason)
    ids = pd.Series(f"{base_name(path)}_", index=frame.index) + numbers.astype(str)
    if columns.id is not None:
        ids = as_text(frame[columns.id]).fillna(ids)
    if split is None and columns.split is not None:
        return (
            ids.tolist(),
            labels.tolist(),
            _split_values(frame[columns.split], path, numbers, where),
        )
    return ids.tolist(), labels.tolist(), split


def _load(path: Path, fmt: str) -> pd.DataFrame:
    """The table as a DataFrame with stripped column names; read errors become InputError."""
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(
                path,
                sep=DELIMITERS[fmt],
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                encoding_errors="replace",
                compression="gzip" if is_gzip(path) else None,
            )
    except READ_ERRORS as err:
        raise read_problem(err, path, fmt) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _require_column(names: list[str], name: str, role: str, path: Path) -> str:
    if name not in names:
        hint = ""
        if role == "sequence" and len(names) > 10:
            hint = (
                f"; {len(names):,} columns look like an expression matrix: pass --format "
                "expression (and --labels FILE when labels are a separate table)"
            )
        shown = name_few(names, quote=True)
        raise InputError(f"no {role} column {name!r}; available columns: {shown}{hint}", path=path)
    return name


def _label_column(names: list[str], options: ReadOptions, path: Path) -> str | None:
    """The label column to use, or None when labels are optional and absent."""
    if options.label_col in names:
        return options.label_col
    if options.label_col == "label" and FALLBACK_LABEL_COL in names:
        return FALLBACK_LABEL_COL
    if options.labels_required:
        _require_column(names, options.label_col, "label", path)
    return None


def as_text(values: pd.Series) -> pd.Series:
    """Cells as stripped strings (whole floats as integers, ``1.0`` -> ``"1"``); blanks -> None."""
    if pd.api.types.is_float_dtype(values):
        finite = values.dropna()
        if (finite == np.floor(finite)).all():
            values = values.astype("Int64")
    text = values.astype(str).str.strip()
    return text.where(values.notna() & (text != ""), None).astype(object)


def _split_values(
    values: pd.Series, path: Path, numbers: np.ndarray, where: Callable[[int], str]
) -> list[str | None]:
    """Normalised values of the optional ``split`` column (dev/valid -> val)."""
    raw = as_text(values).fillna("").str.lower()
    mapped = raw.map(SPLIT_NAMES)
    bad = np.flatnonzero(mapped.isna().to_numpy())
    if bad.size:
        raise InputError(
            "unknown split (allowed: train, val, valid, dev, test)",
            path=path,
            where=where(int(numbers[bad[0]])),
            value=raw.iloc[bad[0]],
        )
    return mapped.tolist()


def _text_row(number: int) -> str:
    return f"row {number} (line {number + 1})"


def _parquet_row(number: int) -> str:
    return f"row {number}"
