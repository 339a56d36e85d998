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
#: columns that stand in for ``sequence`` in a table read from a packed store: a hash of each
#: row's sequence and of its reverse complement (``data.store.sequence_hashes``)
HASH_COLUMNS = ("hash", "hash_rc")


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
    forward, reverse = sequence_keys(table)
    split = table["split"].reset_index(drop=True) if "split" in table.columns else None
    return duplicate_counts(forward, reverse, split)


def sequence_keys(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Keys of each row's sequence and of its reverse complement (index 0..n-1): the
    strings, or the stored hashes (:data:`HASH_COLUMNS`) of a table without sequences."""
    if "sequence" not in table:
        return tuple(table[c].reset_index(drop=True) for c in HASH_COLUMNS)
    sequences = table["sequence"].reset_index(drop=True)
    return sequences, pd.Series(_reverse_complements(sequences), dtype=object)


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


#: multiplier of the rolling hash (odd, so it is invertible modulo 2**64)
_BASE = np.uint64(0x9E3779B97F4A7C15)
#: rows whose substrings are hashed at once (bounds memory: rows x width x 8 bytes, twice)
_ROWS_AT_ONCE = 1024


def _powers(base: np.uint64, n: int) -> np.ndarray:
    """base**0 .. base**(n-1) modulo 2**64."""
    out = np.full(n, base, dtype=np.uint64)
    out[0] = 1
    with np.errstate(over="ignore"):
        return np.cumprod(out, dtype=np.uint64)


_INVERSE = np.uint64(pow(int(_BASE), -1, 2**64))


def substring_hashes(tokens: np.ndarray, length: int) -> np.ndarray:
    """(n, width - length + 1) uint64 hashes of every ``length``-long substring of each
    token row (polynomial hash modulo 2**64: equal substrings give equal values)."""
    n, width = tokens.shape
    if length > width:
        return np.zeros((n, 0), dtype=np.uint64)
    with np.errstate(over="ignore"):
        weighted = tokens.astype(np.uint64) * _powers(_BASE, width)[None, :]
        prefix = np.zeros((n, width + 1), dtype=np.uint64)
        np.cumsum(weighted, axis=1, dtype=np.uint64, out=prefix[:, 1:])
        starts = width - length + 1
        spans = prefix[:, length : length + starts] - prefix[:, :starts]
        return spans * _powers(_INVERSE, starts)[None, :]


class SubstringIndex:
    """Target sequences (either strand) to find inside token rows: which rows contain one
    and which targets were seen. Equality is by a 64-bit hash of the tokens (a false match
    has probability about (substrings x targets) / 2**64)."""

    def __init__(self, sequences: Sequence[str]) -> None:
        from genoclass.sequence.encoding import tokenize

        self.n = len(sequences)
        self.longest = max((len(s) for s in sequences), default=0)
        self.by_length: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        both = list(sequences) + _reverse_complements(sequences)
        for length in np.unique(lengths[lengths > 0]).tolist():
            ids = np.flatnonzero(lengths == length)
            tokens, _ = tokenize([both[i] for i in ids] + [both[self.n + i] for i in ids])
            hashes = substring_hashes(tokens, length)[:, 0]
            order = np.argsort(hashes, kind="stable")
            self.by_length[length] = (hashes[order], np.concatenate([ids, ids])[order])

    def search(self, tokens: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For right-padded token rows: a bool mask of rows containing a target, and the
        sorted ids of the targets found."""
        hit = np.zeros(len(tokens), dtype=bool)
        found: list[np.ndarray] = []
        for lo in range(0, len(tokens), _ROWS_AT_ONCE):
            rows, row_len = tokens[lo : lo + _ROWS_AT_ONCE], lengths[lo : lo + _ROWS_AT_ONCE]
            for length, (keys, ids) in self.by_length.items():
                hashes = substring_hashes(rows, length)
                inside = np.arange(hashes.shape[1])[None, :] + length <= row_len[:, None]
                where = np.searchsorted(keys, hashes)
                match = (keys[np.minimum(where, len(keys) - 1)] == hashes) & inside
                hit[lo : lo + len(rows)] |= match.any(axis=1)
                found.append(self._ids(keys, ids, hashes[match]))
        seen = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        return hit, seen

    @staticmethod
    def _ids(keys: np.ndarray, ids: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """Every target id whose hash is among ``hashes`` (several targets may share one)."""
        wanted = np.isin(keys, np.unique(hashes))
        return ids[wanted]
