"""Gene-expression matrices (CSV / TSV / Parquet / AnnData .h5ad) and their sample labels.

A delimited or Parquet matrix has its row names in the first column: sample ids when rows
are samples (``orientation="samples"``), gene names when rows are genes
(``orientation="genes"``). Labels come from a column (or, for genes x samples, a row) of the
matrix named ``label_col``, or from a separate table joined on sample id. Every problem is an
``InputError`` naming the file and the sample / gene concerned; nothing is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoclass.errors import InputError, name_few
from genoclass.io.textfile import READ_ERRORS, read_problem

ORIENTATIONS = ("auto", "samples", "genes")
MISSING_POLICIES = ("reject", "impute-median")
#: table columns genoclass itself uses; a gene may not carry one of these names
RESERVED_COLUMNS = ("id", "label", "split", "source_row", "group")
#: sample-id columns looked for in a labels table, in order (else its first column)
ID_COLUMNS = ("sample_id", "id")
_SHOW = 10


@dataclass
class ExpressionData:
    """A samples x genes float32 matrix (index = sample ids), labels aligned to it, facts."""

    matrix: pd.DataFrame
    labels: pd.Series | None
    info: dict[str, Any] = field(default_factory=dict)


def read_expression(
    path: str | Path,
    *,
    labels: str | Path | None = None,
    label_col: str = "label",
    orientation: str = "auto",
    missing: str = "reject",
    labels_required: bool = True,
) -> ExpressionData:
    """Read an expression matrix and its labels (see the module docstring); with
    ``orientation="auto"`` the axis holding the samples is the one the labels' sample ids
    match, or the one carrying ``label_col``. NaN cells are an error under
    ``missing="reject"`` and kept (for a train-fitted imputer) under ``"impute-median"``;
    non-numeric cells and infinities are always errors."""
    path = Path(path)
    if orientation not in ORIENTATIONS:
        raise InputError(f"unknown orientation {orientation!r}; use one of {ORIENTATIONS}")
    if missing not in MISSING_POLICIES:
        raise InputError(f"unknown missing-value policy {missing!r}; use {MISSING_POLICIES}")
    frame, obs = _load_matrix(path)
    label_table = None if labels is None else read_label_table(labels, label_col)
    orientation, how = _orientation(frame, path, label_table, labels, label_col, orientation)
    if orientation == "genes":
        frame = frame.T
    inline = None
    if label_col in frame.columns:
        inline = frame.pop(label_col)
    elif obs is not None and label_col in obs.columns:
        inline = obs[label_col]
    _check_names(frame, path)
    matrix = _numeric(frame, path, missing)
    if label_table is not None:
        sample_labels = _join_labels(matrix.index, label_table, path, labels)
    elif inline is not None:
        sample_labels = _text(inline).set_axis(matrix.index)
    elif labels_required:
        raise InputError(
            f"no label column {label_col!r} in the matrix; pass --labels FILE (a table of "
            f"sample ids and labels) or --label-col NAME"
            + ("" if orientation == "genes" else "; if rows are genes, pass --orientation genes"),
            path=path,
        )
    else:
        sample_labels = None
    if labels_required and sample_labels is not None:
        _require_labels(sample_labels, path if label_table is None else labels)
    info = {
        "source": str(path),
        "format": _format(path),
        "orientation": f"{orientation} ({how})",
        "samples": int(matrix.shape[0]),
        "genes": int(matrix.shape[1]),
        "missing_cells": int(np.isnan(matrix.to_numpy()).sum()) if missing != "reject" else 0,
        "missing_policy": missing,
    }
    if labels is not None:
        info["labels_file"] = str(labels)
    return ExpressionData(matrix, sample_labels, info)


def read_label_table(path: str | Path, label_col: str = "label") -> pd.DataFrame:
    """A labels table as a DataFrame indexed by sample id (str) with a ``label`` column; the
    id column is ``sample_id``, else ``id``, else the first column."""
    path = Path(path)
    try:
        table = _read_frame(path, index=False)
    except READ_ERRORS as exc:
        raise read_problem(exc, path, "labels table") from exc
    id_col = next((c for c in ID_COLUMNS if c in table.columns), table.columns[0])
    if label_col not in table.columns:
        raise InputError(
            f"no label column {label_col!r}; columns: {name_few(table.columns)}", path=path
        )
    ids = _text(table[id_col])
    duplicated = ids[ids.duplicated()].unique().tolist()
    if duplicated:
        raise InputError(f"duplicate sample id(s): {name_few(duplicated)}", path=path)
    return pd.DataFrame({"label": _text(table[label_col]).to_numpy()}, index=ids.to_numpy())


def _read_frame(path: Path, *, index: bool) -> pd.DataFrame:
    """A delimited or Parquet file as a DataFrame (first column as index when ``index``)."""
    fmt = _format(path)
    if fmt == "parquet":
        frame = pd.read_parquet(path)
        return frame.set_index(frame.columns[0]) if index else frame
    sep = "\t" if fmt == "tsv" else ","
    header = pd.read_csv(path, sep=sep, nrows=1, header=None, dtype=str).iloc[0]
    _check_header(header.fillna("").tolist(), path)
    # ids stay text: "01005" must not become the number 1005
    first = pd.read_csv(path, sep=sep, nrows=0).columns[0]
    ids_as_text = {first: str} if index else str
    return pd.read_csv(path, sep=sep, index_col=0 if index else None, dtype=ids_as_text)


def _check_header(names: list[str], path: Path) -> None:
    """Column names must be unique: pandas would silently rename a repeated one (g -> g.1)."""
    seen: dict[str, int] = {}
    for column, name in enumerate(names, 1):
        if name in seen:
            raise InputError(
                f"duplicate column name {name!r} in the header (columns {seen[name]} and "
                f"{column}); gene names and sample ids must be unique",
                path=path,
            )
        seen[name] = column


def _format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    for suffix, fmt in ((".h5ad", "h5ad"), (".parquet", "parquet"), (".tsv", "tsv")):
        if name.endswith(suffix):
            return fmt
    return "tsv" if name.endswith(".txt") else "csv"


def _load_matrix(path: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The raw matrix (string row and column names) and, for AnnData, its ``obs`` table."""
    if path.is_dir():
        raise InputError(f"is a folder; {_folder_hint(path)}", path=path)
    if not path.is_file():
        raise InputError("expression matrix not found", path=path)
    try:
        if _format(path) == "h5ad":
            import anndata

            adata = anndata.read_h5ad(path)
            x = adata.X.toarray() if hasattr(adata.X, "toarray") else np.asarray(adata.X)
            obs = adata.obs.copy()
            obs.index = obs.index.astype(str)
            return pd.DataFrame(x, index=obs.index, columns=adata.var_names.astype(str)), obs
        frame = _read_frame(path, index=True)
    except READ_ERRORS as exc:
        raise read_problem(exc, path, "expression matrix") from exc
    frame.index = frame.index.astype(str)
    frame.columns = frame.columns.astype(str)
    return frame, None


