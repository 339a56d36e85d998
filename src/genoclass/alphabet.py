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


def _concat(seqs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All sequences as one uint8 array plus start offsets (len n+1)."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    # latin-1 keeps one byte per character, so offsets stay valid for any input
    raw = np.frombuffer("".join(seqs).encode("latin-1", errors="replace"), dtype=np.uint8)
    return raw, offsets


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
    numbers = np.arange(1, len(seqs) + 1) if numbers is None else np.asarray(numbers)
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        raise InputError("empty sequence", path=path, where=f"{unit} {numbers[empty[0]]}")
    raw, offsets = _concat(seqs)
    cleaned = _CLEAN_TABLE[raw]
    bad = np.flatnonzero(cleaned == _INVALID)
    if bad.size:
        row = int(np.searchsorted(offsets, bad[0], side="right") - 1)
        char = "".join(seqs)[bad[0]]
        raise InputError(
            "invalid character in sequence (allowed: A C G T N and IUPAC codes)",
            path=path,
            where=f"{unit} {numbers[row]}",
            value=char,
        )
    row_of = np.repeat(np.arange(len(seqs)), lengths)
    lower = (raw >= ord("a")) & (raw <= ord("z"))
    upper_raw = np.where(lower, raw - 32, raw)
    ambiguous = (cleaned == ord("N")) & (upper_raw != ord("N"))
    report = CleanReport(
        n_sequences=len(seqs),
        lowercase_uppercased=int(np.unique(row_of[lower]).size),
        ambiguous_to_n=int(np.unique(row_of[ambiguous]).size),
    )
    text = cleaned.tobytes().decode("ascii")
    out = [text[offsets[i] : offsets[i + 1]] for i in range(len(seqs))]
    return out, report
