"""The packed sequence store: a folder of flat arrays, read lazily.

Layout (format version 1; every array little-endian, one file each, no header)::

    STORE/manifest.json      format, version, counts, classes, source fingerprint, cleaning,
                             and per array: file, dtype, shape, bytes, SHA-256
    STORE/tokens.u8          uint8 tokens of every sequence back to back (A1 C2 G3 T4 N5)
    STORE/offsets.i64        int64 (n + 1): sequence i is tokens[offsets[i]:offsets[i + 1]]
    STORE/labels.i32         int32 (n): index into manifest "classes", -1 = no label
    STORE/splits.i8          int8 (n): 0 train, 1 val, 2 test, -1 = no official split
    STORE/hashes.u64         uint64 (n, 2): 64-bit BLAKE2b of the upper-case sequence text and
                             of its reverse complement (min of the two: the canonical hash)
    STORE/source_rows.i64    int64 (n): record / row number in the source file
    STORE/ids.utf8           UTF-8 ids back to back
    STORE/id_offsets.i64     int64 (n + 1): id i is ids[id_offsets[i]:id_offsets[i + 1]]

Batches read their rows with positioned reads (``os.pread``), so a store of any size costs
a training process no resident memory beyond the batch; whole per-sequence arrays (labels,
splits, hashes) are memory-mapped. Opening checks what is cheap: the manifest, that every
file is there with exactly the size its dtype and shape imply, and the SHA-256 of every
per-sequence array (everything but the tokens, which can be far larger). Tokens are
checked lazily: every gathered batch must hold only token ids 1-5, and
:meth:`SequenceStore.verify` with ``full=True`` hashes them too. Any mismatch is an
:class:`~genoclass.errors.InputError` naming the file and the problem.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import torch

from genoclass.data.leakage import duplicate_counts, groups_from_keys
from genoclass.data.loaders import Augment, augment_rng, model_batch
from genoclass.errors import InputError
from genoclass.io.textfile import file_sha256
from genoclass.sequence.encoding import Crop, crop_starts

FORMAT = "genoclass-sequence-store"
VERSION = 1
MANIFEST = "manifest.json"
#: array name -> (file name, dtype); shapes follow from the manifest's counts
ARRAYS: dict[str, tuple[str, str]] = {
    "tokens": ("tokens.u8", "u1"),
    "offsets": ("offsets.i64", "<i8"),
    "labels": ("labels.i32", "<i4"),
    "splits": ("splits.i8", "i1"),
    "hashes": ("hashes.u64", "<u8"),
    "source_rows": ("source_rows.i64", "<i8"),
    "ids": ("ids.utf8", "u1"),
    "id_offsets": ("id_offsets.i64", "<i8"),
}
#: arrays whose checksum is verified on open (all but the tokens)
ROW_ARRAYS = tuple(name for name in ARRAYS if name != "tokens")
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
SPLIT_NAMES = np.array([None, "train", "val", "test"], dtype=object)  # code + 1 -> name
HASH_BYTES = 8
#: token id -> base letter (0 for padding, never stored)
_LETTERS = np.frombuffer(b"\0ACGTN", dtype=np.uint8)
_COMPLEMENT = np.arange(256, dtype=np.uint8)
_COMPLEMENT[np.frombuffer(b"ACGTN", np.uint8)] = np.frombuffer(b"TGCAN", np.uint8)


def array_shapes(counts: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """Shape of every array of a store with ``n_sequences``, ``n_residues``, ``n_id_bytes``."""
    n = counts["n_sequences"]
    return {
        "tokens": (counts["n_residues"],),
        "offsets": (n + 1,),
        "labels": (n,),
        "splits": (n,),
        "hashes": (n, 2),
        "source_rows": (n,),
        "ids": (counts["n_id_bytes"],),
        "id_offsets": (n + 1,),
    }


def sequence_hashes(residues: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(n, 2) uint64: 64-bit BLAKE2b of each row's text (upper-case A C G T N bytes, rows
    ``residues[offsets[i]:offsets[i + 1]]``) and of its reverse complement."""
    total = len(residues)
    reverse = _COMPLEMENT[residues[::-1]]  # rows in reverse order, each reverse-complemented
    starts, ends = offsets[:-1].tolist(), offsets[1:].tolist()
    forward_view, reverse_view = memoryview(residues), memoryview(reverse)
    digest = hashlib.blake2b
    forward = b"".join(
        [
            digest(forward_view[a:b], digest_size=HASH_BYTES).digest()
            for a, b in zip(starts, ends, strict=True)
        ]
    )
    backward = b"".join(
        [
            digest(reverse_view[total - b : total - a], digest_size=HASH_BYTES).digest()
            for a, b in zip(starts, ends, strict=True)
        ]
    )
    pair = np.stack([np.frombuffer(forward, "<u8"), np.frombuffer(backward, "<u8")], axis=1)
    return pair.reshape(len(starts), 2)


