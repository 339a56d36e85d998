"""CSV, TSV and Parquet sequence tables with configurable sequence and label columns.

Rows are numbered from 1 without the header, so data row ``N`` sits on file line
``N + 1`` of a delimited file. An optional ``id`` column names the rows and an optional
``split`` column (train / val / valid / dev / test) carries an official split.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from genoclass.errors import InputError
from genoclass.io.records import (
    GROUP_COLUMN,
    SPLIT_NAMES,
    RawRecords,
    ReadOptions,
    base_name,
    make_records,
    require_labels,
)
from genoclass.io.textfile import is_gzip

#: Delimiter of each delimited table format.
DELIMITERS = {"csv": ",", "tsv": "\t"}
TABLE_FORMATS = (*DELIMITERS, "parquet")
#: Label column used when the requested default ``label`` is absent (Vasani files).
FALLBACK_LABEL_COL = "class"


def read_table(
    path: Path, options: ReadOptions, *, fmt: str, split: str | None = None
) -> RawRecords:
    """Read a ``csv``, ``tsv`` or ``parquet`` table; ``split`` overrides any split column."""
    frame = _load(path, fmt)
    numbers = np.arange(1, len(frame) + 1)
    where = _parquet_row if fmt == "parquet" else _text_row
    sequence_col = _require_column(frame, options.sequence_col, "sequence", path)
    label_col = _label_column(frame, options, path)
    labels = _as_text(frame[label_col]) if label_col else pd.Series([None] * len(frame))
    if options.labels_required:
        reason = f"empty label in column {label_col!r}"
        require_labels(labels, numbers, path=path, where=where, reason=reason)
    extra = None
    if options.group_col:
        column = _require_column(frame, options.group_col, "group", path)
        extra = {GROUP_COLUMN: _as_text(frame[column]).tolist()}
    ids = pd.Series(f"{base_name(path)}_", index=frame.index) + numbers.astype(str)
    if "id" in frame.columns:
        ids = _as_text(frame["id"]).fillna(ids)
    return make_records(
        path,
        "row",
        ids=ids.tolist(),
        sequences=_as_text(frame[sequence_col]).fillna("").tolist(),
        labels=labels.tolist(),
        numbers=numbers,
        split=split if split is not None else _split_column(frame, path, numbers, where),
        extra=extra,
    )


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
    except (ValueError, OSError) as err:
        raise InputError(f"cannot read as {fmt}: {err}", path=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _require_column(frame: pd.DataFrame, name: str, role: str, path: Path) -> str:
    if name not in frame.columns:
        available = ", ".join(map(repr, frame.columns))
        raise InputError(f"no {role} column {name!r}; available columns: {available}", path=path)
    return name


def _label_column(frame: pd.DataFrame, options: ReadOptions, path: Path) -> str | None:
    """The label column to use, or None when labels are optional and absent."""
    if options.label_col in frame.columns:
        return options.label_col
    if options.label_col == "label" and FALLBACK_LABEL_COL in frame.columns:
        return FALLBACK_LABEL_COL
    if options.labels_required:
        _require_column(frame, options.label_col, "label", path)
    return None


def _as_text(values: pd.Series) -> pd.Series:
    """Cells as stripped strings (whole floats as integers, ``1.0`` -> ``"1"``); blanks -> None."""
    if pd.api.types.is_float_dtype(values):
        finite = values.dropna()
        if (finite == np.floor(finite)).all():
            values = values.astype("Int64")
    text = values.astype(str).str.strip()
    return text.where(values.notna() & (text != ""), None).astype(object)


def _split_column(
    frame: pd.DataFrame, path: Path, numbers: np.ndarray, where: Callable[[int], str]
) -> list[str | None] | None:
    """Normalised values of the optional ``split`` column (dev/valid -> val)."""
    if "split" not in frame.columns:
        return None
    raw = _as_text(frame["split"]).fillna("").str.lower()
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
