"""Streaming readers: FASTA(.gz), CSV/TSV(.gz) and Parquet read chunk by chunk.

Each :class:`SequenceChunk` holds a bounded slice of the source (about ``chunk_bytes`` of
text), cleaned by :func:`genoclass.alphabet.clean_bytes` and checked with the same row-exact
errors as the whole-file readers of :mod:`genoclass.io.sequences`, so a file of any size is
read without holding a Python string per sequence for the whole file. Sequences travel as
one byte array per chunk; ids, labels and splits as lists of that chunk's rows only.
Folder layouts ``fasta-dir`` and ``gue`` stream file by file.

With ``whole_records=False`` a FASTA record longer than a chunk (a chromosome) arrives in
pieces: ``continues`` marks a first row that carries on the previous chunk's last record and
``open`` a last row that carries on in the next chunk, so windows can be cut without ever
holding the whole record.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from genoclass.alphabet import CleanReport, check_not_empty, clean_bytes
from genoclass.errors import InputError
from genoclass.io.detect import canonical_format, check_source, detect_format
from genoclass.io.fasta import check_start, record_facts
from genoclass.io.layouts import fasta_files, gue_files
from genoclass.io.records import ReadOptions, base_name
from genoclass.io.tables import DELIMITERS, TableColumns, row_facts, table_columns
from genoclass.io.textfile import GZIP_MAGIC, file_sha256

#: Default size of a chunk: bytes of source text (FASTA, CSV) or of sequence (Parquet).
CHUNK_BYTES = 8 << 20
#: Formats that stream (``gb`` holds one small file per sequence and is read whole).
STREAM_FORMATS = ("fasta", "fasta-dir", "csv", "tsv", "parquet", "gue")

_WHITESPACE = b" \t\n\r\x0b\x0c"


@dataclass
class SequenceChunk:
    """Rows of one slice of a source: ``residues`` holds every row's bytes back to back
    (upper-case A C G T N once cleaned), row ``i`` being ``residues[offsets[i]:offsets[i+1]]``;
    ``numbers`` are the rows' record/row numbers in ``path`` (``unit`` says which)."""

    residues: np.ndarray
    offsets: np.ndarray
    ids: list[str]
    labels: list[str | None]
    splits: list[str | None]
    numbers: np.ndarray
    path: str
    unit: str
    continues: bool = False
    open: bool = False

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def lengths(self) -> np.ndarray:
        """Length of each row (of each piece, for pieces of a record)."""
        return np.diff(self.offsets)


@dataclass
class StreamReport:
    """Facts about a stream so far: bytes read of the total (progress), cleaning counts and
    each source file's fingerprint (size, modification time, SHA-256) once it is read."""

    source: str
    format: str
    bytes_total: int
    bytes_read: int = 0
    cleaning: CleanReport = field(default_factory=CleanReport)
    files: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class _Part:
    """One file of a source, with the label or split its place in a layout gives it."""

    path: Path
    kind: str
    label: str | None = None
    split: str | None = None


