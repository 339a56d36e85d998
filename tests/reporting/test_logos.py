"""Logos count whole bases from the position they start at."""

from __future__ import annotations

import numpy as np

from genoclass.reporting.logos import plot_cwm_logo, plot_logo, plot_profiles, plot_pwm_logo


def test_sequence_logo_is_labelled_in_whole_bases_from_its_start() -> None:
    matrix = np.random.default_rng(0).normal(size=(4, 10))
    ax = plot_logo(matrix, "window", first_position=21).axes[0]
    low, high = ax.get_xlim()
    assert 20 < low < 21 and 30 < high < 31  # positions 21..30, nothing past the end
    ticks = [t for t in ax.get_xticks() if low <= t <= high]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert ax.get_xlabel() == "position in sequence (nt)"


def test_motif_logos_and_profiles_count_from_one() -> None:
    pwm = np.full((4, 6), 0.1)
    pwm[2] = 0.7
    for figure in (plot_pwm_logo(pwm, "m"), plot_cwm_logo(pwm - 0.25, "m")):
        ax = figure.axes[0]
        assert ax.get_xlabel() == "position in motif (nt)"
        assert 0 < ax.get_xlim()[0] < 1 and 6 < ax.get_xlim()[1] < 7
    line = plot_profiles({"a": np.arange(5.0)}, "p").axes[0].lines[0]
    assert line.get_xdata().tolist() == [1, 2, 3, 4, 5]
