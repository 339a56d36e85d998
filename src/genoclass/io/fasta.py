"""FASTA files (plain or gzip): ids from the header's first token, labels from ``label=``.

A header such as ``>seq7 label=enhancer`` (or ``class=enhancer``) carries the label;
records are numbered from 1 in file order so errors can say ``record 3``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from genoclass.errors import InputError
from genoclass.io.records import (
    GROUP_COLUMN,
    RawRecords,
    ReadOptions,
    base_name,
    make_records,
    require_labels,
)
from genoclass.io.textfile import read_text

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fas", ".ffn")

_FIELD = r"(?:^|[\s|;])(?:{names})=([^\s|;]+)"


def read_fasta(path: Path, options: ReadOptions, *, label: str | None = None) -> RawRecords:
    """Read one FASTA file; ``label`` (e.g. the file stem) overrides labels in headers."""
    text = read_text(path).replace("\r", "")
    body = text.lstrip()
    check_start(text[: len(text) - len(body)].count("\n"), body[:1], path)
    headers, sequences = [], []
    for chunk in body[1:].split("\n>"):
        header, _, lines = chunk.partition("\n")
        headers.append(header.strip())
        sequences.append("".join(lines.split()))
    numbers = np.arange(1, len(headers) + 1)
    ids, labels = record_facts(headers, numbers, path, options, label=label)
    extra = None
    if options.group_col:  # a group such as gene=BRCA1 in the header
        extra = {GROUP_COLUMN: [header_field(h, (options.group_col,)) for h in headers]}
    return make_records(
        path, "record", ids=ids, sequences=sequences, labels=labels, numbers=numbers, extra=extra
    )


def check_start(blank_lines: int, first: str, path: str | Path) -> None:
    """InputError unless the first non-blank character of a file (``first``; empty when the
    file is blank) opens a record; ``blank_lines`` counts the line breaks before it."""
    if not first:
        raise InputError("no FASTA records in file", path=path)
    if first != ">":
        where = f"line {blank_lines + 1}"
        raise InputError("not FASTA: a record must start with '>'", path=path, where=where)


def record_facts(
    headers: list[str],
    numbers: np.ndarray,
    path: str | Path,
    options: ReadOptions,
    *,
    label: str | None = None,
) -> tuple[list[str], list[str | None]]:
    """Ids and labels of FASTA records from their stripped headers; InputError at the first
    missing label when labels are required. ``label`` overrides labels in headers."""
    stem = base_name(path)
    ids = [
        h.split(maxsplit=1)[0] if h else f"{stem}_{n}"
        for h, n in zip(headers, numbers, strict=True)
    ]
    if label is not None:
        labels: list[str | None] = [label] * len(headers)
    else:
        labels = [header_field(h, ("label", "class")) for h in headers]
    if options.labels_required:
        require_labels(
            pd.Series(labels, dtype=object),
            numbers,
            path=path,
            where=_record,
            reason="missing label (put label=NAME in the header)",
        )
    return ids, labels


def header_field(header: str, names: tuple[str, ...]) -> str | None:
    """The value of the first ``NAME=value`` field of a FASTA header with NAME in ``names``."""
    pattern = _FIELD.format(names="|".join(re.escape(n) for n in names))
    match = re.search(pattern, header)
    return None if match is None else match.group(1)


def _record(number: int) -> str:
    return f"record {number}"


def is_fasta_name(path: str | Path) -> bool:
    """Whether a file name has a FASTA extension, optionally followed by ``.gz``."""
    name = Path(path).name.lower().removesuffix(".gz")
    return name.endswith(FASTA_SUFFIXES)
