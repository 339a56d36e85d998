"""Split groups: columns, chromosomes, merged groupings, balance reports and warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genoclass.data.groups import (
    GroupingWarning,
    GroupSettings,
    chromosome_groups,
    column_groups,
    grouping_report,
    merge_groups,
    split_balance,
    split_group_ids,
    warn_dominated,
)
from genoclass.data.splits import assign_splits
from genoclass.errors import InputError
from genoclass.workflows.crossval import fold_assignments


def sides_per_group(groups: np.ndarray, sides: np.ndarray) -> pd.Series:
    return pd.Series(sides).groupby(groups).nunique()


def test_random_groupings_never_put_a_group_on_two_sides():
    """Property check over many random groupings, class mixes and seeds."""
    for trial in range(150):
        rng = np.random.default_rng(trial)
        n = int(rng.integers(40, 300))
        n_groups = int(rng.integers(8, n // 2))
        groups = rng.integers(0, n_groups, n)
        labels = rng.choice(["a", "b", "c"][: int(rng.integers(2, 4))], n)
        table = pd.DataFrame({"label": labels, "split": None})
        split = assign_splits(
            table, test_size=float(rng.uniform(0.1, 0.4)), val_size=0.2, seed=trial, groups=groups
        )
        assert (sides_per_group(groups, split.to_numpy()) == 1).all(), trial
        if len(np.unique(groups)) >= 5 and pd.Series(labels).value_counts().min() >= 5:
            folds = fold_assignments(labels, 5, trial, groups=groups)
            assert (sides_per_group(groups, folds) == 1).all(), trial


def test_merged_groupings_are_connected_components():
    a = np.array([0, 0, 1, 2, 3, 4])
    b = np.array([0, 1, 1, 2, 2, 3])
    assert merge_groups([a, b]).tolist() == [0, 0, 0, 1, 1, 2]
    assert merge_groups([np.array([5, 5, 2])]).tolist() == [0, 0, 1]


def test_column_groups_give_rows_without_a_value_their_own_group():
    groups = column_groups(pd.Series(["p1", None, "p2", "p1", None]))
    assert groups[0] == groups[3] and len(set(groups.tolist())) == 4


def test_chromosome_groups_from_coordinate_ids():
    ids = pd.Series(["chr1:10-200", "peak7::chr2:5-90(+)", "chr1:300-500(-)", "chrX:1-9"])
    assert chromosome_groups(ids).tolist() == [0, 1, 0, 2]
    with pytest.raises(InputError, match="chr:start-end.*'seq9' \\(row 2\\)"):
        chromosome_groups(pd.Series(["chr1:1-5", "seq9"]))


def test_split_group_ids_combine_dedup_and_column():
    table = pd.DataFrame(
        {
            "id": ["chr1:1-9", "chr2:1-9", "chr1:20-29", "chr3:1-9"],
            "sequence": ["ACGTACGTAA", "TTACGTACGT", "GGGGCCCCAA", "CCCCAAAAGG"],
            "group": ["p1", "p2", "p3", "p3"],
        }
    )
    assert split_group_ids(table, GroupSettings()) is None
    ids = split_group_ids(table, GroupSettings(dedup="rc", group_col="patient"))
    assert ids.tolist() == [0, 0, 1, 1]  # rows 0/1 are reverse complements; 2/3 one patient
    ids = split_group_ids(table, GroupSettings(split_by="chromosome"))
    assert ids.tolist() == [0, 1, 0, 2]
    with pytest.raises(InputError, match="--group-col 'donor'"):
        split_group_ids(table.drop(columns="group"), GroupSettings(group_col="donor"))
    with pytest.raises(InputError, match="unknown dedup"):
        split_group_ids(table, GroupSettings(dedup="fuzzy"))


def test_one_cluster_holding_most_of_a_class_warns_and_the_split_still_works():
    # class "b": 40 rows, 30 of them in one cluster; class "a": 100 singletons
    labels = np.array(["a"] * 100 + ["b"] * 40)
    groups = np.concatenate([np.arange(100), np.full(30, 100), np.arange(101, 111)])
    report = grouping_report(groups, labels)
    assert report["groups"] == 111 and report["largest_group"] == 30
    assert report["per_class"]["b"]["largest_group_share"] == pytest.approx(0.75)
    assert len(report["warnings"]) == 1 and "'b'" in report["warnings"][0]
    with pytest.warns(GroupingWarning, match="75%"):
        warn_dominated(report)
    table = pd.DataFrame({"label": labels, "split": None})
    split = assign_splits(table, test_size=0.2, val_size=0.1, seed=0, groups=groups)
    assert (sides_per_group(groups, split.to_numpy()) == 1).all()
    balance = split_balance(labels, split.to_numpy())
    assert balance["overall"]["b"] == pytest.approx(40 / 140)
    # the big cluster sits in one split, so some split is far from the overall proportion
    assert max(s["max_deviation"] for s in balance["splits"].values()) > 0.1
    assert {"train", "val", "test"} == set(balance["splits"])


def test_balanced_grouping_has_no_warning():
    labels = np.array(["a", "b"] * 50)
    assert grouping_report(np.arange(100) // 2, labels)["warnings"] == []
