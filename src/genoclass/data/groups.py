"""Split groups: rows that must stay on one side of every split, and how well a grouped split
can still be stratified.

A grouping is one int64 id per row. Groups come from duplicates (``exact``, ``rc``),
similarity clusters (``similar``), a user column (gene, patient, sample source) or the
chromosome in ``chr:start-end`` sequence ids; several groupings combine into their
connected components (rows linked by any of them share a group).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from genoclass.data.leakage import HASH_COLUMNS, groups_from_keys, sequence_keys
from genoclass.data.similarity import DEFAULT_K, MAX_K, MIN_K, similarity_clusters
from genoclass.errors import InputError, InputWarning
from genoclass.io.records import GROUP_COLUMN

#: a class is "dominated" when one group holds more than this share of its rows
DOMINANT_SHARE = 0.5

#: ``chr1:100-200``, ``name::chr1:100-200`` (bedtools) and an optional ``(+)`` strand suffix
_COORDINATES = re.compile(
    r"^(?:.*::)?(?P<chrom>[^:\s]+):(?P<start>\d+)-(?P<end>\d+)(?:\([+.-]\))?$"
)


class GroupingWarning(InputWarning):
    """A grouped split cannot be stratified well: one group holds most of a class."""


@dataclass(frozen=True)
class GroupSettings:
    """How to group rows for splitting: duplicate / similarity mode, a user column, or
    chromosomes parsed from ids."""

    dedup: str = "none"
    similarity: float = 0.8
    kmer: int = DEFAULT_K
    group_col: str | None = None
    split_by: str | None = None


def _sequences(table: pd.DataFrame, mode: str) -> list[str]:
    if "sequence" not in table:
        raise InputError(f"--dedup {mode} needs sequence data")
    return table["sequence"].tolist()


def _duplicates(table: pd.DataFrame, mode: str) -> np.ndarray:
    """Duplicate groups of ``--dedup exact`` or ``rc``: from the sequences, or from a packed
    store's hashes of them."""
    if "sequence" not in table and HASH_COLUMNS[0] not in table:
        raise InputError(f"--dedup {mode} needs sequence data")
    forward, reverse = sequence_keys(table)
    return groups_from_keys(forward, reverse if mode == "rc" else None)


def _similar(table: pd.DataFrame, settings: GroupSettings) -> np.ndarray:
    if not 0 < settings.similarity <= 1:
        raise InputError(f"--similarity must be in (0, 1], got {settings.similarity}")
    if not MIN_K <= settings.kmer <= MAX_K:
        raise InputError(f"--kmer must be in {MIN_K}..{MAX_K}, got {settings.kmer}")
    return similarity_clusters(_sequences(table, "similar"), settings.similarity, k=settings.kmer)


#: dedup mode -> group ids (None: no grouping)
DEDUP_MODES: dict[str, Callable[[pd.DataFrame, GroupSettings], np.ndarray | None]] = {
    "none": lambda table, settings: None,
    "exact": lambda table, settings: _duplicates(table, "exact"),
    "rc": lambda table, settings: _duplicates(table, "rc"),
    "similar": _similar,
}


def column_groups(values: pd.Series) -> np.ndarray:
    """Group ids from a column: equal values share an id; a missing value is a group of its
    own row (rows of a --test / --val file need not carry the column)."""
    codes, _ = pd.factorize(values.astype(object).where(values.notna(), None))
    missing = codes < 0
    codes = codes.astype(np.int64)
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(missing.sum())
    return codes


def chromosome_groups(ids: pd.Series) -> np.ndarray:
    """Group ids by the chromosome in ``chr:start-end`` sequence ids (``name::chr1:5-90`` and a
    ``(+)`` / ``(-)`` strand suffix are accepted); an id without coordinates is an error."""
    chrom = ids.astype(str).str.extract(_COORDINATES)["chrom"]
    bad = np.flatnonzero(chrom.isna().to_numpy())
    if bad.size:
        raise InputError(
            "--split-by chromosome needs ids of the form chr:start-end "
            "(e.g. chr1:1000-1200, as bedtools getfasta writes them); "
            f"{bad.size} id(s) lack it, first {ids.iloc[bad[0]]!r} (row {bad[0] + 1}); "
            "for a chromosome column use --group-col"
        )
    return pd.factorize(chrom)[0].astype(np.int64)


