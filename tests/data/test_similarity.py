"""k-mer Jaccard similarity, MinHash/LSH candidates and similarity clusters."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from genoclass.data.leakage import reverse_complement
from genoclass.data.similarity import (
    kmer_similarity,
    lsh_shape,
    near_duplicates,
    similarity_clusters,
)
from genoclass.data.splits import assign_splits
from genoclass.sequence.encoding import tokenize
from genoclass.sequence.kmers import kmer_ids, stranded_kmer_codes
from genoclass.workflows.crossval import fold_assignments

BASES = np.array(list("ACGT"))


def random_sequence(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(BASES, n))


def mutate(rng: np.random.Generator, seq: str, rate: float) -> str:
    """Substitute each base with probability ``rate`` by a different base."""
    arr = np.array(list(seq))
    hit = np.flatnonzero(rng.random(len(arr)) < rate)
    for i in hit:
        arr[i] = rng.choice([b for b in BASES if b != arr[i]])
    return "".join(arr)


def planted_families(seed: int, n_families: int, size: int, rate: float, n_random: int):
    """Families of mutated copies of a parent (one family id each) plus unrelated sequences."""
    rng = np.random.default_rng(seed)
    seqs, family = [], []
    for f in range(n_families):
        parent = random_sequence(rng, int(rng.integers(200, 400)))
        members = [parent] + [mutate(rng, parent, rate) for _ in range(size - 1)]
        # some copies on the other strand: similarity is either strand
        members = [reverse_complement(m) if i % 3 == 2 else m for i, m in enumerate(members)]
        seqs += members
        family += [f] * size
    for r in range(n_random):
        seqs.append(random_sequence(rng, int(rng.integers(200, 400))))
        family.append(n_families + r)
    return seqs, np.array(family)


@pytest.mark.parametrize(
    ("a", "b", "k", "expected"),
    [
        ("ACGTT", "ACGTA", 3, 2 / 4),  # {ACG,CGT,GTT} vs {ACG,CGT,GTA}
        ("AACCG", "CGGTT", 3, 1.0),  # b is a's reverse complement: no forward k-mer shared
        ("ACGNACG", "ACG", 3, 1.0),  # k-mers touching N are left out; repeats count once
        ("AAAAAA", "AAAAAT", 3, 1 / 2),  # {AAA} vs {AAA, AAT}
        ("ACGTACGT", "TTTTTTTT", 3, 0.0),
        ("AC", "AC", 3, 0.0),  # shorter than k: no k-mers, no similarity
    ],
)
def test_exact_jaccard_on_hand_made_examples(a, b, k, expected):
    assert kmer_similarity(a, b, k) == pytest.approx(expected)
    assert kmer_similarity(b, a, k) == pytest.approx(expected)


def test_similarity_takes_the_better_strand():
    # a = X + Y, b = X + rc(Y): half shared on each strand, never all on one
    rng = np.random.default_rng(0)
    x, y = random_sequence(rng, 100), random_sequence(rng, 100)
    a, b = x + y, x + reverse_complement(y)
    fwd = kmer_similarity(a, b, 9)
    assert 0.25 < fwd < 0.5
    assert kmer_similarity(a, reverse_complement(b), 9) == pytest.approx(fwd, abs=0.02)


def test_stranded_codes_match_kmer_ids_and_reverse_complements():
    seqs = ["ACGTTGCANNACGTAC", "GATTACA", "AC", ""]
    forward, reverse, counts = stranded_kmer_codes(seqs, 4)
    tokens, lengths = tokenize(seqs)
    ids = kmer_ids(tokens, lengths, 4)
    assert forward.tolist() == ids[ids >= 0].tolist()
    assert counts.tolist() == (ids >= 0).sum(axis=1).tolist()
    rc_tokens, rc_lengths = tokenize([reverse_complement(s) for s in seqs])
    rc_ids = kmer_ids(rc_tokens, rc_lengths, 4)
    for i, (start, n) in enumerate(zip(np.cumsum(counts) - counts, counts, strict=True)):
        assert sorted(reverse[start : start + n].tolist()) == sorted(
            rc_ids[i][rc_ids[i] >= 0].tolist()
        )


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8, 0.9, 0.95])
def test_lsh_shape_reaches_the_recall_target_with_the_most_rows(threshold):
    bands, rows = lsh_shape(threshold, 64)
    assert bands * rows <= 64
    assert 1 - (1 - threshold**rows) ** bands >= 0.99
    more = rows + 1
    assert 1 - (1 - threshold**more) ** (64 // more) < 0.99


def brute_force_clusters(seqs, threshold, k=9):
    """Connected components of every pair with exact similarity >= threshold."""
    parent = list(range(len(seqs)))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(len(seqs)), 2):
        if seqs[i] == seqs[j] or kmer_similarity(seqs[i], seqs[j], k) >= threshold:
            parent[find(i)] = find(j)
    return pd.factorize(np.array([find(i) for i in range(len(seqs))]))[0]


@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_clusters_equal_brute_force_connected_components(threshold):
    seqs, _ = planted_families(1, n_families=6, size=5, rate=0.03, n_random=20)
    seqs.append(seqs[0])  # an exact duplicate
    found = similarity_clusters(seqs, threshold)
    assert found.dtype == np.int64
    assert found.tolist() == brute_force_clusters(seqs, threshold).tolist()


def family_similarity(seqs, family):
    """Lowest similarity between a family's parent and its copies, over all families."""
    lowest = 1.0
    for f in np.unique(family):
        members = [seqs[i] for i in np.flatnonzero(family == f)]
        for m in members[1:]:
            lowest = min(lowest, kmer_similarity(members[0], m))
    return lowest


