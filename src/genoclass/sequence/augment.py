"""On-the-fly augmentation of token batches (training only): substitution, insertion and
deletion at a per-position rate (study S1, equations 2-4), reverse complement and random
shift at a per-sequence rate, and random crops of long sequences to a fixed length.

Every operation takes right-padded uint8 tokens (B, L) with their lengths and a seeded
``numpy.random.Generator`` and returns new (tokens, lengths) with zeros after each length.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from genoclass.alphabet import TOKEN_IDS
from genoclass.errors import InputError
from genoclass.sequence.encoding import reverse_complement_tokens

_N = TOKEN_IDS["N"]


def _valid(tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(B, L) mask of positions inside each sequence."""
    return np.arange(tokens.shape[1])[None, :] < lengths[:, None]


def _clear_padding(tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    tokens[~_valid(tokens, lengths)] = 0
    return tokens


def substitute(
    tokens: np.ndarray, lengths: np.ndarray, rate: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each position, with probability ``rate``, becomes a different base (uniform over the
    other three; an N becomes any of A, C, G, T). Lengths are unchanged."""
    hit = _valid(tokens, lengths) & (rng.random(tokens.shape) < rate)
    current = tokens[hit].astype(np.int64)
    offset = rng.integers(1, 4, size=current.size)
    is_base = (current >= 1) & (current <= 4)
    new = np.where(is_base, (current - 1 + offset) % 4 + 1, offset)
    out = tokens.copy()
    out[hit] = new
    return out, lengths.copy()


def insert(
    tokens: np.ndarray, lengths: np.ndarray, rate: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Before each position, with probability ``rate``, insert a random base; every
    original base keeps its order and the sequence grows by the number of insertions."""
    valid = _valid(tokens, lengths)
    ins = valid & (rng.random(tokens.shape) < rate)
    shift = np.cumsum(ins, axis=1)
    new_lengths = lengths + ins.sum(axis=1)
    width = tokens.shape[1] + int(ins.sum(axis=1).max(initial=0))
    out = rng.integers(1, 5, size=(len(tokens), width)).astype(np.uint8)
    rows, cols = np.nonzero(valid)
    out[rows, cols + shift[rows, cols]] = tokens[rows, cols]
    return _clear_padding(out, new_lengths), new_lengths


def delete(
    tokens: np.ndarray, lengths: np.ndarray, rate: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each position is removed with probability ``rate`` (the rest close up in order); a
    sequence always keeps at least its first base."""
    valid = _valid(tokens, lengths)
    keep = valid & (rng.random(tokens.shape) >= rate)
    keep[:, 0] |= ~keep.any(axis=1) & (lengths > 0)
    order = np.argsort(~keep, axis=1, kind="stable")
    new_lengths = keep.sum(axis=1).astype(lengths.dtype)
    out = np.take_along_axis(tokens, order, axis=1)
    return _clear_padding(out, new_lengths), new_lengths


def reverse_complement(
    tokens: np.ndarray, lengths: np.ndarray, rate: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each sequence, with probability ``rate``, is replaced by its reverse complement."""
    out = tokens.copy()
    chosen = rng.random(len(tokens)) < rate
    out[chosen] = reverse_complement_tokens(tokens[chosen], lengths[chosen])
    return out, lengths.copy()


def shift(
    tokens: np.ndarray,
    lengths: np.ndarray,
    rate: float,
    rng: np.random.Generator,
    max_shift: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """Each sequence, with probability ``rate``, moves by s in [-max_shift, max_shift]
    (s != 0): s > 0 drops its first s bases (at most all but one), s < 0 prepends |s| Ns."""
    chosen = rng.random(len(tokens)) < rate
    magnitude = rng.integers(1, max_shift + 1, size=len(tokens))
    s = np.where(chosen, magnitude * rng.choice([-1, 1], size=len(tokens)), 0)
    s = np.minimum(s, lengths - 1)
    new_lengths = lengths - s
    width = tokens.shape[1] + int(np.maximum(-s, 0).max(initial=0))
    src = np.arange(width)[None, :] + s[:, None]
    padded = np.concatenate([tokens, np.zeros((len(tokens), 1), tokens.dtype)], axis=1)
    out = np.take_along_axis(padded, np.clip(src, 0, tokens.shape[1]), axis=1)
    out[src < 0] = _N
    return _clear_padding(out, new_lengths), new_lengths


def random_crop(
    tokens: np.ndarray, lengths: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each sequence longer than ``size`` is cut to a ``size``-long window starting at a
    uniform random position; shorter ones are kept whole."""
    start = (rng.random(len(tokens)) * (np.maximum(lengths - size, 0) + 1)).astype(np.int64)
    new_lengths = np.minimum(lengths, size)
    width = min(tokens.shape[1], size)
    index = np.minimum(start[:, None] + np.arange(width)[None, :], tokens.shape[1] - 1)
    out = np.take_along_axis(tokens, index, axis=1)
    return _clear_padding(out, new_lengths), new_lengths


@dataclass(frozen=True)
class Augmenter:
    """The training-batch augmentation hook: applies a random crop to ``crop`` bases (0: none),
    substitution, insertion, deletion (per-position rates), shift and reverse complement
    (per-sequence rates) in that order."""

    substitute: float = 0.0
    insert: float = 0.0
    delete: float = 0.0
    shift: float = 0.0
    rc: float = 0.0
    shift_max: int = 10
    crop: int = 0

    def __call__(
        self, tokens: np.ndarray, lengths: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.crop:
            tokens, lengths = random_crop(tokens, lengths, self.crop, rng)
        if self.substitute:
            tokens, lengths = substitute(tokens, lengths, self.substitute, rng)
        if self.insert:
            tokens, lengths = insert(tokens, lengths, self.insert, rng)
        if self.delete:
            tokens, lengths = delete(tokens, lengths, self.delete, rng)
        if self.shift:
            tokens, lengths = shift(tokens, lengths, self.shift, rng, self.shift_max)
        if self.rc:
            tokens, lengths = reverse_complement(tokens, lengths, self.rc, rng)
        return tokens, lengths


#: settings that are lengths, not rates, with their defaults
_SIZES = {"shift_max": 10, "crop": 0}


def augmenter_from_settings(settings: dict[str, Any]) -> Augmenter | None:
    """An Augmenter from ``{"substitute": 0.01, "crop": 500, ...}`` (None when every rate is
    0 and there is no crop); unknown names and rates outside [0, 1] are input errors."""
    known = {f.name for f in fields(Augmenter)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise InputError(f"unknown augmentation(s) {unknown}; known: {sorted(known)}")
    sizes = {k: int(settings.get(k, default)) for k, default in _SIZES.items()}
    rates = {k: float(v) for k, v in settings.items() if k not in _SIZES}
    bad = {k: v for k, v in rates.items() if not 0 <= v <= 1}
    if bad:
        raise InputError(f"augmentation rates must be in [0, 1], got {bad}")
    if sizes["crop"] < 0 or sizes["shift_max"] < 1:
        raise InputError(f"crop must be >= 0 and shift_max >= 1, got {sizes}")
    if not any(rates.values()) and not sizes["crop"]:
        return None
    return Augmenter(**rates, **sizes)