#: --split-by value -> group ids of a table
SPLIT_BY: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    "chromosome": lambda table: chromosome_groups(table["id"]),
}


def merge_groups(groupings: list[np.ndarray]) -> np.ndarray:
    """Connected components of several groupings of the same rows: rows sharing an id in any
    grouping share the result's id (ids count from 0 in order of first appearance)."""
    n = len(groupings[0])
    if len(groupings) == 1:
        return pd.factorize(groupings[0])[0].astype(np.int64)
    rows = np.concatenate([np.arange(n)] * len(groupings))
    offsets = np.cumsum([0] + [int(g.max(initial=-1)) + 1 for g in groupings])
    nodes = np.concatenate([g + offsets[i] for i, g in enumerate(groupings)])
    size = n + int(offsets[-1])
    graph = coo_matrix((np.ones(len(rows)), (rows, n + nodes)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    return pd.factorize(labels[:n])[0].astype(np.int64)


def split_group_ids(table: pd.DataFrame, settings: GroupSettings) -> np.ndarray | None:
    """One int64 group id per row of ``table`` from every grouping ``settings`` asks for
    (None when it asks for none)."""
    if settings.dedup not in DEDUP_MODES:
        raise InputError(f"unknown dedup mode {settings.dedup!r}; use one of {list(DEDUP_MODES)}")
    groupings = []
    dedup = DEDUP_MODES[settings.dedup](table, settings)
    if dedup is not None:
        groupings.append(dedup)
    if settings.group_col:
        if GROUP_COLUMN not in table:
            raise InputError(f"--group-col {settings.group_col!r}: the data carry no such column")
        groupings.append(column_groups(table[GROUP_COLUMN]))
    if settings.split_by:
        if settings.split_by not in SPLIT_BY:
            raise InputError(f"unknown --split-by {settings.split_by!r}; use {list(SPLIT_BY)}")
        groupings.append(SPLIT_BY[settings.split_by](table))
    return merge_groups(groupings) if groupings else None


def grouping_report(groups: np.ndarray, labels: np.ndarray) -> dict:
    """How a grouping constrains a split: number of groups, the largest group, rows in
    groups of two or more, and per class the share of its rows in its largest group;
    ``warnings`` names every class whose largest group holds more than half of it (such a
    class cannot be stratified: most of it lands in one split)."""
    frame = pd.DataFrame({"group": groups, "label": labels})
    sizes = frame["group"].value_counts()
    per_class = {}
    for label, rows in frame.groupby("label", sort=True):
        top = rows["group"].value_counts()
        per_class[str(label)] = {
            "rows": int(len(rows)),
            "groups": int(len(top)),
            "largest_group_share": float(top.iloc[0] / len(rows)),
        }
    messages = [
        f"class {label!r}: one group holds {c['largest_group_share']:.0%} of its {c['rows']} "
        "rows, so the split cannot be stratified for it (that group sits in one split); "
        "raise --similarity, use a finer --group-col, or accept the imbalance"
        for label, c in per_class.items()
        if c["largest_group_share"] > DOMINANT_SHARE and c["rows"] > 1
    ]
    return {
        "rows": int(len(frame)),
        "groups": int(len(sizes)),
        "largest_group": int(sizes.iloc[0]) if len(sizes) else 0,
        "rows_in_shared_groups": int(sizes[sizes > 1].sum()),
        "per_class": per_class,
        "warnings": messages,
    }


def warn_dominated(report: dict) -> None:
    """Emit a :class:`GroupingWarning` for each warning of a :func:`grouping_report`."""
    for message in report["warnings"]:
        warnings.warn(message, GroupingWarning, stacklevel=2)


def split_balance(labels: np.ndarray, splits: np.ndarray) -> dict:
    """Achieved class proportions per split beside the overall ones, and for each split the
    largest absolute difference from the overall proportion of any class."""
    frame = pd.DataFrame({"label": labels, "split": splits})
    overall = frame["label"].value_counts(normalize=True).sort_index()
    result = {"overall": {str(k): float(v) for k, v in overall.items()}, "splits": {}}
    for split, rows in frame.groupby("split", sort=False):
        share = rows["label"].value_counts(normalize=True).reindex(overall.index, fill_value=0)
        result["splits"][str(split)] = {
            "rows": int(len(rows)),
            "proportions": {str(k): float(v) for k, v in share.items()},
            "max_deviation": float((share - overall).abs().max()),
        }
    return result