def straddling(groups_of_interest: np.ndarray, sides: np.ndarray) -> int:
    """Number of groups whose rows sit on more than one side."""
    return int((pd.Series(sides).groupby(groups_of_interest).nunique() > 1).sum())


def test_planted_families_stay_on_one_side_below_their_similarity_and_may_split_above():
    seqs, family = planted_families(2, n_families=30, size=6, rate=0.02, n_random=120)
    planted = family < 30
    lowest = family_similarity(seqs, family[: len(seqs)])
    highest_pair = max(
        kmer_similarity(seqs[i], seqs[j])
        for f in range(30)
        for i, j in itertools.combinations(np.flatnonzero(family == f), 2)
    )
    labels = np.array(["a", "b"])[np.arange(len(seqs)) % 2]
    table = pd.DataFrame({"label": labels, "split": None})
    below = similarity_clusters(seqs, round(lowest - 0.05, 2))
    for seed in range(3):
        split = assign_splits(table, test_size=0.2, val_size=0.2, seed=seed, groups=below)
        assert straddling(family[planted], split.to_numpy()[planted]) == 0
        folds = fold_assignments(labels, 5, seed, groups=below)
        assert straddling(family[planted], folds[planted]) == 0
    above = similarity_clusters(seqs, min(highest_pair + 0.02, 1.0))
    assert len(np.unique(above)) == len(seqs)  # no pair reaches it: every row its own group
    folds = fold_assignments(labels, 5, 0, groups=above)
    assert straddling(family[planted], folds[planted]) > 0


def test_near_duplicates_between_collections_find_the_planted_copies():
    rng = np.random.default_rng(5)
    corpus = [random_sequence(rng, 300) for _ in range(200)]
    copies = {i: mutate(rng, corpus[i * 7], 0.01) for i in range(10)}
    queries = [random_sequence(rng, 300) for _ in range(15)]
    for i, copy in copies.items():
        queries.insert(i * 2, reverse_complement(copy) if i % 2 else copy)
    found = near_duplicates(queries, corpus, 0.7)
    expected = {i * 2: i * 7 for i in copies}
    assert dict(zip(found["query"], found["reference"], strict=True)) == expected
    for q, r, s in found.itertuples(index=False):
        assert s == pytest.approx(kmer_similarity(queries[q], corpus[r])) and s >= 0.7
    assert near_duplicates(queries[10:12], [], 0.7).empty


def test_bad_k_is_a_value_error():
    with pytest.raises(ValueError, match="k-mer length"):
        similarity_clusters(["ACGT"], 0.8, k=40)
