"""Paired tests and run summaries on constructed arrays."""

import math

import numpy as np
import pandas as pd
import pytest

from genoclass.evaluation.stats import paired_test, summarize_runs


def test_paired_test_six_pairs_reports_t_and_wilcoxon():
    b = np.array([0.80, 0.82, 0.85, 0.79, 0.81, 0.83])
    a = b + np.array([0.01, 0.02, 0.03, 0.01, 0.02, 0.03])
    result = paired_test(a, b)
    assert result["n"] == 6
    assert result["primary"] == "paired_t"
    assert result["mean_diff"] == pytest.approx(0.02)
    assert result["sd_diff"] == pytest.approx(math.sqrt(0.8e-4))
    # t = mean / (sd / sqrt(n)) = 0.02 * sqrt(6) / sqrt(0.8e-4) = sqrt(30)
    assert result["t_statistic"] == pytest.approx(math.sqrt(30))
    assert 0 < result["t_pvalue"] < 0.01
    # all six differences positive: W = 0, exact two-sided p = 2 / 2**6
    assert result["wilcoxon_statistic"] == 0.0
    assert result["wilcoxon_pvalue"] == pytest.approx(2 / 64)


def test_paired_test_three_seeds_skips_wilcoxon_and_warns():
    result = paired_test([0.9, 0.91, 0.92], [0.88, 0.9, 0.9])
    assert result["wilcoxon_pvalue"] is None
    assert result["t_pvalue"] is not None
    assert "low power" in result["note"]


def test_paired_test_identical_scores_gives_none_not_nan():
    result = paired_test([0.5] * 6, [0.5] * 6)
    assert result["mean_diff"] == 0.0
    assert result["t_statistic"] is None and result["wilcoxon_statistic"] is None


def test_paired_test_rejects_unequal_lengths():
    with pytest.raises(ValueError):
        paired_test([1, 2, 3], [1, 2])


def test_summarize_runs_mean_sd_per_model_in_order():
    df = pd.DataFrame(
        {
            "model": ["cnn", "cnn", "cnn", "rf", "rf", "rf"],
            "seed": [1, 2, 3, 1, 2, 3],
            "accuracy": [0.8, 0.9, 1.0, 0.5, 0.5, 0.5],
        }
    )
    summary = summarize_runs(df, ["accuracy"])
    assert list(summary.columns) == ["model", "accuracy_mean", "accuracy_sd", "n"]
    assert summary["model"].tolist() == ["cnn", "rf"]
    np.testing.assert_allclose(summary["accuracy_mean"], [0.9, 0.5])
    np.testing.assert_allclose(summary["accuracy_sd"], [0.1, 0.0], atol=1e-12)
    assert summary["n"].tolist() == [3, 3]
