"""Duplicate and reverse-complement leakage between splits, and duplicate groups.

A test sequence that also occurs in training (exactly, or as its reverse complement,
which a strand-symmetric model treats as the same input) inflates test metrics. These
checks count such rows so a run can report them and duplicate-aware splits can avoid them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

#: Order in which splits are compared; a row of a later split is checked against earlier ones.
SPLIT_ORDER = ("train", "val", "test")

_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def reverse_complement(seq: str) -> str:
    """The reverse complement of a DNA string (A<->T, C<->G, N stays N; case kept)."""
    return seq.translate(_COMPLEMENT)[::-1]


def _reverse_complements(sequences: Iterable[str]) -> list[str]:
    return [reverse_complement(s) for s in sequences]


def cross_split_duplicates(table: pd.DataFrame) -> dict:
    """Count duplicated sequences within each split and across every pair of splits.

    For a pair ``a-b`` (``a`` earlier in train, val, test) ``exact`` counts rows of ``b``
    whose sequence occurs in ``a``; ``reverse_complement`` counts rows of ``b`` whose
    reverse complement, but not the sequence itself, occurs in ``a``. ``within`` counts
    rows repeating an earlier row of the same split (``all`` when there are no splits);
    the totals count rows of later splits that match any earlier split.
    """
    sequences = table["sequence"].reset_index(drop=True)
    reverse = pd.Series(_reverse_complements(sequences), dtype=object)
    split = table["split"].reset_index(drop=True) if "split" in table.columns else None
    return duplicate_counts(sequences, reverse, split)


def duplicate_counts(forward: pd.Series, reverse: pd.Series, split: pd.Series | None) -> dict:
    """:func:`cross_split_duplicates` from keys: ``forward[i]`` identifies row ``i``'s sequence
    and ``reverse[i]`` its reverse complement (the strings themselves, or hashes of them)."""
    splits = _split_rows(split, len(forward))
    keys = {name: forward.iloc[rows].reset_index(drop=True) for name, rows in splits.items()}
    within = {name: int(k.duplicated().sum()) for name, k in keys.items()}
    exact, rc = {}, {}
    leaked_exact = {name: np.zeros(len(rows), bool) for name, rows in splits.items()}
    leaked_rc = {name: np.zeros(len(rows), bool) for name, rows in splits.items()}
    for first, second in combinations(splits, 2):
        earlier = keys[first]
        is_exact = keys[second].isin(earlier).to_numpy()
        is_rc = reverse.iloc[splits[second]].isin(earlier).to_numpy() & ~is_exact
        exact[f"{first}-{second}"] = int(is_exact.sum())
        rc[f"{first}-{second}"] = int(is_rc.sum())
        leaked_exact[second] |= is_exact
        leaked_rc[second] |= is_rc
    return {
        "exact": exact,
        "reverse_complement": rc,
        "within": within,
        "total_cross_split_exact": int(sum(m.sum() for m in leaked_exact.values())),
        "total_cross_split_rc": int(sum((leaked_rc[k] & ~leaked_exact[k]).sum() for k in splits)),
    }


def _split_rows(split: pd.Series | None, n: int) -> dict[str, np.ndarray]:
    """Row indices of each split in train, val, test order (others after, sorted)."""
    if split is None or split.isna().all():
        return {"all": np.arange(n)}
    present = split.dropna().unique().tolist()
    order = [s for s in SPLIT_ORDER if s in present] + sorted(set(present) - set(SPLIT_ORDER))
    values = split.to_numpy()
    return {name: np.flatnonzero(values == name) for name in order}


def duplicate_groups(sequences: Sequence[str], include_rc: bool = True) -> np.ndarray:
    """Group id per sequence so that duplicates share an id.

    Identical sequences (and, with ``include_rc``, sequences that are each other's
    reverse complement) get the same id; ids count from 0 in order of first appearance.
    """
    keys = pd.Series(list(sequences), dtype=object)
    reverse = pd.Series(_reverse_complements(keys), dtype=object) if include_rc else None
    return groups_from_keys(keys, reverse)


def groups_from_keys(forward: pd.Series, reverse: pd.Series | None = None) -> np.ndarray:
    """:func:`duplicate_groups` from keys of each sequence (and of its reverse complement,
    when reverse-complement pairs should share a group): strings or hashes of them."""
    keys = forward if reverse is None else forward.where(forward <= reverse, reverse)
    codes, _ = pd.factorize(keys)
    return codes.astype(np.int64)
