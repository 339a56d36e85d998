"""Train / validation / test splits: official when the data has them, else stratified and seeded.

Duplicate-aware splitting keeps identical sequences (optionally also reverse-complement
pairs) on one side, so a test sequence is never seen in training.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from genoclass.errors import InputError

SPLITS = ("train", "val", "test")


def holdout(
    labels: np.ndarray, size: float, seed: int, groups: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (keep, held) of a stratified hold-out of fraction ``size``."""
    idx = np.arange(len(labels))
    if groups is None:
        counts = pd.Series(labels).value_counts()
        held = math.ceil(size * len(idx))  # stratifying needs a row of every class per side
        enough = counts.min() >= 2 and min(held, len(idx) - held) >= len(counts)
        stratify = labels if enough else None
        keep, held = train_test_split(idx, test_size=size, random_state=seed, stratify=stratify)
        return np.sort(keep), np.sort(held)
    # group-aware: as many folds as 1/size (at most one per group), one fold is the hold-out
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise InputError("cannot split: every row belongs to one group")
    n_folds = min(max(2, round(1 / size)), n_groups)
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    keep, held = next(splitter.split(idx, labels, groups))
    return keep, held


def assign_splits(
    table: pd.DataFrame,
    *,
    test_size: float = 0.2,
    val_size: float = 0.1,
    seed: int = 42,
    groups: np.ndarray | None = None,
) -> pd.Series:
    """A split name per row: official splits are kept, missing ones are carved out.

    Rows without a split are divided into test (``test_size``) and the rest; validation
    is then ``val_size`` of the training rows when the data has no validation rows. With
    ``groups``, rows sharing a group never straddle two splits.
    """
    split = table["split"].astype(object).where(table["split"].notna(), None)
    labels = table["label"].to_numpy()
    if not (0 < test_size < 1 and 0 <= val_size < 1):
        raise InputError("test_size must be in (0, 1) and val_size in [0, 1)")
    free = split.isna().to_numpy()
    if len(split) and not free.any() and not (split == "train").any():
        raise InputError(
            "no training rows: every row already belongs to an official val/test split "
            "(pass --ignore-splits to split this file afresh)"
        )
    if free.any() and not (split == "test").any():
        rows = np.flatnonzero(free)
        sub_groups = None if groups is None else groups[rows]
        _, held = holdout(labels[rows], test_size, seed, sub_groups)
        split.iloc[rows[held]] = "test"
    train_rows = np.flatnonzero(split.isna().to_numpy() | (split == "train").to_numpy())
    if val_size > 0 and not (split == "val").any():
        sub_groups = None if groups is None else groups[train_rows]
        _, held = holdout(labels[train_rows], val_size, seed, sub_groups)
        split.iloc[train_rows[held]] = "val"
    split = split.fillna("train")
    return split