class _TrackedFile:
    """A binary file that counts and hashes the bytes read from it (progress, fingerprint)."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self.sha256.update(data)
        self.bytes_read += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        self._file.close()

    def finish(self) -> str:
        """Read what is left (so the hash covers the whole file) and return the hex digest."""
        while self.read(CHUNK_BYTES):
            pass
        return self.sha256.hexdigest()


class SequenceStream:
    """Iterate over a sequence source in cleaned :class:`SequenceChunk` s.

    Formats: ``fasta``, ``fasta-dir``, ``csv``, ``tsv``, ``parquet``, ``gue`` or ``auto``.
    Labels are optional unless ``labels_required``. ``report`` fills in while iterating.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        format: str = "auto",
        sequence_col: str = "sequence",
        label_col: str = "label",
        labels_required: bool = False,
        whole_records: bool = True,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        source = Path(path)
        fmt = detect_format(source) if format == "auto" else canonical_format(format)
        check_source(source, fmt)
        if fmt not in STREAM_FORMATS:
            raise InputError(
                f"format {fmt!r} cannot be streamed; streamable: {', '.join(STREAM_FORMATS)}",
                path=source,
            )
        self.options = ReadOptions(sequence_col, label_col, labels_required)
        self.whole_records = whole_records
        self.chunk_bytes = chunk_bytes
        self.parts = _parts(source, fmt)
        total = sum(part.path.stat().st_size for part in self.parts)
        self.report = StreamReport(str(source), fmt, total)
        self._open_record = (False, False, 0)  # flags and length of a record still open

    def __iter__(self) -> Iterator[SequenceChunk]:
        done = 0
        for part in self.parts:
            tracked = _TrackedFile(part.path)
            try:
                for chunk in self._read(part, tracked):
                    self.report.bytes_read = done + tracked.bytes_read
                    yield self._clean(chunk)
                digest = tracked.finish() if part.kind != "parquet" else file_sha256(part.path)
            finally:
                tracked.close()
            done += part.path.stat().st_size
            self.report.bytes_read = done
            self.report.files.append(_fingerprint(part.path, digest))

    def _read(self, part: _Part, tracked: _TrackedFile) -> Iterator[SequenceChunk]:
        if part.kind == "fasta":
            return _fasta_chunks(part, tracked, self.options, self.chunk_bytes, self.whole_records)
        if part.kind == "parquet":
            return _parquet_chunks(part, self.options, self.chunk_bytes, tracked)
        return _csv_chunks(part, tracked, self.options, self.chunk_bytes)

    def _clean(self, chunk: SequenceChunk) -> SequenceChunk:
        """Clean a chunk's sequences and count what cleaning changed, per whole record."""
        path, unit = chunk.path, chunk.unit
        cleaned = clean_bytes(
            chunk.residues,
            chunk.offsets,
            path=path,
            unit=unit,
            numbers=chunk.numbers,
            allow_empty=not self.whole_records,
        )
        lower, ambiguous, lengths = cleaned.lowercase, cleaned.ambiguous, chunk.lengths.copy()
        if chunk.continues:  # fold the first row into the record it continues
            lower[0] |= self._open_record[0]
            ambiguous[0] |= self._open_record[1]
            lengths[0] += self._open_record[2]
        closed = len(chunk) - int(chunk.open)
        if chunk.open:
            self._open_record = (bool(lower[-1]), bool(ambiguous[-1]), int(lengths[-1]))
        check_not_empty(lengths[:closed], chunk.numbers[:closed], path=path, unit=unit)
        self.report.cleaning.add(lower[:closed], ambiguous[:closed])
        return replace(chunk, residues=cleaned.residues)


def _parts(source: Path, fmt: str) -> list[_Part]:
    """The files of a source in reading order."""
    if fmt == "fasta-dir":
        return [_Part(p, "fasta", label=base_name(p)) for p in fasta_files(source)]
    if fmt == "gue":
        files = gue_files(source)
        if "train" not in files or "test" not in files:
            raise InputError(
                "GUE folder needs train.csv and test.csv (dev.csv optional)", path=source
            )
        return [_Part(p, "csv", split=split) for split, p in files.items()]
    return [_Part(source, fmt)]


def _fingerprint(path: Path, sha256: str) -> dict:
    stat = path.stat()
    return {
        "path": str(path),
        "bytes": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": sha256,
    }


def _text_handle(tracked: _TrackedFile, path: Path) -> IO[bytes]:
    """The decompressed byte stream of a file (gzip recognised by its magic bytes)."""
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    return gzip.GzipFile(fileobj=tracked) if compressed else tracked  # type: ignore[return-value]


# --- FASTA -------------------------------------------------------------------------------


@dataclass
class _FastaRow:
    number: int
    header: str
    sequence: bytes
    continues: bool
    open: bool


class _FastaParser:
    """Cuts FASTA text, block by block, into records: the same rules as
    :func:`genoclass.io.fasta.read_fasta` (records start at a line beginning with ``>``, the
    header is the stripped first line, every whitespace in the sequence lines is dropped)."""

    def __init__(self, path: Path, split_records: bool) -> None:
        self.path = path
        self.split_records = split_records
        self.started = False
        self.blank_lines = 0
        self.carry = b""
        self.number = 0
        self.header: str | None = None
        self.pieces: list[bytes] = []
        self.emitted = False  # a piece of the current record went out already

    def feed(self, block: bytes, final: bool) -> list[_FastaRow]:
        """Rows completed by ``block`` (the last one, when ``final``)."""
        data = self.carry + block.replace(b"\r", b"")
        self.carry = b""
        rows: list[_FastaRow] = []
        if not self.started:
            body = data.lstrip()
            skipped = data[: len(data) - len(body)].count(b"\n")
            if not body and not final:
                self.blank_lines += skipped
                return rows
            check_start(self.blank_lines + skipped, chr(body[0]) if body else "", self.path)
            data, self.started = b"\n" + body, True
        region = data if final else self._keep_partial_line(data)
        parts = region.split(b"\n>")
        self._extend(parts[0])
        for part in parts[1:]:
            header, _, sequence = part.partition(b"\n")
            self._close(rows)
            self.number += 1
            self.header = header.decode("utf-8", errors="replace").strip()
            self._extend(sequence)
        if final:
            self._close(rows)
        elif self.split_records and self.pieces:
            rows.append(self._row(open_=True))
        return rows

    def _keep_partial_line(self, data: bytes) -> bytes:
        """The part of ``data`` that is safe to parse now; a trailing line that may yet turn
        out to be a header (it starts with ``>`` or is still empty) waits for more data."""
        last = data.rfind(b"\n")
        if last < 0 or (last + 1 < len(data) and data[last + 1] != ord(">")):
            return data  # the trailing line is sequence: it can be consumed as it comes
        self.carry = data[last:]
        return data[:last]

    def _extend(self, lines: bytes) -> None:
        sequence = lines.translate(None, _WHITESPACE)
        if sequence:
            self.pieces.append(sequence)

    def _row(self, *, open_: bool) -> _FastaRow:
        assert self.header is not None
        row = _FastaRow(self.number, self.header, b"".join(self.pieces), self.emitted, open_)
        self.pieces, self.emitted = [], open_
        return row

    def _close(self, rows: list[_FastaRow]) -> None:
        if self.header is not None:
            rows.append(self._row(open_=False))


