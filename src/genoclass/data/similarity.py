"""Near-duplicate sequences by k-mer Jaccard similarity: MinHash sketches, LSH banding, exact
verification of candidate pairs, and clusters for similarity-aware splits.

The similarity of sequences ``a`` and ``b`` is ``max(J(K(a), K(b)), J(K(a), K(rc(b))))``:
the Jaccard index of their sets of distinct k-mers (k-mers containing N are left out),
taking whichever strand of ``b`` matches better. Sketches hash *canonical* k-mers (the
smaller id of a k-mer and its reverse complement), so a pair collides in LSH whichever
strand it shares. Canonical Jaccard is only an approximation of the definition (it also
pairs a k-mer of ``a`` with the reverse complement of a different k-mer of ``b``, about
``|K(a)|·|K(b)| / 4**k`` chance hits, and it counts a sequence that is half forward, half
reverse copy of another as similar), so every candidate pair is verified with the exact
definition above; the answer is exact for every pair LSH proposes (candidates whose MinHash
estimate is more than five standard errors below the threshold, chance band collisions, are
dropped without verification). LSH itself is probabilistic: its band shape is chosen so that
a pair exactly at the threshold is proposed with probability >= 0.99 (more above it);
clusters are transitive, so a missed pair is usually joined through a third sequence anyway.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from genoclass.data.leakage import duplicate_groups
from genoclass.sequence.kmers import stranded_kmer_codes

DEFAULT_K = 9
DEFAULT_NUM_PERM = 64
#: k-mer lengths supported (ids fit in 32 bits)
MIN_K, MAX_K = 3, 16
#: probability that LSH proposes a pair whose similarity equals the threshold
TARGET_RECALL = 0.99
#: candidates whose MinHash estimate lies this many standard errors below the threshold are
#: dropped unverified
ESTIMATE_MARGIN = 5.0
#: in one LSH bucket each sequence is paired with at most this many following members
BUCKET_WINDOW = 64
#: bases hashed per block (bounds memory; blocks are spread over threads)
_BLOCK_BASES = 4_000_000
_EMPTY = np.iinfo(np.uint32).max
#: position of the high 32-bit word inside a uint64 in memory
_HIGH_WORD = 1 if sys.byteorder == "little" else 0


def check_k(k: int) -> None:
    """Raise ``ValueError`` unless ``k`` is a supported k-mer length."""
    if not MIN_K <= k <= MAX_K:
        raise ValueError(f"k-mer length must be in {MIN_K}..{MAX_K}, got {k}")


@dataclass
class SequenceSketch:
    """MinHash signatures ``(n, num_perm)`` of sequences and their exact k-mer sets on demand.

    ``present`` marks sequences with at least one k-mer free of N; the others are never
    near-duplicates of anything (exact duplicates are handled by the callers).
    """

    sequences: list[str]
    k: int
    signatures: np.ndarray
    present: np.ndarray
    _sets: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_k(self.k)

    def __len__(self) -> int:
        return len(self.sequences)

    def kmer_sets(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct forward k-mer ids of sequence ``i`` and those of its reverse
        complement."""
        if i not in self._sets:
            self.prepare_sets([i])
        return self._sets[i]

    def prepare_sets(self, indices: Sequence[int]) -> None:
        """Compute the k-mer sets of many sequences at once (much faster than one by one)."""
        todo = [i for i in dict.fromkeys(int(i) for i in indices) if i not in self._sets]
        for block in _blocks([self.sequences[i] for i in todo]):
            members = todo[block]
            forward, reverse, counts = stranded_kmer_codes(
                [self.sequences[i] for i in members], self.k
            )
            strands = [_distinct_per_sequence(codes, counts) for codes in (forward, reverse)]
            for m, i in enumerate(members):
                self._sets[i] = tuple(v[b[m] : b[m + 1]] for v, b in strands)


