"""The DNA alphabet every layer shares: allowed characters, cleaning rules and token ids.

Cleaning is a 256-entry lookup table applied to all sequences at once: lower case
(soft-masked) becomes upper case, IUPAC ambiguity codes become ``N``, anything else is
an input error naming the file, the row or record and the offending character.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from genoclass.errors import InputError

BASES = "ACGT"
AMBIGUOUS = "RYSWKMBDHVN"
#: Token ids for embedding models; 0 is padding, N is its own token.
TOKEN_IDS = {"A": 1, "C": 2, "G": 3, "T": 4, "N": 5}
PAD_ID = 0
N_TOKENS = 6

_INVALID = 255
_CLEAN_TABLE = np.full(256, _INVALID, dtype=np.uint8)
for _c in BASES + "N":
    _CLEAN_TABLE[ord(_c)] = ord(_c)
    _CLEAN_TABLE[ord(_c.lower())] = ord(_c)
for _c in AMBIGUOUS:
    _CLEAN_TABLE[ord(_c)] = ord("N")
    _CLEAN_TABLE[ord(_c.lower())] = ord("N")


_IS_LOWER = np.zeros(256, dtype=bool)
_IS_LOWER[[ord(c.lower()) for c in BASES + "N" + AMBIGUOUS]] = True
_IS_AMBIGUOUS = np.zeros(256, dtype=bool)
_IS_AMBIGUOUS[[ord(c) for c in AMBIGUOUS.replace("N", "") + AMBIGUOUS.replace("N", "").lower()]] = (
    True
)


@dataclass
class CleanReport:
    """What cleaning changed: counts of sequences touched by each rule."""

    n_sequences: int = 0
    lowercase_uppercased: int = 0
    ambiguous_to_n: int = 0

    def as_dict(self) -> dict[str, int]:
        """Plain dictionary for JSON and printing."""
        return {
            "n_sequences": self.n_sequences,
            "lowercase_uppercased": self.lowercase_uppercased,
            "ambiguous_to_N": self.ambiguous_to_n,
        }

    def add(self, lowercase: np.ndarray, ambiguous: np.ndarray) -> None:
        """Count more sequences from their per-sequence flags (see :class:`CleanedBytes`)."""
        self.n_sequences += len(lowercase)
        self.lowercase_uppercased += int(np.count_nonzero(lowercase))
        self.ambiguous_to_n += int(np.count_nonzero(ambiguous))


@dataclass
class CleanedBytes:
    """Cleaned sequences as one byte array (upper-case A C G T N, rows back to back) with
    per-row flags: ``lowercase`` (some letter was lower case), ``ambiguous`` (some IUPAC code
    became N)."""

    residues: np.ndarray
    lowercase: np.ndarray
    ambiguous: np.ndarray


def check_not_empty(
    lengths: np.ndarray, numbers: np.ndarray, *, path: str | None = None, unit: str = "row"
) -> None:
    """Raise :class:`InputError` naming the first sequence of length 0."""
    empty = np.flatnonzero(np.asarray(lengths) == 0)
    if empty.size:
        raise InputError("empty sequence", path=path, where=f"{unit} {numbers[empty[0]]}")


def clean_bytes(
    raw: np.ndarray,
    offsets: np.ndarray,
    *,
    path: str | None = None,
    unit: str = "row",
    numbers: Sequence[int] | np.ndarray | None = None,
    allow_empty: bool = False,
) -> CleanedBytes:
    """Clean UTF-8 sequence bytes (rows ``raw[offsets[i]:offsets[i + 1]]``) like
    :func:`clean_sequences`: upper-case, IUPAC codes to N, anything else an InputError naming
    the row and character. ``allow_empty`` accepts rows of length 0 (pieces of a record)."""
    n = len(offsets) - 1
    numbers = np.arange(1, n + 1) if numbers is None else np.asarray(numbers)
    lengths = np.diff(offsets)
    if not allow_empty:
        check_not_empty(lengths, numbers, path=path, unit=unit)
    cleaned = _CLEAN_TABLE[raw]
    bad = np.flatnonzero(cleaned == _INVALID)
    if bad.size:
        row = int(np.searchsorted(offsets, bad[0], side="right") - 1)
        # the first invalid byte starts its character: every byte of a multi-byte one is invalid
        char = bytes(raw[bad[0] : bad[0] + 4]).decode("utf-8", errors="replace")[0]
        raise InputError(
            "invalid character in sequence (allowed: A C G T N and IUPAC codes)",
            path=path,
            where=f"{unit} {numbers[row]}",
            value=char,
        )
    if np.array_equal(cleaned, raw):  # already upper-case A C G T N: nothing to count
        return CleanedBytes(raw, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
    return CleanedBytes(
        cleaned,
        _row_any(_IS_LOWER[raw], offsets),
        _row_any(_IS_AMBIGUOUS[raw], offsets),
    )


def _row_any(mask: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per row, whether any of its positions is set (False for empty rows)."""
    n = len(offsets) - 1
    if mask.size == 0:
        return np.zeros(n, dtype=bool)
    starts = np.minimum(offsets[:-1], mask.size - 1)
    return np.logical_or.reduceat(mask, starts) & (offsets[1:] > offsets[:-1])


def join_utf8(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 byte array plus byte offsets (len n+1): text ``i`` is
    ``data[offsets[i]:offsets[i + 1]]``."""
    joined = "".join(texts)
    data = joined.encode("utf-8", errors="surrogatepass")
    if len(data) == len(joined):  # pure ASCII: one byte per character
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    else:
        sizes = (len(t.encode("utf-8", errors="surrogatepass")) for t in texts)
        lengths = np.fromiter(sizes, dtype=np.int64, count=len(texts))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return np.frombuffer(data, dtype=np.uint8), offsets


def clean_sequences(
    seqs: Sequence[str],
    *,
    path: str | None = None,
    unit: str = "row",
    numbers: Sequence[int] | None = None,
) -> tuple[list[str], CleanReport]:
    """Upper-case, map IUPAC codes to N and reject anything else or empty sequences.

    ``numbers`` gives the user-facing row/record number of each sequence (1-based by
    default) so an error names exactly where the problem is.
    """
    raw, offsets = join_utf8(seqs)
    cleaned = clean_bytes(raw, offsets, path=path, unit=unit, numbers=numbers)
    report = CleanReport()
    report.add(cleaned.lowercase, cleaned.ambiguous)
    text = cleaned.residues.tobytes().decode("ascii")
    out = [text[offsets[i] : offsets[i + 1]] for i in range(len(seqs))]
    return out, report
