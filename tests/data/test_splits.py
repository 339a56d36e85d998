"""Official and carved splits."""

import numpy as np
import pandas as pd
import pytest

from genoclass.data.splits import assign_splits
from genoclass.errors import InputError


def table(n=200, split=None):
    labels = np.array(["a", "b"] * (n // 2))
    return pd.DataFrame({"label": labels, "split": [split] * n})


def test_stratified_holdouts_have_the_requested_sizes_and_balance():
    t = table()
    split = assign_splits(t, test_size=0.2, val_size=0.1, seed=42)
    counts = split.value_counts()
    assert counts["test"] == 40 and counts["val"] == 16 and counts["train"] == 144
    assert (t.label[split == "test"].value_counts() == 20).all()


def test_same_seed_same_split_other_seed_other_split():
    t = table()
    a = assign_splits(t, seed=1)
    assert a.equals(assign_splits(t, seed=1))
    assert not a.equals(assign_splits(t, seed=2))


def test_official_splits_are_kept():
    t = pd.concat([table(100, "train"), table(20, "val"), table(20, "test")], ignore_index=True)
    split = assign_splits(t, seed=0)
    assert split.tolist() == t.split.tolist()


def test_separate_test_rows_only_carve_validation():
    t = pd.concat([table(100), table(20, "test")], ignore_index=True)
    split = assign_splits(t, val_size=0.1, seed=0)
    assert (split[100:] == "test").all()
    assert (split[:100] == "val").sum() == 10


def test_groups_never_straddle_splits():
    t = table(300)
    groups = np.arange(300) // 3  # triplets of duplicates
    split = assign_splits(t, seed=3, groups=groups)
    per_group = pd.Series(split.to_numpy()).groupby(groups).nunique()
    assert (per_group == 1).all()


def test_bad_sizes_are_input_errors():
    with pytest.raises(InputError, match="test_size"):
        assign_splits(table(), test_size=1.5)


def test_a_file_that_is_all_official_test_is_an_input_error_suggesting_ignore_splits():
    with pytest.raises(InputError, match="--ignore-splits"):
        assign_splits(table(20, "test"))
