"""Packing a sequence source into a store (:mod:`genoclass.data.store`), chunk by chunk.

The source is streamed (:class:`genoclass.io.stream.SequenceStream`), optionally cut into
windows of ``window`` bases every ``stride`` (the same windows as
:func:`genoclass.sequence.windows.window_starts`, also across records longer than a chunk)
and filtered by N content; every row that is left out is counted. The store is written in a
temporary folder beside the target and renamed into place only when complete, so a failure
at any point (bad input, full disk, Ctrl-C) leaves no half-written store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

import numpy as np

from genoclass import __version__
from genoclass.alphabet import join_utf8
from genoclass.data.store import (
    ARRAYS,
    FORMAT,
    MANIFEST,
    SPLIT_CODES,
    VERSION,
    array_shapes,
    is_store,
    sequence_hashes,
)
from genoclass.errors import InputError
from genoclass.io.stream import CHUNK_BYTES, SequenceChunk, SequenceStream
from genoclass.sequence.encoding import residue_tokens
from genoclass.sequence.windows import window_starts

#: progress callback: (bytes read, bytes in total)
Progress = Callable[[int, int], None]
_N = ord("N")


@dataclass
class PackResult:
    """What a pack did: rows and bases written, bytes read, time, cleaning and filtering."""

    path: Path
    rows: int
    residues: int
    bytes_read: int
    store_bytes: int
    seconds: float
    source_format: str
    cleaning: dict[str, int]
    filtered: dict[str, int] = field(default_factory=dict)
    windows: dict[str, int] | None = None
    max_n: float | None = None

    @property
    def megabytes_per_second(self) -> float:
        """Source bytes read per second, in MB (10^6 bytes)."""
        return self.bytes_read / 1e6 / max(self.seconds, 1e-9)


def pack_sequences(
    source: str | Path,
    out: str | Path,
    *,
    format: str = "auto",
    sequence_col: str = "sequence",
    label_col: str = "label",
    window: int | None = None,
    stride: int | None = None,
    max_n: float | None = None,
    overwrite: bool = False,
    chunk_bytes: int = CHUNK_BYTES,
    progress: Progress | None = None,
) -> PackResult:
    """Stream ``source`` (FASTA, CSV, TSV, Parquet, a FASTA folder or a GUE folder) into a
    new store at ``out``. With ``window``, each record becomes windows of that many bases
    every ``stride`` (default: ``window``; the last window ends at the record's end) with
    ids ``ID:START-END`` (1-based, inclusive). ``max_n`` drops rows whose fraction of N is
    above it (counted in ``filtered``). Labels are optional (-1 when absent)."""
    start = time.perf_counter()
    out = Path(out)
    _check_target(out, overwrite)
    if window is None and stride is not None:
        raise InputError("--stride needs --window")
    cutter = None if window is None else _Windower(window, stride or window)
    if max_n is not None and not 0 <= max_n <= 1:
        raise InputError("--max-n must be a fraction between 0 and 1", value=max_n)
    stream = SequenceStream(
        source,
        format=format,
        sequence_col=sequence_col,
        label_col=label_col,
        whole_records=cutter is None,
        chunk_bytes=chunk_bytes,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        writer = _StoreWriter(temp)
        filtered = {"over_max_n": 0} if max_n is not None else {}
        for chunk in stream:
            rows = chunk if cutter is None else cutter.cut(chunk)
            if max_n is not None:
                rows, dropped = _drop_n_rich(rows, max_n)
                filtered["over_max_n"] += dropped
            writer.append(rows)
            if progress is not None:
                progress(stream.report.bytes_read, stream.report.bytes_total)
        if writer.rows == 0:
            raise InputError("no sequences left to pack", path=source)
        extra: dict = {
            "source": {
                "path": str(Path(source).resolve()),
                "format": stream.report.format,
                "files": stream.report.files,
            },
            "unit": writer.unit,
            "windows": None if cutter is None else {"size": cutter.size, "stride": cutter.stride},
            "max_n": max_n,
            "cleaning": stream.report.cleaning.as_dict(),
            "filtered": filtered,
        }
        writer.finish(extra)
        _replace(temp, out)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return PackResult(
        path=out,
        rows=writer.rows,
        residues=writer.residues,
        bytes_read=stream.report.bytes_total,
        store_bytes=sum(f.stat().st_size for f in out.iterdir()),
        seconds=time.perf_counter() - start,
        source_format=stream.report.format,
        cleaning=stream.report.cleaning.as_dict(),
        filtered=filtered,
        windows=extra["windows"],
        max_n=max_n,
    )


def _check_target(out: Path, overwrite: bool) -> None:
    """Refuse to replace anything but an existing store, and that only with ``overwrite``."""
    if not out.exists():
        return
    if not is_store(out):
        raise InputError("exists and is not a sequence store; choose another --out", path=out)
    if not overwrite:
        raise InputError("store exists (pass --overwrite to replace it)", path=out)


def _replace(temp: Path, out: Path) -> None:
    """Move the finished store into place; an old store goes only once the new one is in."""
    if not out.exists():
        os.replace(temp, out)
        return
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
    os.replace(out, old)
    os.replace(temp, out)
    shutil.rmtree(old, ignore_errors=True)


class _StoreWriter:
    """Appends rows to the array files of a new store and writes its manifest."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir()
        self.folder = folder
        self.files: dict[str, BinaryIO] = {
            name: open(folder / file, "wb")  # noqa: SIM115 - closed in finish()
            for name, (file, _) in ARRAYS.items()
        }
        self.sha = {name: hashlib.sha256() for name in ARRAYS}
        self.rows = self.residues = self.id_bytes = 0
        self.unit = "row"
        self.label_codes: dict[str, int] = {}  # in order of first appearance
        self._write("offsets", np.zeros(1, np.int64))
        self._write("id_offsets", np.zeros(1, np.int64))

    def _write(self, name: str, values: np.ndarray) -> None:
        data = np.ascontiguousarray(values, dtype=ARRAYS[name][1]).tobytes()
        self.files[name].write(data)
        self.sha[name].update(data)

    def append(self, rows: SequenceChunk) -> None:
        """Write the complete rows of a cleaned chunk."""
        if not len(rows):
            return
        self.unit = rows.unit
        self._write("tokens", residue_tokens(rows.residues))
        self._write("offsets", rows.offsets[1:] + self.residues)
        self._write("labels", self._codes(rows.labels))
        splits = [SPLIT_CODES.get(s, -1) if s is not None else -1 for s in rows.splits]
        self._write("splits", np.asarray(splits, dtype=np.int8))
        self._write("hashes", sequence_hashes(rows.residues, rows.offsets))
        self._write("source_rows", rows.numbers)
        ids, id_offsets = join_utf8(rows.ids)
        self._write("ids", ids)
        self._write("id_offsets", id_offsets[1:] + self.id_bytes)
        self.rows += len(rows)
        self.residues += int(rows.offsets[-1])
        self.id_bytes += int(id_offsets[-1])

    def _codes(self, labels: list[str | None]) -> np.ndarray:
        """Provisional label codes (first appearance order; -1 for no label)."""
        for label in set(labels) - set(self.label_codes) - {None}:
            self.label_codes[label] = len(self.label_codes)
        return np.array([-1 if v is None else self.label_codes[v] for v in labels], np.int32)

    def finish(self, extra: dict) -> dict:
        """Close the files, renumber labels by sorted class name and write the manifest."""
        for handle in self.files.values():
            handle.close()
        classes = sorted(self.label_codes)
        self._renumber_labels(classes)
        counts = {
            "n_sequences": self.rows,
            "n_residues": self.residues,
            "n_id_bytes": self.id_bytes,
        }
        shapes = array_shapes(counts)
        arrays = {
            name: {
                "file": file,
                "dtype": np.dtype(dtype).str,
                "shape": list(shapes[name]),
                "bytes": (self.folder / file).stat().st_size,
                "sha256": self.sha[name].hexdigest(),
            }
            for name, (file, dtype) in ARRAYS.items()
        }
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "genoclass_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **counts,
            "classes": classes,
            "hash": "blake2b, 8-byte digest, of the upper-case sequence and of its reverse "
            "complement",
            **extra,
            "arrays": arrays,
        }
        (self.folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        return manifest

    def _renumber_labels(self, classes: list[str]) -> None:
        """Rewrite provisional codes as indices into the sorted classes."""
        if not self.rows:
            return
        remap = np.full(len(classes) + 1, -1, dtype=np.int32)  # last entry: code -1
        for label, code in self.label_codes.items():
            remap[code] = classes.index(label)
        path = self.folder / ARRAYS["labels"][0]
        codes = np.memmap(path, dtype=ARRAYS["labels"][1], mode="r+", shape=(self.rows,))
        codes[:] = remap[codes]
        codes.flush()
        del codes
        self.sha["labels"] = hashlib.sha256(path.read_bytes())


@dataclass
class _OpenRecord:
    """The tail of a record still being read: its bases from ``base`` on and the start of
    the last window cut from it so far (-1: none)."""

    chunk: SequenceChunk  # one row: id, label, split, number of the record
    buffer: np.ndarray
    base: int = 0
    done: int = -1


class _Windower:
    """Cuts streamed records into windows, also records that arrive in pieces."""

    def __init__(self, size: int, stride: int) -> None:
        if size < 1 or stride < 1:
            raise InputError(f"--window and --stride must be >= 1, got {size} and {stride}")
        self.size, self.stride = size, stride
        self.open: _OpenRecord | None = None

    def cut(self, chunk: SequenceChunk) -> SequenceChunk:
        """The windows completed by this chunk, in record order."""
        parts: list[SequenceChunk] = []
        first = int(chunk.continues)
        still_open = chunk.open and len(chunk) == 1
        if chunk.continues:
            self._extend(_rows(chunk, 0, 1))
            parts.append(self._ready() if still_open else self._close())
        opens = chunk.open and not (chunk.continues and still_open)
        last = len(chunk) - int(opens)
        if last > first:
            parts.append(self._windows(_rows(chunk, first, last)))
        if opens:
            self.open = _OpenRecord(_rows(chunk, last, last + 1), np.zeros(0, np.uint8))
            self._extend(self.open.chunk)
            parts.append(self._ready())
        return _concat(parts, chunk)

    def _extend(self, piece: SequenceChunk) -> None:
        assert self.open is not None
        self.open.buffer = np.concatenate([self.open.buffer, piece.residues])

    def _ready(self) -> SequenceChunk:
        """Windows of the open record that lie wholly before its known end (and are not the
        record's last window, which needs its length)."""
        record = self.open
        assert record is not None
        known = record.base + len(record.buffer)
        following = 0 if record.done < 0 else record.done + self.stride
        # a start s with s + size < known is below the last start (length - size), so it is a
        # regular start of the record whatever its length turns out to be
        count = max(0, -(-(known - self.size - following) // self.stride))
        starts = following + self.stride * np.arange(count, dtype=np.int64)
        out = self._gather(record, starts, np.full(count, self.size))
        if count:
            record.done = int(starts[-1])
            keep = record.done + 1 - record.base  # the last window starts after ``done``
            record.buffer, record.base = record.buffer[keep:], record.base + keep
        return out

    def _close(self) -> SequenceChunk:
        """The remaining windows of the open record, which has just ended."""
        record = self.open
        assert record is not None
        length = record.base + len(record.buffer)
        _, starts = window_starts(np.array([length]), self.size, self.stride)
        starts = starts[starts > record.done]
        self.open = None
        return self._gather(record, starts, np.minimum(self.size, length - starts))

    def _gather(self, record: _OpenRecord, starts: np.ndarray, sizes: np.ndarray) -> SequenceChunk:
        """Windows of the open record's buffer as rows."""
        local = SequenceChunk(
            record.buffer,
            np.array([0, len(record.buffer)], dtype=np.int64),
            *_facts(record.chunk),
        )
        return _take(
            local, np.zeros(len(starts), np.int64), starts - record.base, sizes, record.base
        )

    def _windows(self, rows: SequenceChunk) -> SequenceChunk:
        """Every window of complete records."""
        owner, starts = window_starts(rows.lengths, self.size, self.stride)
        return _take(rows, owner, starts, np.minimum(self.size, rows.lengths[owner] - starts), 0)


def _facts(chunk: SequenceChunk) -> tuple:
    return chunk.ids, chunk.labels, chunk.splits, chunk.numbers, chunk.path, chunk.unit


def _take(
    rows: SequenceChunk,
    owner: np.ndarray,
    starts: np.ndarray,
    sizes: np.ndarray,
    base: int,
    *,
    coordinates: bool = True,
) -> SequenceChunk:
    """Slices ``rows[owner][starts:starts + sizes]`` as a chunk of rows; with
    ``coordinates`` ids get the 1-based inclusive ``:START-END`` of the window in its record
    (``base``: where the row begins in its record)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    source = rows.offsets[owner] + starts
    index = np.repeat(source - offsets[:-1], sizes) + np.arange(offsets[-1])
    owners = owner.tolist()
    ids = [rows.ids[o] for o in owners]
    if coordinates:
        first, ends = (starts + base + 1).tolist(), (starts + base + sizes).tolist()
        ids = [f"{i}:{a}-{b}" for i, a, b in zip(ids, first, ends, strict=True)]
    return SequenceChunk(
        rows.residues[index],
        offsets,
        ids,
        [rows.labels[o] for o in owners],
        [rows.splits[o] for o in owners],
        rows.numbers[owner],
        rows.path,
        rows.unit,
    )


def _rows(chunk: SequenceChunk, first: int, last: int) -> SequenceChunk:
    """Rows ``first:last`` of a chunk as a chunk of complete rows."""
    offsets = chunk.offsets[first : last + 1]
    return SequenceChunk(
        chunk.residues[offsets[0] : offsets[-1]],
        offsets - offsets[0],
        chunk.ids[first:last],
        chunk.labels[first:last],
        chunk.splits[first:last],
        chunk.numbers[first:last],
        chunk.path,
        chunk.unit,
    )


def _concat(parts: list[SequenceChunk], like: SequenceChunk) -> SequenceChunk:
    """Rows of several chunks as one chunk."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return SequenceChunk(
            np.zeros(0, np.uint8),
            np.zeros(1, np.int64),
            [],
            [],
            [],
            np.zeros(0, np.int64),
            like.path,
            like.unit,
        )
    if len(parts) == 1:
        return parts[0]
    sizes = np.concatenate([p.lengths for p in parts])
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return SequenceChunk(
        np.concatenate([p.residues for p in parts]),
        offsets,
        [i for p in parts for i in p.ids],
        [v for p in parts for v in p.labels],
        [v for p in parts for v in p.splits],
        np.concatenate([p.numbers for p in parts]),
        like.path,
        like.unit,
    )


def _drop_n_rich(rows: SequenceChunk, max_n: float) -> tuple[SequenceChunk, int]:
    """Rows whose fraction of N is at most ``max_n``, and how many were dropped."""
    if not len(rows):
        return rows, 0
    n_count = np.add.reduceat((rows.residues == _N).astype(np.int64), rows.offsets[:-1])
    keep = n_count <= max_n * rows.lengths
    if keep.all():
        return rows, 0
    kept = np.flatnonzero(keep)
    sizes = rows.lengths[kept]
    return _take(rows, kept, np.zeros(len(kept), np.int64), sizes, 0, coordinates=False), int(
        (~keep).sum()
    )


def progress_printer(stream: TextIO | None = None) -> Progress:
    """A progress callback printing ``read X of Y MB (P %)`` at every further 10 %."""
    out = stream or sys.stderr
    step = {"next": 0.1}

    def report(done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        if step["next"] <= fraction < 1.0:
            print(f"read {done / 1e6:,.0f} of {total / 1e6:,.0f} MB ({fraction:.0%})", file=out)
            step["next"] = (int(fraction * 10) + 1) / 10

    return report


def format_pack_result(result: PackResult) -> str:
    """Readable lines of what a pack did (for the command line)."""
    cleaning = result.cleaning
    unit = "windows" if result.windows else "sequences"
    dropped = result.filtered.get("over_max_n")
    lines = [
        f"packed {result.rows:,} {unit} ({result.residues:,} bases) into {result.path}",
        f"read {result.bytes_read / 1e6:,.1f} MB ({result.source_format}) in "
        f"{result.seconds:.1f} s: {result.megabytes_per_second:.1f} MB/s; "
        f"store {result.store_bytes / 1e6:,.1f} MB",
        f"cleaning: {cleaning['lowercase_uppercased']:,} of {cleaning['n_sequences']:,} source "
        f"sequences upper-cased, {cleaning['ambiguous_to_N']:,} with IUPAC codes set to N",
        "filtered: none"
        if dropped is None
        else f"filtered: {dropped:,} {unit} with more than {result.max_n:.0%} N",
    ]
    return "\n".join(lines)
