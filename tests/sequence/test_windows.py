"""Window placement over sequences of any length."""

from __future__ import annotations

import numpy as np
import pytest

from genoclass.sequence.windows import window_starts


def test_windows_cover_every_base_and_end_at_the_sequence_end() -> None:
    owner, start = window_starts(np.array([10, 25, 26, 4]), size=10, stride=5)
    assert owner.tolist() == [0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3]
    assert start.tolist() == [0, 0, 5, 10, 15, 0, 5, 10, 15, 16, 0]


def test_bad_window_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        window_starts(np.array([5]), size=0, stride=1)
