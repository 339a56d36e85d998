"""Seqlets: the contiguous windows of a sequence that carry the most attribution."""

from __future__ import annotations

import numpy as np
import pandas as pd

SEQLET_COLUMNS = ["example", "start", "end", "score"]


def window_sums(scores: np.ndarray, width: int, lengths: np.ndarray | None = None) -> np.ndarray:
    """Sum of ``scores`` (n, L) over every window of ``width`` positions: (n, L - width + 1);
    windows reaching past a sequence's length are ``-inf``."""
    n, length = scores.shape
    cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(scores, axis=1)], axis=1)
    sums = cumulative[:, width:] - cumulative[:, :-width]
    if lengths is not None:
        starts = np.arange(length - width + 1)[None, :]
        sums[starts + width > np.asarray(lengths)[:, None]] = -np.inf
    return sums


def extract_seqlets(
    scores: np.ndarray,
    lengths: np.ndarray | None = None,
    *,
    width: int = 10,
    quantile: float = 0.95,
    max_per_sequence: int = 2,
) -> pd.DataFrame:
    """Seqlets of per-position attribution ``scores`` (n, L): in each sequence, up to
    ``max_per_sequence`` non-overlapping windows of ``width`` positions, strongest first,
    whose summed score exceeds the ``quantile`` of all window sums. Returns a table with
    ``example, start, end, score`` sorted by decreasing score."""
    sums = window_sums(np.asarray(scores, dtype=np.float64), width, lengths)
    finite = sums[np.isfinite(sums)]
    if finite.size == 0:
        return pd.DataFrame(columns=SEQLET_COLUMNS)
    threshold = np.quantile(finite, quantile)
    rows, starts, values = [], [], []
    positions = np.arange(sums.shape[1])[None, :]
    for _ in range(max_per_sequence):
        best = sums.argmax(axis=1)
        value = sums[np.arange(len(sums)), best]
        keep = value > threshold
        rows.append(np.flatnonzero(keep))
        starts.append(best[keep])
        values.append(value[keep])
        # windows overlapping the chosen one cannot be chosen again
        sums[np.abs(positions - best[:, None]) < width] = -np.inf
    table = pd.DataFrame(
        {
            "example": np.concatenate(rows),
            "start": np.concatenate(starts),
            "score": np.concatenate(values),
        }
    )
    table["end"] = table["start"] + width
    return table[SEQLET_COLUMNS].sort_values("score", ascending=False, ignore_index=True)


def peak_windows(
    scores: np.ndarray, lengths: np.ndarray | None, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(start, stop)`` of a window of at most ``width`` positions around each sequence's
    highest score in ``scores`` (n, L), kept inside the sequence: never past its length."""
    n, length = scores.shape
    lengths = np.full(n, length) if lengths is None else np.asarray(lengths)
    inside = np.arange(length)[None, :] < lengths[:, None]
    peak = np.where(inside, scores, -np.inf).argmax(axis=1)
    start = np.clip(peak - width // 2, 0, np.maximum(lengths - width, 0))
    return start, np.minimum(start + width, lengths)


def position_means(scores: np.ndarray, lengths: np.ndarray | None) -> np.ndarray:
    """Mean of ``scores`` (n, L) at each position over the sequences long enough to have it,
    up to the longest sequence (padding never enters the mean)."""
    n, length = scores.shape
    lengths = np.full(n, length) if lengths is None else np.asarray(lengths)
    longest = int(lengths.max()) if n else 0
    inside = np.arange(longest)[None, :] < lengths[:, None]
    totals = np.where(inside, scores[:, :longest], 0.0).sum(axis=0)
    return totals / np.maximum(inside.sum(axis=0), 1)
