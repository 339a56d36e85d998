"""Overlapping windows over long sequences, for models that see a fixed span at a time.

A sequence of length n is covered by windows of ``size`` starting every ``stride``
positions; the last window is aligned to the sequence end so no base is left out, and a
sequence no longer than ``size`` is a single window.
"""

from __future__ import annotations

import numpy as np


def window_starts(lengths: np.ndarray, size: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(owner, start) of every window: ``owner[i]`` is the row index of the sequence the
    i-th window belongs to, ``start[i]`` its first position; windows of a row are in order."""
    if size < 1 or stride < 1:
        raise ValueError(f"window size and stride must be >= 1, got {size} and {stride}")
    lengths = np.asarray(lengths, dtype=np.int64)
    last = np.maximum(lengths - size, 0)
    counts = 1 + -(-last // stride)  # ceil division: windows until the end is covered
    owner = np.repeat(np.arange(len(lengths)), counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.minimum(within * stride, last[owner])
