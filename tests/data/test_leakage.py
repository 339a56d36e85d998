"""Reverse complements, cross-split duplicate counts and duplicate groups."""

from __future__ import annotations

import pandas as pd

from genoclass.data.leakage import cross_split_duplicates, duplicate_groups, reverse_complement


def table(rows):
    return pd.DataFrame(rows, columns=["sequence", "split"])


def test_reverse_complement():
    assert reverse_complement("AACGTN") == "NACGTT"
    assert reverse_complement("acgG") == "Ccgt"
    assert reverse_complement("") == ""


def test_cross_split_exact_and_reverse_complement_counts():
    rows = [
        ("AAAC", "train"),
        ("GGGA", "train"),
        ("AAAC", "train"),  # within-train duplicate
        ("AAAC", "val"),  # exact leak train-val
        ("TCCC", "val"),  # rc of GGGA: rc leak train-val
        ("AAAC", "test"),  # exact leak train-test and val-test
        ("GTTT", "test"),  # rc of AAAC: rc leak train-test and val-test
        ("CCCC", "test"),
        ("CCCC", "test"),  # within-test duplicate
    ]
    result = cross_split_duplicates(table(rows))
    assert result["exact"] == {"train-val": 1, "train-test": 1, "val-test": 1}
    assert result["reverse_complement"] == {"train-val": 1, "train-test": 1, "val-test": 1}
    assert result["within"] == {"train": 1, "val": 0, "test": 1}
    assert result["total_cross_split_exact"] == 2
    assert result["total_cross_split_rc"] == 2


def test_without_splits_counts_duplicates_only():
    result = cross_split_duplicates(table([("ACGT", None), ("ACGT", None), ("A", None)]))
    assert result == {
        "exact": {},
        "reverse_complement": {},
        "within": {"all": 1},
        "total_cross_split_exact": 0,
        "total_cross_split_rc": 0,
    }


def test_duplicate_groups_with_and_without_reverse_complement():
    seqs = ["AACG", "CGTT", "AACG", "GGGG", "CCCC"]
    assert duplicate_groups(seqs, include_rc=False).tolist() == [0, 1, 0, 2, 3]
    assert duplicate_groups(seqs, include_rc=True).tolist() == [0, 0, 0, 1, 1]
