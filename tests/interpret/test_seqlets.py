"""Seqlet calling on hand-made attribution tracks."""

from __future__ import annotations

import numpy as np

from genoclass.interpret.seqlets import (
    extract_seqlets,
    peak_windows,
    position_means,
    window_sums,
)


def test_window_sums_respect_lengths() -> None:
    sums = window_sums(np.ones((2, 6)), 3, lengths=np.array([6, 4]))
    assert sums[0].tolist() == [3, 3, 3, 3] and np.isinf(sums[1, 2:]).all()


def test_strongest_windows_are_found_without_overlap() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(0, 0.1, size=(20, 50))
    scores[:, 10:16] += 2.0
    scores[:5, 30:36] += 1.0
    seqlets = extract_seqlets(scores, width=6, quantile=0.8, max_per_sequence=2)
    first = seqlets.groupby("example").head(1)
    assert len(first) == 20 and (first["start"] == 10).all()
    second = seqlets.groupby("example").nth(1).set_index("example")
    assert (second.loc[range(5), "start"] == 30).all()
    assert (second["score"] < first.set_index("example").loc[second.index, "score"]).all()


def test_peak_windows_stay_inside_each_sequence() -> None:
    scores = np.zeros((3, 100))
    scores[0, 50] = scores[1, 2] = scores[2, 38] = 1.0
    scores[2, 90] = 5.0  # padding of a 40-nt sequence: never the peak
    start, stop = peak_windows(scores, np.array([100, 100, 40]), 20)
    assert start.tolist() == [40, 0, 20] and stop.tolist() == [60, 20, 40]
    short_start, short_stop = peak_windows(scores[:1], np.array([12]), 20)
    assert (short_start[0], short_stop[0]) == (0, 12)  # shorter than the window


def test_position_means_ignore_padding() -> None:
    scores = np.array([[1.0, 1.0, 1.0, 0.0], [3.0, 3.0, 9.0, 9.0]])
    means = position_means(scores, np.array([3, 2]))
    assert means.tolist() == [2.0, 2.0, 1.0]  # position 3 only from the first sequence
