"""Token and one-hot encodings, cropping and reverse complement."""

import numpy as np
import pytest

from genoclass.sequence.encoding import one_hot, reverse_complement_tokens, tokenize


def test_tokens_are_right_padded_with_zero():
    tokens, lengths = tokenize(["ACGTN", "GA"])
    assert tokens.tolist() == [[1, 2, 3, 4, 5], [3, 1, 0, 0, 0]]
    assert lengths.tolist() == [5, 2]


@pytest.mark.parametrize(
    ("crop", "expected"),
    [("right", [1, 2, 3]), ("left", [3, 4, 5]), ("center", [2, 3, 4])],
)
def test_crop_sides(crop, expected):
    tokens, lengths = tokenize(["ACGTN"], max_len=3, crop=crop)
    assert tokens[0].tolist() == expected
    assert lengths.tolist() == [3]


def test_one_hot_channels_n_and_padding():
    x = one_hot(tokenize(["ACN"], max_len=4)[0])
    assert x.shape == (1, 4, 4)
    assert x[0, :, 0].tolist() == [1, 0, 0, 0]
    assert x[0, :, 1].tolist() == [0, 1, 0, 0]
    assert x[0, :, 2].tolist() == [0.25] * 4
    assert x[0, :, 3].tolist() == [0, 0, 0, 0]


def test_reverse_complement_keeps_padding_right_and_is_an_involution():
    tokens, lengths = tokenize(["AACGN", "GT"])
    rc = reverse_complement_tokens(tokens, lengths)
    assert rc.tolist() == [[5, 2, 3, 4, 4], [1, 2, 0, 0, 0]]  # NCGTT, AC
    assert np.array_equal(reverse_complement_tokens(rc, lengths), tokens)


def test_vectorised_tokenizer_matches_a_per_character_reference():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGTN"), size=rng.integers(1, 40))) for _ in range(200)]
    tokens, lengths = tokenize(seqs, max_len=30, crop="center")
    ids = {"A": 1, "C": 2, "G": 3, "T": 4, "N": 5}
    for seq, row, n in zip(seqs, tokens, lengths, strict=True):
        start = max(len(seq) - 30, 0) // 2
        kept = seq[start : start + 30]
        assert n == len(kept)
        assert row[:n].tolist() == [ids[c] for c in kept]
        assert not row[n:].any()
