"""Reading labelled DNA sequences from any supported source into one :class:`SequenceData`.

``read_sequences`` picks a reader by format (detected unless given), then cleans every
sequence through :func:`genoclass.alphabet.clean_sequences` so an invalid character is
reported with its file and row, record or file number.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from genoclass.alphabet import CleanReport, clean_sequences
from genoclass.errors import InputError, InputWarning
from genoclass.io.detect import canonical_format, check_source, detect_format
from genoclass.io.fasta import read_fasta
from genoclass.io.layouts import fasta_files, read_fasta_files, read_gb, read_gue
from genoclass.io.records import COLUMNS, GROUP_COLUMN, RawRecords, ReadOptions, make_records
from genoclass.io.tables import read_table


@dataclass
class SequenceData:
    """Cleaned sequences with ids, labels, optional official split and source row numbers.

    ``table`` has the columns ``id``, ``sequence``, ``label``, ``split`` and
    ``source_row``; ``cleaning`` holds the counts of :class:`genoclass.alphabet.CleanReport`.
    """

    table: pd.DataFrame
    source: str
    format: str
    cleaning: dict[str, int]

    @property
    def classes(self) -> list[str]:
        """Sorted distinct labels (empty when the source has no labels)."""
        return sorted(self.table["label"].dropna().unique().tolist())


Reader = Callable[[Path, ReadOptions], list[RawRecords]]

READERS: dict[str, Reader] = {
    "fasta": lambda path, options: [read_fasta(path, options)],
    "fasta-dir": lambda path, options: read_fasta_files(fasta_files(path), options),
    "csv": lambda path, options: [read_table(path, options, fmt="csv")],
    "tsv": lambda path, options: [read_table(path, options, fmt="tsv")],
    "parquet": lambda path, options: [read_table(path, options, fmt="parquet")],
    "gb": read_gb,
    "gue": read_gue,
}


def read_sequences(
    path: str | Path | Sequence[str | Path],
    *,
    format: str = "auto",
    sequence_col: str = "sequence",
    label_col: str = "label",
    labels_required: bool = True,
    group_col: str | None = None,
) -> SequenceData:
    """Read sequences (and labels) from a file, a folder layout or a list of FASTA files.

    Formats: ``fasta``, ``fasta-dir`` (one FASTA file per class, also a list of files),
    ``csv``, ``tsv`` (``vasani`` is an alias), ``parquet``, ``gb`` (Genomic Benchmarks
    folder), ``gue`` (train/dev/test CSVs) or ``auto``. ``group_col`` names a table column
    (or FASTA header field ``NAME=value``) whose values become the table's ``group`` column.
    Bad input raises :class:`~genoclass.errors.InputError` naming the file, the place in it
    and the problem.
    """
    options = ReadOptions(sequence_col, label_col, labels_required, group_col)
    if isinstance(path, (str, Path)):
        source = Path(path)
        fmt = detect_format(source) if format == "auto" else canonical_format(format)
        check_source(source, fmt)
        parts = READERS[fmt](source, options)
    else:
        files = [Path(p) for p in path]
        for file in files:
            check_source(file, "fasta")
        source = ", ".join(map(str, files))
        fmt = "fasta-dir"
        parts = read_fasta_files(files, options)
    data = _assemble(parts, str(source), fmt)
    if group_col and GROUP_COLUMN not in data.table:
        raise InputError(f"{fmt} data cannot carry a group column {group_col!r}", path=source)
    return data


def _assemble(parts: list[RawRecords], source: str, fmt: str) -> SequenceData:
    """Clean every part and stack them into one table with unique record ids."""
    frames, totals = [], {}
    for part in parts:
        sequences, report = _clean(part)
        frames.append(part.frame.assign(sequence=sequences, _place=f"{part.path} {part.unit}"))
        for key, count in report.as_dict().items():
            totals[key] = totals.get(key, 0) + count
    grouped = frames and all(GROUP_COLUMN in f for f in frames)
    columns = COLUMNS + ([GROUP_COLUMN] if grouped else [])
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if table.empty:
        raise InputError("no sequences found", path=source)
    renamed = _unique_ids(table)
    if renamed:
        totals["duplicate_ids_renamed"] = renamed
    return SequenceData(table=table[columns], source=source, format=fmt, cleaning=totals)


def _unique_ids(table: pd.DataFrame) -> int:
    """Make repeated record ids unique in place (the 2nd ``x`` becomes ``x~2``, the 3rd
    ``x~3``), warning once; returns how many were renamed. Ids name rows in splits.parquet
    and predictions, so they must be unique; a FASTA file may legitimately repeat a name
    (e.g. two promoters of one gene)."""
    occurrence = table.groupby("id", sort=False).cumcount().to_numpy()
    repeated = occurrence > 0
    if not repeated.any():
        return 0
    first = int(repeated.argmax())
    original = table.at[first, "id"]
    table.loc[repeated, "id"] = (
        table.loc[repeated, "id"] + "~" + (occurrence[repeated] + 1).astype(str)
    )
    if table["id"].duplicated().any():
        raise InputError(f"record ids cannot be made unique (e.g. {original!r} repeats)")
    where = f"{table.at[first, '_place']} {table.at[first, 'source_row']}"
    warnings.warn(
        InputWarning(
            f"{int(repeated.sum())} repeated record id(s) made unique with a ~N suffix "
            f"(first: {original!r} again at {where}, now {table.at[first, 'id']!r})"
        ),
        stacklevel=2,
    )
    return int(repeated.sum())


def _clean(part: RawRecords) -> tuple[list[str], CleanReport]:
    """Clean one part; for one-sequence-a-file layouts the error names the file itself."""
    try:
        return clean_sequences(
            part.frame["sequence"].tolist(),
            path=part.path,
            unit=part.unit,
            numbers=part.frame["source_row"].to_numpy(),
        )
    except InputError as err:
        if part.files is None or err.where is None:
            raise
        number = int(err.where.rsplit(" ", 1)[-1])
        raise InputError(err.reason, path=part.files[number - 1], value=err.value) from None


def sequence_table(
    sequences: Sequence[str],
    labels: Sequence[object] | None = None,
    ids: Sequence[str] | None = None,
    *,
    source: str = "sequences given in Python",
) -> pd.DataFrame:
    """The sequence table (``COLUMNS``) of in-memory sequences, cleaned like a file's
    (items are numbered from 1 in errors); ids default to ``seq1``, ``seq2`` ..."""
    n = len(sequences)
    if n == 0:
        raise InputError("no sequences given", path=source)
    bad = next((i for i, s in enumerate(sequences) if not isinstance(s, str)), None)
    if bad is not None:
        raise InputError(
            f"a sequence must be text, got {type(sequences[bad]).__name__}",
            path=source,
            where=f"item {bad + 1}",
        )
    records = make_records(
        source,
        "item",
        ids=[str(i) for i in ids] if ids is not None else [f"seq{i}" for i in range(1, n + 1)],
        sequences=list(sequences),
        labels=[None] * n if labels is None else [None if v is None else str(v) for v in labels],
        numbers=np.arange(1, n + 1),
    )
    return _assemble([records], source, "python").table