def _folder_hint(folder: Path) -> str:
    """What an expression command expects instead of a folder, naming the folder's matrix
    and labels files when it has them (e.g. ``expression.csv.gz`` + ``labels.csv``)."""
    expected = (
        "expected an expression matrix file (CSV, TSV, Parquet or .h5ad; rows = samples, first "
        "column = sample id, one column per gene) and, when labels are a separate table, "
        "--labels FILE"
    )
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and _is_table_name(p))
    if not files:
        return f"{expected}; it holds no such file"
    labels = [f for f in files if "label" in f.lower()]
    matrices = [f for f in files if f not in labels]
    if len(matrices) == 1 and len(labels) == 1:
        return f"{expected}: here {folder / matrices[0]} with --labels {folder / labels[0]}"
    return f"{expected}; table files in it: {name_few(files, 5)}"


def _is_table_name(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith((".csv", ".tsv", ".txt", ".parquet", ".h5ad"))


def looks_like_matrix(path: str | Path, sequence_col: str = "sequence") -> bool:
    """Whether ``path`` is an expression matrix rather than a sequence table: an ``.h5ad``
    file, or a CSV / TSV / Parquet file whose header has no ``sequence_col`` column and more
    than ten columns (a folder or a FASTA file is never a matrix)."""
    path = Path(path)
    if not path.is_file() or not _is_table_name(path):
        return False
    fmt = _format(path)
    if fmt == "h5ad":
        return True
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
        else:
            names = pd.read_csv(path, sep="\t" if fmt == "tsv" else ",", nrows=0).columns
    except READ_ERRORS:
        return False  # the sequence reader names the problem
    return sequence_col not in names and len(names) > 10


def is_expression_source(
    path: str | Path, *, format: str | None, labels: str | None, sequence_col: str | None
) -> bool:
    """Whether a command should read ``path`` as an expression matrix: ``--format
    expression``, a ``--labels`` table, or (format auto) a file that ``looks_like_matrix``
    or a folder holding one."""
    if format not in (None, "auto"):
        return format == "expression"
    if labels is not None:
        return True
    path, column = Path(path), sequence_col or "sequence"
    if path.is_dir():  # a data set's folder (matrix + labels): the reader says what to pass
        return any(looks_like_matrix(p, column) for p in sorted(path.iterdir())[:20])
    return looks_like_matrix(path, column)


def _orientation(
    frame: pd.DataFrame,
    path: Path,
    label_table: pd.DataFrame | None,
    labels: str | Path | None,
    label_col: str,
    requested: str,
) -> tuple[str, str]:
    """Which axis holds the samples, and how that was decided."""
    if label_table is not None:
        ids = set(label_table.index)
        rows = len(ids.intersection(frame.index))
        cols = len(ids.intersection(frame.columns))
        if rows == 0 and cols == 0:
            raise InputError(
                f"the sample ids of {labels} (first: {name_few(label_table.index)}) match neither "
                f"the row names (first: {name_few(frame.index)}) nor the column names "
                f"(first: {name_few(frame.columns)}) of the matrix",
                path=path,
            )
        found = "samples" if rows >= cols else "genes"
        if requested != "auto" and requested != found:
            axis = "rows" if found == "samples" else "columns"
            raise InputError(
                f"--orientation {requested} given, but the sample ids of {labels} match the "
                f"matrix {axis}: pass --orientation {found}",
                path=path,
            )
        return found, "given" if requested != "auto" else "detected from the labels' sample ids"
    if requested != "auto":
        return requested, "given"
    if label_col not in frame.columns and label_col in frame.index:
        return "genes", f"detected from the {label_col!r} row"
    return "samples", "default: rows are samples"


def _check_names(frame: pd.DataFrame, path: Path) -> None:
    """Unique sample ids and gene names; no gene named like a column genoclass uses."""
    for axis, names in (("sample id", frame.index), ("gene name", frame.columns)):
        duplicated = names[names.duplicated()].unique().tolist()
        if duplicated:
            raise InputError(f"duplicate {axis}(s): {name_few(duplicated)}", path=path)
    reserved = [c for c in RESERVED_COLUMNS if c in frame.columns]
    if reserved:
        raise InputError(
            f"gene column(s) {reserved} clash with genoclass's own columns; "
            "pass --label-col for a label column or rename the gene",
            path=path,
        )


def _numeric(frame: pd.DataFrame, path: Path, missing: str) -> pd.DataFrame:
    """The matrix as float32; non-numeric cells, infinities and (under ``reject``) NaN are
    input errors naming the first offending samples and genes."""
    text_cols = frame.columns[[not np.issubdtype(t, np.number) for t in frame.dtypes]]
    for col in text_cols:
        converted = pd.to_numeric(frame[col], errors="coerce")
        bad = converted.isna() & frame[col].notna() & (frame[col].astype(str).str.strip() != "")
        if bad.any():
            sample = bad.index[bad.to_numpy().argmax()]
            raise InputError(
                f"non-numeric value at sample {sample!r}, gene {col!r}",
                path=path,
                value=frame.at[sample, col],
            )
        frame[col] = converted
    values = frame.to_numpy(dtype=np.float32)
    for test, what in ((np.isinf, "infinite value"), (np.isnan, "missing value (NaN)")):
        if what.startswith("missing") and missing != "reject":
            continue
        rows, cols = np.nonzero(test(values))
        if len(rows):
            cells = ", ".join(
                f"sample {frame.index[r]!r} gene {frame.columns[c]!r}"
                for r, c in zip(rows[:_SHOW], cols[:_SHOW], strict=True)
            )
            hint = "; pass --missing impute-median to impute" if what.startswith("missing") else ""
            raise InputError(f"{len(rows)} {what} cell(s): {cells}{hint}", path=path)
    return pd.DataFrame(values, index=frame.index, columns=frame.columns)


def _join_labels(
    samples: pd.Index, label_table: pd.DataFrame, path: Path, labels: str | Path | None
) -> pd.Series:
    """Labels of ``samples`` from the labels table; ids missing on either side are errors."""
    no_label = samples.difference(label_table.index, sort=False).tolist()
    if no_label:
        raise InputError(
            f"{len(no_label)} sample id(s) of the matrix are missing from the labels table "
            f"{labels}: {name_few(no_label)}",
            path=path,
        )
    no_sample = label_table.index.difference(samples, sort=False).tolist()
    if no_sample:
        raise InputError(
            f"{len(no_sample)} sample id(s) of the labels table {labels} are missing from the "
            f"matrix: {name_few(no_sample)}",
            path=path,
        )
    return label_table["label"].reindex(samples).rename("label")


def _require_labels(labels: pd.Series, path: Path | str | None) -> None:
    empty = labels.index[labels.isna()].tolist()
    if empty:
        raise InputError(f"{len(empty)} sample(s) without a label: {name_few(empty)}", path=path)


def _text(values: pd.Series) -> pd.Series:
    """Strings with missing values and blank cells as None."""
    text = values.astype(object).where(values.notna(), None)
    text = text.map(lambda v: None if v is None else str(v).strip() or None)
    return text.astype(object)
