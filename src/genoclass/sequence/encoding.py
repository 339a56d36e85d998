"""Vectorised sequence encodings: integer tokens and one-hot, with padding and cropping.

Every encoder is a lookup table applied to one byte array holding all sequences; there
is no Python loop over characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from genoclass.alphabet import PAD_ID, TOKEN_IDS

Crop = Literal["left", "right", "center"]

_TOKEN_TABLE = np.full(256, TOKEN_IDS["N"], dtype=np.uint8)
for _base, _id in TOKEN_IDS.items():
    _TOKEN_TABLE[ord(_base)] = _id
_TOKEN_TABLE[ord("-")] = PAD_ID
#: token id -> complementary token id (padding and N map to themselves)
COMPLEMENT_TOKEN = np.array([0, 4, 3, 2, 1, 5], dtype=np.uint8)
#: token id -> one-hot row over A, C, G, T; N spreads 0.25 over the four bases, padding is zero
ONE_HOT_TABLE = np.array(
    [
        [0, 0, 0, 0],
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
        [0.25, 0.25, 0.25, 0.25],
    ],
    dtype=np.float32,
)


def residue_tokens(residues: np.ndarray) -> np.ndarray:
    """Token ids (uint8, A1 C2 G3 T4 N5) of cleaned sequence bytes (upper-case A C G T N)."""
    return _TOKEN_TABLE[residues]


def crop_starts(lengths: np.ndarray, max_len: int, crop: Crop) -> np.ndarray:
    """Start offset of the kept window for each sequence longer than ``max_len``."""
    excess = np.maximum(lengths - max_len, 0)
    if crop == "right":  # keep the start, drop the right end
        return np.zeros_like(excess)
    if crop == "left":  # keep the end
        return excess
    if crop == "center":
        return excess // 2
    raise ValueError(f"unknown crop {crop!r}; use left, right or center")


def tokenize(
    seqs: Sequence[str], max_len: int | None = None, crop: Crop = "right"
) -> tuple[np.ndarray, np.ndarray]:
    """Encode sequences as uint8 token ids (A1 C2 G3 T4 N5), right-padded with 0.

    Returns ``(tokens, lengths)``: tokens has shape (n, L) where L is ``max_len`` or the
    longest sequence; longer sequences are cropped to ``max_len`` keeping the ``crop``
    side's opposite (``right`` drops the right end, ``left`` the left end, ``center`` both).
    """
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    width = int(lengths.max(initial=0)) if max_len is None else int(max_len)
    ids = residue_tokens(np.frombuffer("".join(seqs).encode("latin-1"), dtype=np.uint8))
    kept = np.minimum(lengths, width)
    if (
        lengths > width
    ).any():  # drop cropped characters; only then is per-character index math needed
        starts = np.repeat(crop_starts(lengths, width, crop), lengths)
        pos = np.arange(ids.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        ids = ids[(pos >= starts) & (pos < starts + np.repeat(kept, lengths))]
    tokens = np.zeros((len(seqs), width), dtype=np.uint8)
    # row-major order of the "position < length" mask is the order of the joined characters
    tokens[np.arange(width)[None, :] < kept[:, None]] = ids
    return tokens, kept


def one_hot(tokens: np.ndarray) -> np.ndarray:
    """One-hot encode a token array (n, L) into float32 (n, 4, L) channels A, C, G, T."""
    return np.ascontiguousarray(ONE_HOT_TABLE[tokens].transpose(0, 2, 1))


def reverse_complement_tokens(tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Reverse complement right-padded token rows, keeping padding on the right."""
    n, width = tokens.shape
    pos = np.arange(width)[None, :]
    src = lengths[:, None] - 1 - pos
    valid = src >= 0
    out = np.zeros_like(tokens)
    gathered = np.take_along_axis(tokens, np.clip(src, 0, width - 1), axis=1)
    out[valid] = COMPLEMENT_TOKEN[gathered[valid]]
    return out