def is_store(path: str | Path) -> bool:
    """Whether ``path`` is a folder holding a sequence store's manifest."""
    return (Path(path) / MANIFEST).is_file()


class SequenceStore:
    """A packed store opened read-only; arrays are memory-mapped on first use.

    ``verify`` on open: ``"sizes"`` (manifest and file sizes only), ``"rows"`` (default: also
    the checksums of every per-sequence array) or ``"full"`` (also the tokens' checksum).
    Pickling keeps only the path, so DataLoader workers and other processes reopen the files
    themselves instead of copying arrays.
    """

    def __init__(self, path: str | Path, *, verify: str = "rows") -> None:
        self.path = Path(path)
        self.manifest = _read_manifest(self.path)
        self._arrays: dict[str, np.ndarray] = {}
        self._files: dict[str, BinaryIO] = {}
        self._check_sizes()
        if verify != "sizes":
            self.verify(full=verify == "full")

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "manifest": self.manifest}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path, self.manifest, self._arrays = state["path"], state["manifest"], {}
        self._files: dict[str, BinaryIO] = {}
        self._check_sizes()

    def __len__(self) -> int:
        return int(self.manifest["n_sequences"])

    @property
    def classes(self) -> list[str]:
        """Sorted class names; ``labels`` index into them."""
        return list(self.manifest["classes"])

    def array(self, name: str) -> np.ndarray:
        """A read-only memory map of one array (see :data:`ARRAYS`)."""
        if name not in self._arrays:
            entry = self.manifest["arrays"][name]
            shape = tuple(entry["shape"])
            if 0 in shape:  # numpy cannot map an empty file
                self._arrays[name] = np.zeros(shape, dtype=ARRAYS[name][1])
            else:
                file = self.path / ARRAYS[name][0]
                self._arrays[name] = np.memmap(file, dtype=ARRAYS[name][1], mode="r", shape=shape)
        return self._arrays[name]

    @property
    def lengths(self) -> np.ndarray:
        """Length of every sequence (int64)."""
        return np.diff(self.array("offsets"))

    @property
    def labels(self) -> np.ndarray:
        """Label code of every sequence: index into ``classes``, -1 when unlabelled."""
        return self.array("labels")

    @property
    def hashes(self) -> np.ndarray:
        """(n, 2) uint64 hashes of each sequence and of its reverse complement."""
        return self.array("hashes")

    def split_names(self) -> np.ndarray:
        """Official split of every sequence ("train", "val", "test" or None), object array."""
        return SPLIT_NAMES[self.array("splits").astype(np.int64) + 1]

    def ids(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        """Ids of the given rows."""
        data, offsets = self.array("ids"), self.array("id_offsets")
        return [
            bytes(data[offsets[r] : offsets[r + 1]]).decode("utf-8", errors="replace")
            for r in np.asarray(rows, dtype=np.int64)
        ]

    def sequences(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        """Sequences of the given rows as upper-case strings."""
        tokens, lengths = self.gather(rows)
        return [
            _LETTERS[t[:n]].tobytes().decode("ascii") for t, n in zip(tokens, lengths, strict=True)
        ]

    def gather(
        self,
        rows: Sequence[int] | np.ndarray,
        *,
        max_len: int | None = None,
        crop: Crop = "right",
        width: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Right-padded uint8 tokens (B, W) and lengths of ``rows``, each cropped to
        ``max_len`` as :func:`genoclass.sequence.encoding.tokenize` does; W is ``width`` or
        the longest kept row. InputError when the tokens or offsets are out of range."""
        rows = np.asarray(rows, dtype=np.int64)
        offsets = self._read("offsets", (8 * rows).tolist(), [16] * len(rows), "<i8")
        starts, ends = offsets[0::2], offsets[1::2]
        lengths = ends - starts
        bad = np.flatnonzero((lengths < 1) | (starts < 0) | (ends > self.manifest["n_residues"]))
        if bad.size:
            self._corrupt("offsets", f"row {rows[bad[0]]}: offsets out of range")
        if max_len is not None:
            starts = starts + crop_starts(lengths, max_len, crop)
            lengths = np.minimum(lengths, max_len)
        out = np.zeros((len(rows), width or int(lengths.max(initial=0))), dtype=np.uint8)
        sizes = np.minimum(lengths, out.shape[1])
        flat = self._read("tokens", starts.tolist(), sizes.tolist(), "u1")
        out[np.arange(out.shape[1])[None, :] < sizes[:, None]] = flat
        kept = np.arange(out.shape[1])[None, :] < lengths[:, None]
        wrong = np.flatnonzero(((out == 0) & kept).any(axis=1) | (out > 5).any(axis=1))
        if wrong.size:
            self._corrupt("tokens", f"row {rows[wrong[0]]}: token ids outside 1-5")
        return out, lengths

    def token_blocks(self, residues: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every row in order, as :meth:`gather`'s (tokens, lengths) of consecutive rows
        holding about ``residues`` tokens per block (a longer row is a block of its own)."""
        ends = np.asarray(self.array("offsets"))
        start = 0
        while start < len(self):
            stop = int(np.searchsorted(ends, ends[start] + residues, side="right")) - 1
            stop = min(max(stop, start + 1), len(self))
            yield self.gather(np.arange(start, stop))
            start = stop

    def _read(self, name: str, starts: list[int], sizes: list[int], dtype: str) -> np.ndarray:
        """Bytes ``[start, start + size)`` of an array file, back to back. Positioned reads
        rather than the memory map: the pages stay in the page cache, out of this process's
        resident memory, however many random rows a long training run touches."""
        if name not in self._files:
            self._files[name] = open(self.path / ARRAYS[name][0], "rb")  # noqa: SIM115
        fd = self._files[name].fileno()
        data = b"".join([os.pread(fd, n, start) for start, n in zip(starts, sizes, strict=True)])
        if len(data) != sum(sizes):
            self._corrupt(name, "shorter than its manifest says (changed while open?)")
        return np.frombuffer(data, dtype=dtype)

    def y(self, classes: Sequence[str] | None = None) -> np.ndarray:
        """Class index (int64) of every sequence, into ``classes`` (default: the store's);
        InputError at the first unlabelled row or a label not in ``classes``."""
        codes = np.asarray(self.labels, dtype=np.int64)
        missing = np.flatnonzero(codes < 0)
        if missing.size:
            row, unit = int(self.array("source_rows")[missing[0]]), self.manifest.get("unit", "row")
            where = f"sequence {missing[0] + 1} (source {unit} {row})"
            raise InputError("missing label", path=self.path, where=where)
        if classes is None:
            return codes
        index = {c: i for i, c in enumerate(classes)}
        unknown = [c for c in self.classes if c not in index]
        if unknown:
            reason = f"label not among the classes {list(classes)}"
            raise InputError(reason, path=self.path, value=unknown[0])
        return np.array([index[c] for c in self.classes], dtype=np.int64)[codes]

    def table(self) -> pd.DataFrame:
        """Per-row facts without the sequences: ``label`` (string or None), ``split``,
        ``source_row`` — what :func:`genoclass.data.splits.assign_splits` needs."""
        codes = np.asarray(self.labels)
        labels = pd.Categorical.from_codes(codes, categories=self.classes) if self.classes else None
        return pd.DataFrame(
            {
                "label": labels if labels is not None else [None] * len(self),
                "split": self.split_names(),
                "source_row": np.asarray(self.array("source_rows")),
            }
        )

    def verify(self, *, full: bool = False) -> None:
        """Check the SHA-256 of every per-sequence array (and of the tokens when ``full``)."""
        for name in ARRAYS if full else ROW_ARRAYS:
            expected = self.manifest["arrays"][name].get("sha256")
            if file_sha256(self.path / ARRAYS[name][0]) != expected:
                self._corrupt(
                    name, "contents differ from the manifest's checksum (edited or corrupt)"
                )
        codes = np.asarray(self.labels)
        if codes.size and (codes.min() < -1 or codes.max() >= len(self.classes)):
            self._corrupt("labels", f"label codes outside -1..{len(self.classes) - 1}")

    def features(self, rows: np.ndarray | None = None, **options: Any) -> StoreFeatures:
        """A :class:`StoreFeatures` over ``rows`` (default all); options as its fields."""
        return StoreFeatures(self, np.arange(len(self)) if rows is None else rows, **options)

    def _check_sizes(self) -> None:
        shapes = array_shapes(self.manifest)
        for name, (file, dtype) in ARRAYS.items():
            entry = self.manifest["arrays"].get(name)
            if not isinstance(entry, dict) or entry.get("shape") != list(shapes[name]):
                self._manifest_error(f"array {name!r} missing or with the wrong shape")
            path = self.path / file
            if not path.is_file():
                raise InputError("store file missing", path=path)
            expected = int(np.prod(shapes[name])) * np.dtype(dtype).itemsize
            actual = path.stat().st_size
            if actual != expected:
                state = "truncated" if actual < expected else "longer than the manifest says"
                self._corrupt(name, f"{state}: {actual:,} bytes, expected {expected:,}")
        offsets = self.array("offsets")
        if offsets[0] != 0 or offsets[-1] != self.manifest["n_residues"]:
            self._corrupt("offsets", "first/last offset do not match the token count")

    def _corrupt(self, name: str, reason: str) -> None:
        raise InputError(reason, path=self.path / ARRAYS[name][0])

    def _manifest_error(self, reason: str) -> None:
        raise InputError(reason, path=self.path / MANIFEST)


def _read_manifest(folder: Path) -> dict[str, Any]:
    """The parsed manifest, checked for format, version and the fields the reader needs."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InputError("no such store folder", path=folder)
    if not path.is_file():
        raise InputError("not a sequence store: manifest.json missing", path=folder)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(f"not valid JSON: {err}", path=path) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"not a {FORMAT} manifest", path=path)
    if manifest.get("version") != VERSION:
        raise InputError(
            f"store format version {manifest.get('version')!r}; this genoclass reads {VERSION}",
            path=path,
        )
    for key in ("n_sequences", "n_residues", "n_id_bytes"):
        value = manifest.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputError(f"{key!r} must be a non-negative integer", path=path, value=value)
    classes = manifest.get("classes")
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise InputError("'classes' must be a list of strings", path=path)
    if not isinstance(manifest.get("arrays"), dict):
        raise InputError("'arrays' must be an object", path=path)
    return manifest


class StoreFeatures:
    """The FeatureSet of some rows of a store: ``batch`` gives exactly what
    :class:`genoclass.data.loaders.SequenceFeatures` gives for the same sequences, reading
    only the rows asked for. ``max_len`` crops (``crop`` side) as the featurizer does;
    ``fixed_width`` pads every batch to one width for fixed-length models."""

    def __init__(
        self,
        store: SequenceStore,
        rows: np.ndarray,
        *,
        y: np.ndarray | None = None,
        input_kind: str = "tokens",
        max_len: int | None = None,
        crop: Crop = "right",
        fixed_width: int | None = None,
        augment: Augment | None = None,
        seed: int = 0,
    ) -> None:
        self.store = store
        self.rows = np.asarray(rows, dtype=np.int64)
        self.y = y
        self.input_kind = input_kind
        self.max_len = max_len
        self.crop = crop
        self.fixed_width = fixed_width
        self.augment = augment
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.rows)

    def seed_batch(self, epoch: int, index: int) -> None:
        """Draw the next batch's augmentation from the stream of batch ``index`` of ``epoch``
        (as SequenceFeatures does)."""
        self._rng = augment_rng(self.seed, epoch, index)

    def augmented(self, augment: Augment, seed: int) -> StoreFeatures:
        """These rows with training-time ``augment`` drawn from ``seed``."""
        out = copy.copy(self)
        out.augment, out.seed, out._rng = augment, seed, np.random.default_rng(seed)
        return out

    def batch(self, rows: Sequence[int]) -> dict[str, torch.Tensor]:
        """Model-ready batch for positions ``rows`` of this set: x, lengths and y."""
        rows = np.asarray(rows, dtype=np.int64)
        # the in-memory set's token matrix is max_len wide; augmentation draws depend on it
        width = self.max_len if self.augment is not None else None
        tokens, lengths = self.store.gather(
            self.rows[rows], max_len=self.max_len, crop=self.crop, width=width
        )
        return model_batch(
            tokens,
            lengths,
            None if self.y is None else self.y[rows],
            input_kind=self.input_kind,
            fixed_width=self.fixed_width,
            augment=self.augment,
            rng=self._rng,
        )


def store_duplicate_groups(store: SequenceStore, include_rc: bool = True) -> np.ndarray:
    """Duplicate group id per row from the stored hashes; equals
    :func:`genoclass.data.leakage.duplicate_groups` on the sequences."""
    hashes = np.asarray(store.hashes)
    forward = pd.Series(hashes[:, 0])
    return groups_from_keys(forward, pd.Series(hashes[:, 1]) if include_rc else None)


def store_cross_split_duplicates(store: SequenceStore, split: np.ndarray | None = None) -> dict:
    """Within- and cross-split duplicate counts from the stored hashes; equals
    :func:`genoclass.data.leakage.cross_split_duplicates`. ``split`` (one name or None per
    row) defaults to the store's official splits."""
    hashes = np.asarray(store.hashes)
    names = store.split_names() if split is None else np.asarray(split, dtype=object)
    return duplicate_counts(pd.Series(hashes[:, 0]), pd.Series(hashes[:, 1]), pd.Series(names))
