"""Synthetic gene-expression counts with planted marker genes, for tests and interpretation.

Every gene has a log-normal baseline level shared by all samples; each class raises its own
marker genes ``fold_change`` times above that baseline. Values are count-like (non-negative,
rounded to integers), so the count pipelines (CPM, log2) apply as on real RNA-seq data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def planted_marker_expression(
    n_per_class: int,
    n_genes: int,
    n_markers: int,
    classes: list[str] | tuple[str, ...] = ("A", "B", "C"),
    seed: int = 0,
    *,
    fold_change: float = 8.0,
    noise: float = 0.3,
) -> tuple[pd.DataFrame, pd.Series, dict[str, list[str]]]:
    """A labelled samples x genes count matrix in which each class over-expresses its own
    ``n_markers`` genes by ``fold_change``; returns ``(matrix, labels, markers)`` where
    ``matrix`` is indexed by sample id (``s0001`` ...) with gene columns ``g00000`` ...,
    ``labels`` is a Series of class names on the same index, and ``markers`` maps each class
    to its planted genes (disjoint sets, chosen at random with ``seed``)."""
    classes = list(classes)
    if n_markers * len(classes) > n_genes:
        raise ValueError(f"{len(classes)} classes x {n_markers} markers exceed {n_genes} genes")
    rng = np.random.default_rng(seed)
    genes = [f"g{i:05d}" for i in range(n_genes)]
    chosen = rng.permutation(n_genes)[: n_markers * len(classes)].reshape(len(classes), n_markers)
    markers = {c: [genes[g] for g in sorted(chosen[k])] for k, c in enumerate(classes)}
    n = n_per_class * len(classes)
    y = np.repeat(np.arange(len(classes)), n_per_class)
    log_level = rng.normal(3.0, 1.5, size=n_genes)
    log_values = log_level[None, :] + rng.normal(0.0, noise, size=(n, n_genes))
    for k in range(len(classes)):
        rows = np.flatnonzero(y == k)
        log_values[np.ix_(rows, chosen[k])] += np.log(fold_change)
    counts = np.round(np.exp(log_values))
    ids = [f"s{i:04d}" for i in range(1, n + 1)]
    order = rng.permutation(n)
    matrix = pd.DataFrame(counts[order], index=pd.Index(np.array(ids), name="sample_id"))
    matrix.columns = genes
    labels = pd.Series(np.array(classes)[y[order]], index=matrix.index, name="label")
    return matrix, labels, markers
