"""Dataset summaries: figures and the readable text."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from genoclass.data.summary import format_summary, summarize_sequences
from genoclass.io.sequences import SequenceData, read_sequences


def data(rows):
    frame = pd.DataFrame(rows, columns=["sequence", "label", "split"])
    frame.insert(0, "id", [f"s{i}" for i in range(len(frame))])
    frame["source_row"] = range(1, len(frame) + 1)
    cleaning = {"n_sequences": len(frame), "lowercase_uppercased": 1, "ambiguous_to_N": 2}
    return SequenceData(table=frame, source="x.csv", format="csv", cleaning=cleaning)


def test_summary_figures_overall_and_per_split():
    summary = summarize_sequences(
        data(
            [
                ("ACGT", "a", "train"),
                ("ACGTNN", "b", "train"),
                ("AC", "a", "test"),
                ("ACGT", "b", "test"),
            ]
        )
    )
    json.dumps(summary)
    assert summary["n_sequences"] == 4
    assert summary["classes"] == {"a": 2, "b": 2}
    assert summary["length"] == {"min": 2, "median": 4.0, "mean": 4.0, "max": 6}
    assert summary["n_fraction"] == 2 / 16
    assert summary["sequences_with_n"] == 1
    assert summary["duplicates"]["exact"] == {"train-test": 1}
    assert summary["splits"]["train"]["classes"] == {"a": 1, "b": 1}
    assert summary["splits"]["test"]["length"]["max"] == 4
    text = format_summary(summary)
    assert "Sequences: 4 in 2 classes" in text
    assert "train-test 1 / 0" in text
    assert text.splitlines()[6].split() == ["class", "all", "train", "test"]


def test_summary_without_splits_or_labels():
    summary = summarize_sequences(data([("ACGT", None, None), ("ACGT", None, None)]))
    assert summary["splits"] == {}
    assert summary["classes"] == {}
    text = format_summary(summary)
    assert "Duplicate rows (repeating an earlier row): 1" in text
    assert "total" in text


@pytest.mark.realdata
def test_real_vasani_summary(shared_data):
    summary = summarize_sequences(
        read_sequences(shared_data / "dna" / "vasani_human_dna" / "human_data.txt")
    )
    assert summary["n_sequences"] == 4_380
    assert summary["duplicates"]["within"] == {"all": 751}
    assert summary["length"]["min"] == 5 and summary["length"]["max"] == 18_921