def _fasta_chunks(
    part: _Part,
    tracked: _TrackedFile,
    options: ReadOptions,
    chunk_bytes: int,
    whole_records: bool,
) -> Iterator[SequenceChunk]:
    """Raw (uncleaned) chunks of one FASTA file."""
    parser = _FastaParser(part.path, split_records=not whole_records)
    handle = _text_handle(tracked, part.path)
    while True:
        block = _read_block(handle, chunk_bytes, part.path)
        rows = parser.feed(block, final=not block)
        if rows:
            yield _fasta_chunk(rows, part, options)
        if not block:
            return


def _read_block(handle: IO[bytes], size: int, path: Path) -> bytes:
    try:
        return handle.read(size)
    except (OSError, EOFError) as err:
        raise InputError(f"cannot read: {err}", path=path) from None


def _fasta_chunk(rows: list[_FastaRow], part: _Part, options: ReadOptions) -> SequenceChunk:
    numbers = np.fromiter((r.number for r in rows), dtype=np.int64, count=len(rows))
    headers = [r.header for r in rows]
    ids, labels = record_facts(headers, numbers, part.path, options, label=part.label)
    residues, offsets = _join([r.sequence for r in rows])
    return SequenceChunk(
        residues,
        offsets,
        ids,
        labels,
        [part.split] * len(rows),
        numbers,
        str(part.path),
        "record",
        continues=rows[0].continues,
        open=rows[-1].open,
    )


def _join(sequences: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return np.frombuffer(b"".join(sequences), dtype=np.uint8), offsets


# --- CSV / TSV / Parquet -----------------------------------------------------------------


def _csv_chunks(
    part: _Part, tracked: _TrackedFile, options: ReadOptions, chunk_bytes: int
) -> Iterator[SequenceChunk]:
    """Raw chunks of one CSV/TSV file, read by pyarrow's streaming CSV reader."""
    fmt = part.kind
    delimiter = DELIMITERS[fmt]
    raw_names = _header_names(part.path, delimiter)
    names = {name.strip(): name for name in raw_names}
    columns = table_columns(list(names), options, part.path)
    invalid: list[pcsv.InvalidRow] = []

    def on_invalid_row(row: pcsv.InvalidRow) -> str:
        invalid.append(row)
        return "error"

    try:
        reader = pcsv.open_csv(
            _text_handle(tracked, part.path),
            read_options=pcsv.ReadOptions(block_size=chunk_bytes, use_threads=False),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter, invalid_row_handler=on_invalid_row
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={name: pa.binary() for name in raw_names},
                include_columns=[names[c] for c in columns.names()],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        first = 1
        for batch in reader:
            yield _table_chunk(batch, columns, names, first, part, options, fmt)
            first += batch.num_rows
    except (pa.ArrowInvalid, OSError, EOFError) as err:
        raise _csv_error(err, invalid, part.path, fmt, chunk_bytes) from None


def _header_names(path: Path, delimiter: str) -> list[str]:
    """Column names from the first line of a (possibly gzipped) delimited file."""
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as handle:
            line = handle.readline().decode("utf-8-sig", errors="replace")
    except (OSError, EOFError) as err:
        raise InputError(f"cannot read: {err}", path=path) from None
    if not line.strip():
        raise InputError("empty table: no header line", path=path)
    return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter))


