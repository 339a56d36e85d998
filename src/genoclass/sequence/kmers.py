"""Overlapping k-mers of token-encoded sequences: integer ids and sparse count matrices.

A k-mer over A, C, G, T gets the id ``sum(base_j * 4**(k-1-j))`` (A0 C1 G2 T3), so ids run
from 0 to 4**k - 1 in lexicographic order. A k-mer that touches ``N`` or padding gets -1
and is never counted. Counting the 4-word n-grams of overlapping 6-mer "words" (the
k-mer naive-Bayes recipe) is exactly counting 9-mers: four consecutive overlapping 6-mers
span 9 bases and are determined by them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from genoclass.sequence.encoding import tokenize

#: token id (pad0 A1 C2 G3 T4 N5) -> base index 0..3, or -1 for padding and N
_BASE_INDEX = np.array([-1, 0, 1, 2, 3, -1], dtype=np.int64)


def kmer_ids(tokens: np.ndarray, lengths: np.ndarray, k: int) -> np.ndarray:
    """Ids (n, L - k + 1) of every overlapping k-mer; -1 where it is not all A/C/G/T or runs
    past the sequence's length."""
    n, width = tokens.shape
    n_pos = max(width - k + 1, 0)
    base = _BASE_INDEX[tokens]
    ids = np.zeros((n, n_pos), dtype=np.int64)
    valid = np.ones((n, n_pos), dtype=bool)
    for j in range(k):  # k is small: one vectorised pass per k-mer position
        column = base[:, j : j + n_pos]
        ids = ids * 4 + np.maximum(column, 0)
        valid &= column >= 0
    valid &= np.arange(n_pos)[None, :] + k <= lengths[:, None]
    return np.where(valid, ids, -1)


def kmer_counts(seqs: list[str], k: int, chunk: int = 256) -> sp.csr_matrix:
    """Sparse (n, 4**k) matrix of overlapping k-mer counts of each sequence (chunked so a
    few very long sequences do not blow up memory)."""
    blocks = []
    for start in range(0, len(seqs), chunk):
        tokens, lengths = tokenize(seqs[start : start + chunk])
        ids = kmer_ids(tokens, lengths, k)
        rows, cols = np.nonzero(ids >= 0)
        data = np.ones(len(rows), dtype=np.float32)
        block = sp.csr_matrix((data, (rows, ids[rows, cols])), shape=(len(ids), 4**k))
        block.sum_duplicates()
        blocks.append(block)
    if not blocks:
        return sp.csr_matrix((0, 4**k), dtype=np.float32)
    return sp.vstack(blocks, format="csr")


@dataclass
class KmerFeatures:
    """Sparse k-mer counts (samples x 4**k) with optional labels; classical models read ``x``."""

    x: sp.csr_matrix
    y: np.ndarray | None

    def __len__(self) -> int:
        return self.x.shape[0]


@dataclass
class KmerFeaturizer:
    """Counts overlapping k-mers; nothing is learnt from training data (the vocabulary of
    seen k-mers is kept by the model that uses the counts)."""

    k: int = 6
    input_length: int = 0

    def fit(self, table: pd.DataFrame) -> KmerFeaturizer:
        """Record the number of features (4**k)."""
        self.input_length = 4**self.k
        return self

    def transform(self, table: pd.DataFrame, y: np.ndarray | None) -> KmerFeatures:
        """K-mer counts of the table's sequences."""
        return KmerFeatures(kmer_counts(table["sequence"].tolist(), self.k), y)

    def state(self) -> dict[str, Any]:
        """JSON-able description stored in model.json."""
        return {
            "featurizer": "kmer",
            "input_kind": "kmer",
            "k": self.k,
            "input_length": self.input_length,
            "kmer_id": "A0 C1 G2 T3, base-4 number, first base most significant",
            "N": "k-mers containing N are not counted",
        }


#: byte -> base index A0 C1 G2 T3 (either case); 4 for anything else (N, other symbols)
_BYTE_BASE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate("ACGT"):
    _BYTE_BASE[ord(_b)] = _BYTE_BASE[ord(_b.lower())] = _i


def stranded_kmer_codes(seqs: list[str], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every k-mer of every sequence free of N, in order: ``(forward, reverse, counts)``.

    ``forward`` holds the k-mer ids (same numbering as :func:`kmer_ids`), ``reverse`` the id
    of each k-mer's reverse complement, ``counts`` the number of k-mers per sequence (the
    arrays are the sequences' k-mers one after another). Ids are uint32 for k <= 16, else
    uint64 (k <= 31).
    """
    if not 1 <= k <= 31:
        raise ValueError(f"k must be in 1..31, got {k}")
    dtype = np.uint32 if k <= 16 else np.uint64
    # an N between sequences makes every window that crosses a boundary invalid
    joined = "N".join(seqs).encode("latin-1", errors="replace")
    bases = _BYTE_BASE[np.frombuffer(joined, dtype=np.uint8)]
    n_windows = max(len(bases) - k + 1, 0)
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    is_n = np.concatenate([[0], np.cumsum(bases == 4, dtype=np.int64)])
    valid = np.zeros(len(bases) + 1, dtype=bool)
    valid[:n_windows] = is_n[k : k + n_windows] == is_n[:n_windows]
    counts = np.add.reduceat(valid, starts).astype(np.int64) if len(seqs) else np.zeros(0, int)
    forward = np.zeros(n_windows, dtype=dtype)
    reverse = np.zeros(n_windows, dtype=dtype)
    two, three = dtype(2), dtype(3)
    values = (bases & 3).astype(dtype)
    for j in range(k):  # one vectorised pass per position in the k-mer
        column = values[j : j + n_windows]
        forward <<= two
        forward |= column
        reverse |= (three - column) << dtype(2 * j)
    keep = valid[:n_windows]
    return forward[keep], reverse[keep], counts
