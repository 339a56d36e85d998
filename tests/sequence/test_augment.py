"""Augmentation operations: exact lengths, positions, rates and reverse-complement identity."""

from __future__ import annotations

import numpy as np
import pytest

from genoclass.errors import InputError
from genoclass.sequence import augment
from genoclass.sequence.encoding import tokenize


def _batch(n: int = 200, length: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(length // 2, length + 1, size=n)
    tokens = np.zeros((n, length), dtype=np.uint8)
    valid = np.arange(length)[None, :] < lengths[:, None]
    tokens[valid] = rng.integers(1, 5, size=int(valid.sum()))
    return tokens, lengths


def _padding_is_zero(tokens: np.ndarray, lengths: np.ndarray) -> bool:
    return bool((tokens[np.arange(tokens.shape[1])[None, :] >= lengths[:, None]] == 0).all())


def test_substitution_rate_and_always_a_different_base() -> None:
    tokens, lengths = _batch()
    out, new_lengths = augment.substitute(tokens, lengths, 0.05, np.random.default_rng(1))
    valid = np.arange(tokens.shape[1])[None, :] < lengths[:, None]
    changed = (out != tokens) & valid
    assert np.array_equal(new_lengths, lengths)
    assert changed.sum() / valid.sum() == pytest.approx(0.05, abs=0.005)
    assert set(np.unique(out[changed])) <= {1, 2, 3, 4}
    assert _padding_is_zero(out, lengths)


def test_insertion_keeps_every_original_base_in_order() -> None:
    tokens, lengths = _batch(n=50)
    out, new_lengths = augment.insert(tokens, lengths, 0.02, np.random.default_rng(2))
    inserted = new_lengths - lengths
    assert inserted.sum() / lengths.sum() == pytest.approx(0.02, abs=0.004)
    assert _padding_is_zero(out, new_lengths)
    for row in range(len(tokens)):
        original = tokens[row, : lengths[row]]
        grown = out[row, : new_lengths[row]]
        # the original is a subsequence of the grown one: greedy match consumes it fully
        it = iter(grown)
        assert all(any(b == g for g in it) for b in original)
        assert set(np.unique(grown)) <= {1, 2, 3, 4}


def test_deletion_removes_positions_and_keeps_the_rest_in_order() -> None:
    tokens, lengths = _batch(n=50)
    rng = np.random.default_rng(3)
    out, new_lengths = augment.delete(tokens, lengths, 0.1, rng)
    assert 1 - new_lengths.sum() / lengths.sum() == pytest.approx(0.1, abs=0.01)
    # replaying the same draws gives the exact kept positions
    keep = np.random.default_rng(3).random(tokens.shape) >= 0.1
    for row in (0, 7, 31):
        kept = tokens[row, : lengths[row]][keep[row, : lengths[row]]]
        assert np.array_equal(out[row, : new_lengths[row]], kept)
    assert _padding_is_zero(out, new_lengths)


def test_deletion_never_empties_a_sequence() -> None:
    tokens, lengths = tokenize(["ACG", "T"])
    out, new_lengths = augment.delete(tokens, lengths, 1.0, np.random.default_rng(0))
    assert new_lengths.tolist() == [1, 1]
    assert out[:, 0].tolist() == [1, 4]


def test_reverse_complement_twice_is_identity_and_is_exact() -> None:
    tokens, lengths = tokenize(["AACGTN", "GGC"])
    rng = np.random.default_rng(0)
    once, same_lengths = augment.reverse_complement(tokens, lengths, 1.0, rng)
    expected, _ = tokenize(["NACGTT", "GCC"])
    assert np.array_equal(once, expected)
    twice, _ = augment.reverse_complement(once, same_lengths, 1.0, rng)
    assert np.array_equal(twice, tokens)


def test_shift_drops_or_prepends_exactly() -> None:
    tokens, lengths = _batch(n=300)
    out, new_lengths = augment.shift(tokens, lengths, 1.0, np.random.default_rng(5), 7)
    s = lengths - new_lengths
    assert np.all((np.abs(s) >= 1) & (np.abs(s) <= 7))
    for row in range(len(tokens)):
        seq, new = tokens[row, : lengths[row]], out[row, : new_lengths[row]]
        if s[row] > 0:
            assert np.array_equal(new, seq[s[row] :])
        else:
            assert (new[: -s[row]] == 5).all() and np.array_equal(new[-s[row] :], seq)
    assert _padding_is_zero(out, new_lengths)


def test_random_crop_takes_a_window_of_the_sequence_at_uniform_starts() -> None:
    tokens, lengths = _batch(n=400, length=300)
    out, new_lengths = augment.random_crop(tokens, lengths, 100, np.random.default_rng(4))
    assert out.shape == (400, 100)
    assert np.array_equal(new_lengths, np.minimum(lengths, 100))
    starts = []
    for row in range(400):
        window = out[row, :100].tobytes()
        original = tokens[row, : lengths[row]].tobytes()
        start = original.find(window)
        assert start >= 0  # a contiguous piece of the original
        starts.append(start / (lengths[row] - 100))
    assert np.mean(starts) == pytest.approx(0.5, abs=0.05)  # uniform over possible starts
    short_tokens, short_lengths = _batch(n=20, length=80)
    kept, kept_lengths = augment.random_crop(
        short_tokens, short_lengths, 100, np.random.default_rng(5)
    )
    assert np.array_equal(kept, short_tokens) and np.array_equal(kept_lengths, short_lengths)


def test_augmenter_from_settings_reads_crop_as_a_length() -> None:
    augmenter = augment.augmenter_from_settings({"crop": "64"})
    assert augmenter == augment.Augmenter(crop=64)
    tokens, lengths = _batch(n=10, length=200)
    _, new_lengths = augmenter(tokens, lengths, np.random.default_rng(0))
    assert new_lengths.max() == 64
    with pytest.raises(InputError, match="crop must be >= 0"):
        augment.augmenter_from_settings({"crop": -1})


def test_rate_zero_leaves_batch_unchanged_and_augmenter_is_seeded() -> None:
    tokens, lengths = _batch(n=20)
    assert augment.augmenter_from_settings({"substitute": 0.0}) is None
    aug = augment.augmenter_from_settings({"substitute": 0.01, "insert": 0.01, "rc": 0.5})
    a = aug(tokens, lengths, np.random.default_rng(9))
    b = aug(tokens, lengths, np.random.default_rng(9))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_unknown_augmentation_or_bad_rate_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown augmentation"):
        augment.augmenter_from_settings({"mutate": 0.1})
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        augment.augmenter_from_settings({"insert": 2})
