"""Harrington desirability and the integrated F1 built on it (Babichev et al., 2023)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def harrington_d(y: ArrayLike) -> np.ndarray | float:
    """Return Harrington's one-sided desirability ``exp(-exp(-y))`` of a scale value ``y``
    (scalar in, float out; array in, array out); it rises from about 0 at y = -2 to about 1
    at y = 5."""
    d = np.exp(-np.exp(-np.asarray(y, dtype=float)))
    return float(d) if d.ndim == 0 else d


def integrated_f1(
    f1_per_class: ArrayLike,
    *,
    f1_low: float = 0.0,
    f1_high: float = 1.0,
    y_low: float = -2.0,
    y_high: float = 5.0,
) -> float:
    """Combine per-class F1 values into one number: each F1 is mapped linearly to the
    Harrington scale so that ``f1_low`` lands on ``y_low`` and ``f1_high`` on ``y_high``,
    turned into a desirability d = exp(-exp(-Y)), and the geometric mean of the d's over the
    classes is returned; the defaults give the fixed-scale variant (F1 0 -> -2, F1 1 -> 5)."""
    f1 = np.asarray(f1_per_class, dtype=float).ravel()
    if f1.size == 0:
        raise ValueError("integrated_f1 needs at least one per-class F1 value")
    if f1_high == f1_low:
        raise ValueError("f1_high must differ from f1_low")
    slope = (y_high - y_low) / (f1_high - f1_low)
    y = y_low + slope * (f1 - f1_low)
    # log d = -exp(-Y): averaging logs keeps the geometric mean exact for tiny d's.
    return float(np.exp(np.mean(-np.exp(-y))))


def integrated_f1_relative(
    f1_matrix: ArrayLike, *, y_low: float = -2.0, y_high: float = 5.0
) -> np.ndarray:
    """Integrated F1 of each row of an (alternatives x classes) F1 matrix on a shared relative
    scale: the smallest F1 anywhere in the matrix maps to ``y_low`` and the largest to
    ``y_high`` (the variant of Babichev et al. used to rank hyperparameter values); when all
    F1 values are equal the scale is undefined and the fixed-scale value of that F1 is
    returned for every row, so all rows tie."""
    matrix = np.asarray(f1_matrix, dtype=float)
    if matrix.ndim != 2 or matrix.size == 0:
        raise ValueError(f"f1_matrix must be a non-empty 2-D array, got shape {matrix.shape}")
    low, high = float(matrix.min()), float(matrix.max())
    if high == low:
        return np.full(len(matrix), integrated_f1(matrix[0], y_low=y_low, y_high=y_high))
    return np.array(
        [integrated_f1(row, f1_low=low, f1_high=high, y_low=y_low, y_high=y_high) for row in matrix]
    )
