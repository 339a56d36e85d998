"""Paired tests and run summaries on constructed arrays."""

import math

import numpy as np
import pandas as pd
import pytest

from genoclass.evaluation.stats import describe_lead, paired_test, summarize_runs


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


def test_a_consistent_lead_is_beyond_seed_noise_and_a_noisy_one_within_it():
    rng = np.random.default_rng(0)
    other = 0.6 + rng.normal(0, 0.03, 10)  # seed-to-seed spread 0.03
    clear = describe_lead("a", "b", other + 0.05 + rng.normal(0, 0.005, 10), other, "mcc")
    assert clear["within_noise"] is False and clear["t_pvalue"] < 0.001
    assert clear["lead"] == pytest.approx(0.05, abs=0.01)
    assert (
        clear["text"].startswith(f"a leads b by {clear['lead']:.3f} mcc, ")
        and "beyond seed noise" in clear["text"]
    )
    noisy = describe_lead("a", "b", other + rng.normal(0.01, 0.04, 10), other, "mcc")
    assert noisy["within_noise"] is True and noisy["t_pvalue"] >= 0.05
    assert "within seed noise" in noisy["text"] and "over 10 seeds" in noisy["text"]
    single = describe_lead("a", "b", [0.7], [0.6], "mcc")
    assert single["within_noise"] is True and "one seed" in single["text"]
