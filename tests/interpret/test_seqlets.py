"""Seqlet calling on hand-made attribution tracks."""

from __future__ import annotations

import numpy as np

from genoclass.interpret.seqlets import extract_seqlets, window_sums


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
