"""Biomarkers: which genes drive each class's predictions, how strongly and how reliably.

Neural models are explained by gradient attributions averaged over the correctly
classified samples of each class (explained for their own class); classical models by
a class-conditional permutation importance (over the genes of highest impurity importance
for tree ensembles). Every scorer returns per-sample values (samples, genes) where larger
means more evidence for the sample's class; ``class_means`` turns them into a
(classes, genes) score matrix, so the table, ranking and stability functions (bootstrap
resamples, folds or seeds) apply to any of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from genoclass.expression.scale import log_values
from genoclass.interpret.attributions import BATCH_LINES_S
from genoclass.training.progress import progress

BIOMARKER_COLUMNS = [
    "class",
    "gene",
    "rank",
    "score",
    "direction",
    "log2_fold_change",
    "mean_in_class",
    "mean_in_others",
    "stability",
]


def correct_rows(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean mask of the samples whose most probable class is their true class."""
    return np.asarray(proba).argmax(1) == np.asarray(y)


def class_means(values: np.ndarray, y: np.ndarray, n_classes: int, rows: np.ndarray) -> np.ndarray:
    """(classes, genes) mean of per-sample ``values`` (samples, genes) over the ``rows`` of
    each class; a class without rows gets zeros."""
    out = np.zeros((n_classes, values.shape[1]))
    for c in range(n_classes):
        chosen = rows & (y == c)
        if chosen.any():
            out[c] = values[chosen].mean(0)
    return out


def impurity_importance(model: Any) -> np.ndarray:
    """Mean decrease in impurity of a fitted tree ensemble, one value per gene (class-blind):
    genoclass's ``ForestClassifier.feature_importances`` or scikit-learn's
    ``feature_importances_``."""
    found = getattr(model, "feature_importances", None)
    return np.asarray(model.feature_importances_ if found is None else found, dtype=np.float64)


def permutation_importance(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    genes: Sequence[int],
    *,
    n_repeats: int = 3,
    seed: int = 0,
    max_values: int = 20_000_000,
) -> np.ndarray:
    """Per-sample permutation importance (samples, genes): for each gene in ``genes``, how
    much each sample's predicted probability of its true class drops when that gene's
    values are shuffled across samples, averaged over ``n_repeats`` shuffles (0 for genes
    not in ``genes``); averaging over a class's samples gives the class-conditional
    importance. Permuted copies of ``x`` are scored together, as many per
    ``predict_proba`` call as fit in ``max_values`` numbers."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    samples = np.arange(len(y))
    base = model.predict_proba(x)[samples, y]
    drops = np.zeros(x.shape)
    genes = np.repeat(np.asarray(genes), n_repeats)
    chunk = max(1, max_values // x.size)
    starts = range(0, len(genes), chunk)
    for start in progress(starts, len(starts), "permutation block", every=BATCH_LINES_S):
        block = genes[start : start + chunk]
        copies = np.repeat(x[None], len(block), axis=0)
        for k, g in enumerate(block):
            copies[k, :, g] = x[rng.permutation(len(x)), g]
        proba = model.predict_proba(copies.reshape(-1, x.shape[1])).reshape(len(block), len(x), -1)
        np.add.at(drops.T, block, (base[None, :] - proba[:, samples, y]) / n_repeats)
    return drops


def classical_importance(
    model: Any, x: np.ndarray, y: np.ndarray, *, candidates: int = 200, seed: int = 0
) -> np.ndarray:
    """Per-sample permutation importance (samples, genes) of a classical model: over the
    ``candidates`` genes with the largest impurity importance for a tree ensemble, over
    every gene otherwise."""
    has_impurity = hasattr(model, "feature_importances") or hasattr(model, "feature_importances_")
    genes = (
        np.argsort(-impurity_importance(model))[:candidates]
        if has_impurity
        else np.arange(x.shape[1])
    )
    return permutation_importance(model, x, y, genes, seed=seed)


def top_k_frequency(score_sets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """(classes, genes) fraction of the score matrices (each (classes, genes): folds, seeds
    or resamples) in which each gene is among its class's ``k`` highest scores."""
    hits = np.zeros(np.shape(score_sets[0]))
    for scores in score_sets:
        chosen = np.zeros(hits.shape, dtype=bool)
        np.put_along_axis(chosen, np.argsort(-scores, axis=1)[:, :k], True, axis=1)
        hits += chosen
    return hits / len(score_sets)


def bootstrap_scores(
    per_sample: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray,
    n_classes: int,
    *,
    n_resamples: int = 20,
    seed: int = 0,
) -> list[np.ndarray]:
    """Per-class mean attributions recomputed on ``n_resamples`` bootstrap resamples of the
    samples (for stability when only one trained model is at hand)."""
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(n_resamples):
        pick = rng.integers(0, len(y), size=len(y))
        sets.append(class_means(per_sample[pick], y[pick], n_classes, rows[pick]))
    return sets


def log2_fold_changes(values: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """(classes, genes) log2 fold change of each class against all other samples: of
    ``log2(x + 1)`` means for count data, of plain means for data already on a log scale or
    ratios (``expression.scale.log_values``)."""
    logged = log_values(values)
    everything = np.ones(len(y), dtype=bool)
    inside = class_means(logged, y, n_classes, everything)
    outside = np.stack([logged[y != c].mean(0) for c in range(n_classes)])
    return inside - outside


def biomarker_table(
    scores: np.ndarray,
    values: np.ndarray,
    y: np.ndarray,
    classes: list[str],
    genes: list[str],
    *,
    top: int = 20,
    stability: np.ndarray | None = None,
) -> pd.DataFrame:
    """The ``top`` genes of each class by ``scores`` (classes, genes) with rank, score,
    direction (up or down in the class), log2 fold change and mean expression in the class
    versus the other samples (from ``values``, samples x genes), and stability (fraction of
    folds, seeds or resamples in which the gene is in the class's top ``top``)."""
    y = np.asarray(y)
    change = log2_fold_changes(values, y, len(classes))
    records = []
    for c, name in enumerate(classes):
        for rank, g in enumerate(np.argsort(-scores[c])[:top], start=1):
            records.append(
                {
                    "class": name,
                    "gene": genes[g],
                    "rank": rank,
                    "score": float(scores[c, g]),
                    "direction": "up" if change[c, g] >= 0 else "down",
                    "log2_fold_change": float(change[c, g]),
                    "mean_in_class": float(values[y == c, g].mean()),
                    "mean_in_others": float(values[y != c, g].mean()),
                    "stability": np.nan if stability is None else float(stability[c, g]),
                }
            )
    return pd.DataFrame(records, columns=BIOMARKER_COLUMNS)


def rank_biomarkers(
    per_sample: np.ndarray,
    values: np.ndarray,
    y: np.ndarray,
    correct: np.ndarray,
    classes: list[str],
    genes: list[str],
    *,
    top: int = 20,
) -> pd.DataFrame:
    """The biomarker table of per-sample gene scores ``per_sample`` (samples, genes; larger
    = more evidence for the sample's class): class means over the ``correct`` samples, the
    ``top`` genes per class with their expression facts (``values``, samples x genes) and
    bootstrap stability."""
    n = len(classes)
    scores = class_means(per_sample, y, n, correct)
    stability = top_k_frequency(bootstrap_scores(per_sample, y, correct, n), top)
    return biomarker_table(scores, values, y, classes, genes, top=top, stability=stability)