def _distinct_per_sequence(codes: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ids of each sequence's k-mers: (values, bounds) with sequence ``m``'s
    ids at ``values[bounds[m]:bounds[m + 1]]`` (ids are < 2**32, owners < 2**32)."""
    owner = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
    keys = np.sort((owner << np.uint64(32)) | codes.astype(np.uint64))
    if keys.size:
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    bounds = np.searchsorted(keys >> np.uint64(32), np.arange(len(counts) + 1, dtype=np.uint64))
    return (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32), bounds


def sketch_sequences(
    sequences: Sequence[str],
    *,
    k: int = DEFAULT_K,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: int = 0,
    threads: int = 1,
) -> SequenceSketch:
    """MinHash sketch of canonical k-mers: ``num_perm`` seeded multiply-shift hash functions,
    minimum per sequence, computed in blocks of a few million bases on ``threads`` threads."""
    check_k(k)
    seqs = [str(s) for s in sequences]
    rng = np.random.default_rng(seed)
    mult = rng.integers(0, 2**63, num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    add = rng.integers(0, 2**63, num_perm, dtype=np.uint64)
    blocks = list(_blocks(seqs))
    with ThreadPoolExecutor(max_workers=max(threads, 1)) as pool:
        parts = list(pool.map(lambda b: _block_signatures(seqs[b], k, mult, add), blocks))
    if parts:
        signatures = np.concatenate([p[0] for p in parts])
        present = np.concatenate([p[1] for p in parts])
    else:
        signatures, present = np.zeros((0, num_perm), np.uint32), np.zeros(0, bool)
    return SequenceSketch(seqs, k, signatures, present)


def _blocks(seqs: list[str]) -> Iterator[slice]:
    """Consecutive slices of sequences holding about ``_BLOCK_BASES`` bases each."""
    ends = np.cumsum([len(s) + 1 for s in seqs])
    start = 0
    while start < len(seqs):
        base = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, base + _BLOCK_BASES, side="right")), start + 1)
        yield slice(start, stop)
        start = stop


def _block_signatures(
    seqs: list[str], k: int, mult: np.ndarray, add: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Signatures and k-mer presence of one block of sequences."""
    forward, reverse, counts = stranded_kmer_codes(seqs, k)
    canonical = np.minimum(forward, reverse).astype(np.uint64)
    present = counts > 0
    signatures = np.full((len(seqs), len(mult)), _EMPTY, dtype=np.uint32)
    if canonical.size:
        offsets = (np.cumsum(counts) - counts)[present]
        hashed = np.empty_like(canonical)
        high = hashed.view(np.uint32)[_HIGH_WORD::2]
        for j in range(len(mult)):  # h(x) = top 32 bits of (a*x + b) mod 2**64
            np.multiply(canonical, mult[j], out=hashed)
            hashed += add[j]
            signatures[present, j] = np.minimum.reduceat(high, offsets)
    return signatures, present


def lsh_shape(threshold: float, num_perm: int, recall: float = TARGET_RECALL) -> tuple[int, int]:
    """LSH ``(bands, rows)`` with the most rows per band (fewest chance candidates) whose
    probability ``1 - (1 - t**rows)**bands`` of proposing a pair of similarity ``t`` =
    ``threshold`` is at least ``recall``."""
    if not 0 < threshold <= 1:
        raise ValueError(f"similarity threshold must be in (0, 1], got {threshold}")
    for rows in range(num_perm, 1, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= recall:
            return bands, rows
    return num_perm, 1


def _band_keys(sketch: SequenceSketch, bands: int, rows: int) -> Iterator[np.ndarray]:
    """One uint64 key per sequence and band (a random linear mix of the band's hashes)."""
    mix = np.random.default_rng(12345).integers(0, 2**63, rows, dtype=np.uint64) * np.uint64(2)
    mix += np.uint64(1)
    for band in range(bands):
        block = sketch.signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
        yield (block * mix).sum(axis=1, dtype=np.uint64)


def _pairs_within(keys: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (lo < hi) of ``members`` with equal keys; each is paired with at most
    ``BUCKET_WINDOW`` following members of its bucket (in index order)."""
    order = members[np.argsort(keys[members], kind="stable")]
    ordered = keys[order]
    lows, highs = [], []
    for step in range(1, BUCKET_WINDOW + 1):
        same = ordered[step:] == ordered[:-step]
        if not same.any():
            break
        lows.append(order[:-step][same])
        highs.append(order[step:][same])
    empty = np.zeros(0, np.int64)
    return (np.concatenate(lows), np.concatenate(highs)) if lows else (empty, empty)


def _pairs_between(
    keys_a: np.ndarray, members_a: np.ndarray, keys_b: np.ndarray, members_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (member of a, member of b) with equal keys."""
    order = members_a[np.argsort(keys_a[members_a], kind="stable")]
    ordered = keys_a[order]
    probe = keys_b[members_b]
    left = np.searchsorted(ordered, probe, side="left")
    hits = np.searchsorted(ordered, probe, side="right") - left
    first = np.repeat(np.cumsum(hits) - hits, hits)
    positions = np.repeat(left, hits) + np.arange(hits.sum()) - first
    return order[positions], np.repeat(members_b, hits)


def _unique_pairs(lows: list[np.ndarray], highs: list[np.ndarray], n_b: int) -> np.ndarray:
    """Distinct pairs as an (m, 2) array."""
    if not lows:
        return np.zeros((0, 2), np.int64)
    codes = np.sort(np.concatenate(lows) * np.int64(n_b) + np.concatenate(highs))
    codes = codes[np.concatenate([[True], codes[1:] != codes[:-1]])] if codes.size else codes
    return np.stack([codes // n_b, codes % n_b], axis=1)


def _by_estimate(
    a: SequenceSketch, b: SequenceSketch, pairs: np.ndarray, threshold: float
) -> np.ndarray:
    """Pairs sorted by MinHash-estimated similarity, highest first (verify likely ones first),
    without those estimated more than ``ESTIMATE_MARGIN`` standard errors below the
    threshold (chance band collisions; a pair truly at the threshold lands there with
    probability 1e-5 or less for thresholds up to 0.9 with 64 hash functions)."""
    estimate = np.empty(len(pairs))
    for start in range(0, len(pairs), 100_000):
        chunk = pairs[start : start + 100_000]
        same = a.signatures[chunk[:, 0]] == b.signatures[chunk[:, 1]]
        estimate[start : start + len(chunk)] = same.mean(axis=1)
    error = np.sqrt(threshold * (1 - threshold) / a.signatures.shape[1])
    keep = estimate >= threshold - ESTIMATE_MARGIN * error
    order = np.argsort(-estimate[keep], kind="stable")
    return pairs[keep][order]


def pair_similarity(a: SequenceSketch, i: int, b: SequenceSketch, j: int) -> float:
    """Exact similarity of sequence ``i`` of ``a`` and sequence ``j`` of ``b`` (see the
    module docstring)."""
    forward_i, _ = a.kmer_sets(i)
    forward_j, reverse_j = b.kmer_sets(j)
    return max(_jaccard(forward_i, forward_j), _jaccard(forward_i, reverse_j))


def _jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """Jaccard index of two sorted arrays of distinct values (0 when both are empty)."""
    if not len(x) or not len(y):
        return 0.0
    shared = np.intersect1d(x, y, assume_unique=True).size
    return shared / (len(x) + len(y) - shared)


def kmer_similarity(a: str, b: str, k: int = DEFAULT_K) -> float:
    """Exact k-mer Jaccard similarity of two sequences, the better of ``b``'s two strands."""
    sketch = SequenceSketch([a, b], k, np.zeros((2, 0), np.uint32), np.ones(2, bool))
    return pair_similarity(sketch, 0, sketch, 1)


def candidate_pairs(a: SequenceSketch, b: SequenceSketch, threshold: float) -> np.ndarray:
    """Pairs ``(i, j)`` (sequence ``i`` of ``a``, ``j`` of ``b``) that LSH proposes at
    ``threshold``, most similar by MinHash estimate first; when ``b`` is ``a``, each pair once
    with ``i < j``."""
    if a.k != b.k or a.signatures.shape[1] != b.signatures.shape[1]:
        raise ValueError("sketches differ in k or num_perm")
    bands, rows = lsh_shape(threshold, a.signatures.shape[1])
    members_a, members_b = np.flatnonzero(a.present), np.flatnonzero(b.present)
    keys_b = _band_keys(b, bands, rows) if b is not a else None
    lows, highs = [], []
    for keys in _band_keys(a, bands, rows):
        if keys_b is None:
            low, high = _pairs_within(keys, members_a)
        else:
            low, high = _pairs_between(keys, members_a, next(keys_b), members_b)
        lows.append(low)
        highs.append(high)
    return _by_estimate(a, b, _unique_pairs(lows, highs, max(len(b), 1)), threshold)


def similarity_clusters(
    sequences: Sequence[str],
    threshold: float = 0.8,
    *,
    k: int = DEFAULT_K,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: int = 0,
    threads: int = 1,
) -> np.ndarray:
    """One int64 cluster id per sequence: sequences linked by a chain of pairs whose exact
    k-mer similarity reaches ``threshold`` share an id, as do exact and reverse-complement
    duplicates (also those too short for a k-mer). Ids count from 0 in order of first
    appearance."""
    seqs = [str(s) for s in sequences]
    duplicates = duplicate_groups(seqs, include_rc=True)
    _, first = np.unique(duplicates, return_index=True)
    sketch = sketch_sequences(
        [seqs[i] for i in first], k=k, num_perm=num_perm, seed=seed, threads=threads
    )
    pairs = candidate_pairs(sketch, sketch, threshold)
    sketch.prepare_sets(pairs.ravel())
    parent = list(range(len(sketch)))
    for i, j in pairs.tolist():
        root_i, root_j = _find(parent, i), _find(parent, j)
        if root_i != root_j and pair_similarity(sketch, i, sketch, j) >= threshold:
            parent[root_i] = root_j
    roots = np.array([_find(parent, i) for i in range(len(parent))], dtype=np.int64)
    codes, _ = pd.factorize(roots[duplicates] if len(seqs) else roots)
    return codes.astype(np.int64)


def _find(parent: list[int], i: int) -> int:
    """Union-find root of ``i`` (path halving)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def near_duplicates(
    queries: Sequence[str] | SequenceSketch,
    references: Sequence[str] | SequenceSketch,
    threshold: float = 0.9,
    *,
    k: int = DEFAULT_K,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: int = 0,
    threads: int = 1,
) -> pd.DataFrame:
    """Queries that have a near-duplicate among the references: columns ``query`` and
    ``reference`` (positions in each collection) and ``similarity`` (exact, >= threshold),
    one row per such query, ordered by query. The reported reference is the first to verify
    among LSH candidates taken by MinHash estimate, highest first. Either side may be a
    :class:`SequenceSketch` (reused across thresholds; same ``k`` and ``num_perm``)."""
    a, b = (
        s
        if isinstance(s, SequenceSketch)
        else sketch_sequences(s, k=k, num_perm=num_perm, seed=seed, threads=threads)
        for s in (queries, references)
    )
    pairs = candidate_pairs(a, b, threshold)
    a.prepare_sets(pairs[:, 0])
    b.prepare_sets(pairs[:, 1])
    found: dict[int, tuple[int, float]] = {}
    for i, j in pairs.tolist():
        if i not in found:
            score = pair_similarity(a, i, b, j)
            if score >= threshold:
                found[i] = (j, score)
    rows_out = [(i, j, s) for i, (j, s) in sorted(found.items())]
    return pd.DataFrame(rows_out, columns=["query", "reference", "similarity"]).astype(
        {"query": np.int64, "reference": np.int64, "similarity": float}
    )
