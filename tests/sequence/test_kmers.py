"""k-mer ids and counts against a direct string count."""

from __future__ import annotations

from collections import Counter
from itertools import product

import numpy as np

from genoclass.sequence.encoding import tokenize
from genoclass.sequence.kmers import kmer_counts, kmer_ids


def test_kmer_ids_are_lexicographic_and_skip_n_and_padding() -> None:
    tokens, lengths = tokenize(["ACGTN", "TT"])
    ids = kmer_ids(tokens, lengths, 2)
    # AC=1, CG=6, GT=11, TN invalid; TT=15 then padding
    assert ids.tolist() == [[1, 6, 11, -1], [15, -1, -1, -1]]


def test_kmer_counts_match_a_string_count() -> None:
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGTN"), size=n, p=[0.24] * 4 + [0.04])) for n in (3, 50, 400)]
    counts = kmer_counts(seqs, 3, chunk=2).toarray()
    names = ["".join(p) for p in product("ACGT", repeat=3)]
    for row, seq in enumerate(seqs):
        direct = Counter(seq[i : i + 3] for i in range(len(seq) - 2) if "N" not in seq[i : i + 3])
        assert {names[j]: int(c) for j, c in enumerate(counts[row]) if c} == dict(direct)


def test_four_word_ngrams_of_six_mers_equal_nine_mers() -> None:
    seq = "ACGTTGCAAGTCCGATGCA"
    words = [seq[i : i + 6] for i in range(len(seq) - 5)]
    ngrams = {" ".join(words[i : i + 4]) for i in range(len(words) - 3)}
    nine_mers = {seq[i : i + 9] for i in range(len(seq) - 8)}
    assert len(ngrams) == len(nine_mers) == kmer_counts([seq], 9).nnz
