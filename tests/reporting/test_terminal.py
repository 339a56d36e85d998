"""Terminal tables: aligned columns, 3-decimal scores, mean ± sd cells, facts as in reports."""

from __future__ import annotations

import math

import pandas as pd

from genoclass.reporting.terminal import aligned_table, cell, frame_table, mean_sd_table


def test_cells_round_scores_to_three_decimals_and_keep_counts_whole() -> None:
    assert cell(0.912345678) == "0.912"
    assert cell(-0.0004) == "-0.000"
    assert cell(math.nan) == "n/a" and cell(None) == "n/a"
    assert cell(123456, "params") == "123,456" and cell(12.345, "train_seconds") == "12.3"


def test_columns_start_and_end_at_the_same_positions_on_every_line() -> None:
    rows = [
        {"model": "kmer_nb", "accuracy": "0.900"},
        {"model": "cnn", "accuracy": "0.875 ± 0.010"},
    ]
    assert aligned_table(rows, left=["model"]).splitlines() == [
        "model" + " " * 9 + "accuracy",  # text left-aligned, numbers right-aligned
        "kmer_nb" + " " * 10 + "0.900",
        "cnn" + " " * 6 + "0.875 ± 0.010",
    ]


def test_mean_sd_table_of_a_summary() -> None:
    summary = pd.DataFrame(
        {
            "model": ["kmer_nb", "fast_accurate_cnn"],
            "accuracy_mean": [0.91234, 0.8],
            "accuracy_sd": [0.0123, 0.2],
            "params_mean": [1200.0, 45678.0],
            "params_sd": [0.0, 12.5],
            "n": [3, 3],
        }
    )
    lines = mean_sd_table(summary, "model", ["accuracy", "mcc", "params"], ["n"]).splitlines()
    assert lines[0].split() == ["model", "accuracy", "params", "n"]  # mcc is not in the summary
    assert "0.912 ± 0.012" in lines[1] and "0.800 ± 0.200" in lines[2]
    assert lines[1].endswith(" 1,200 ±    0  3") and lines[2].endswith("45,678 ± 12.5  3")
    assert len({line.index("±") for line in lines[1:]}) == 1
    assert len({len(line) for line in lines}) == 1


def test_frame_table_formats_every_value() -> None:
    frame = pd.DataFrame({"seed": [42, 43], "fold": [1, 2], "accuracy": [1.0, 0.83333]})
    assert frame_table(frame).splitlines() == [
        "seed  fold  accuracy",
        "  42     1     1.000",
        "  43     2     0.833",
    ]