def _csv_error(err: Exception, invalid: list, path: Path, fmt: str, chunk_bytes: int) -> InputError:
    """A malformed row names its row and line (data row N is file line N + 1)."""
    if "straddl" in str(err):
        return InputError(
            f"cannot read as {fmt}: a row is longer than the read block of {chunk_bytes:,} bytes",
            path=path,
        )
    if invalid and invalid[0].number is not None:
        row = invalid[0]
        number = row.number - 1  # pyarrow counts the header as row 1
        return InputError(
            f"expected {row.expected_columns} fields, found {row.actual_columns}",
            path=path,
            where=f"row {number} (line {number + 1})",
        )
    return InputError(f"cannot read as {fmt}: {err}", path=path)


def _parquet_chunks(
    part: _Part, options: ReadOptions, chunk_bytes: int, tracked: _TrackedFile
) -> Iterator[SequenceChunk]:
    """Raw chunks of one Parquet file, read batch by batch."""
    try:
        parquet = pq.ParquetFile(part.path)
    except (pa.ArrowException, OSError) as err:
        raise InputError(f"cannot read as parquet: {err}", path=part.path) from None
    names = {str(name).strip(): name for name in parquet.schema_arrow.names}
    columns = table_columns(list(names), options, part.path)
    rows_total, size = max(parquet.metadata.num_rows, 1), part.path.stat().st_size
    batch_rows = _parquet_batch_rows(parquet, names[columns.sequence], chunk_bytes)
    first = 1
    try:
        for batch in parquet.iter_batches(
            batch_size=batch_rows, columns=[names[c] for c in columns.names()]
        ):
            yield _table_chunk(batch, columns, names, first, part, options, "parquet")
            first += batch.num_rows
            tracked.bytes_read = int(size * min(first / rows_total, 1.0))
    except (pa.ArrowException, OSError) as err:
        raise InputError(f"cannot read as parquet: {err}", path=part.path) from None


def _parquet_batch_rows(parquet: pq.ParquetFile, column: str, chunk_bytes: int) -> int:
    """Rows per batch so that a batch holds about ``chunk_bytes`` of sequence."""
    meta = parquet.metadata
    index = parquet.schema_arrow.get_field_index(column)
    size = sum(
        meta.row_group(g).column(index).total_uncompressed_size for g in range(meta.num_row_groups)
    )
    per_row = max(size / max(meta.num_rows, 1), 1.0)
    return int(min(max(chunk_bytes // per_row, 64), 1 << 20))


def _table_chunk(
    batch: pa.RecordBatch,
    columns: TableColumns,
    names: dict[str, str],
    first: int,
    part: _Part,
    options: ReadOptions,
    fmt: str,
) -> SequenceChunk:
    """One batch of a table as a raw chunk: sequences as bytes, the rest through the same
    row checks as :func:`genoclass.io.tables.read_table`."""
    numbers = np.arange(first, first + batch.num_rows, dtype=np.int64)
    others = [c for c in columns.names() if c != columns.sequence]
    frame = pd.DataFrame(
        {c: _as_pandas(batch.column(names[c])) for c in others}, index=pd.RangeIndex(len(numbers))
    )
    ids, labels, splits = row_facts(
        frame, columns, numbers, part.path, options, fmt=fmt, split=part.split
    )
    residues, offsets = _sequence_bytes(batch.column(names[columns.sequence]))
    if not isinstance(splits, list):
        splits = [splits] * len(numbers)
    return SequenceChunk(residues, offsets, ids, labels, splits, numbers, str(part.path), "row")


def _as_pandas(values: pa.Array) -> pd.Series:
    """A column as pandas; binary cells (CSV) decoded as UTF-8, invalid bytes replaced."""
    if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
        values = _utf8(values)
    return values.to_pandas()


def _utf8(values: pa.Array) -> pa.Array:
    try:
        return values.cast(pa.string())
    except pa.ArrowInvalid:
        texts = [
            None if v is None else v.decode("utf-8", errors="replace") for v in values.to_pylist()
        ]
        return pa.array(texts, type=pa.string())


def _sequence_bytes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Stripped sequence cells (missing -> empty) as one byte array with offsets."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
        values = _utf8(values)
    elif not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.string())
    text = pc.utf8_trim_whitespace(values).fill_null("").cast(pa.large_string())
    _, offsets_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        text.offset : text.offset + len(text) + 1
    ]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.zeros(0, np.uint8)
    )
    return data[offsets[0] : offsets[-1]], offsets - offsets[0]
