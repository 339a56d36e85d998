"""Percentile bootstrap confidence intervals and mean ± sd summaries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from genoclass.evaluation.desirability import integrated_f1

#: resamples of a bootstrap interval unless asked otherwise
N_BOOT = 1000
# Resamples per vectorised block: bounds memory at about 8 * _BLOCK * n bytes; fewer per
# block for large n (so that a block draws at most _BLOCK_DRAWS indices: about 40 MB)
_BLOCK = 100
_BLOCK_DRAWS = 5_000_000


def bootstrap_ci(
    y_true: np.ndarray,
    proba: np.ndarray,
    *,
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = 0.95,
    metrics: Sequence[str] = ("accuracy", "f1_macro", "mcc"),
) -> dict[str, list[float]]:
    """Return a percentile bootstrap interval ``[low, high]`` per requested metric, resampling
    the samples with replacement ``n_boot`` times (seeded); metrics are computed from confusion
    matrices and averaged as in ``classification_metrics``, so any of ``BOOTSTRAP_METRICS``
    may be requested."""
    unknown = sorted(set(metrics) - set(BOOTSTRAP_METRICS))
    if unknown:
        raise ValueError(f"no bootstrap for {unknown}; choose from {sorted(BOOTSTRAP_METRICS)}")
    y_true = np.asarray(y_true, dtype=np.int64)
    proba = np.asarray(proba, dtype=float)
    n, n_classes = proba.shape
    if n == 0 or len(y_true) != n:
        raise ValueError(f"y_true has {len(y_true)} rows and proba {n}; need equal, non-zero")
    cell = y_true * n_classes + proba.argmax(axis=1)
    rng = np.random.default_rng(seed)
    cms = np.concatenate(
        [
            _resampled_confusions(cell, rng.integers(0, n, size=(size, n)), n_classes)
            for size in _block_sizes(n_boot, n)
        ]
    )
    tail = (1.0 - level) / 2.0
    return {
        name: [float(v) for v in np.quantile(BOOTSTRAP_METRICS[name](cms), [tail, 1.0 - tail])]
        for name in metrics
    }


def mean_sd(values: Iterable[float | None]) -> dict[str, float | int | None]:
    """Summarise repeated scores (e.g. one per seed) as ``{"mean", "sd", "n"}`` with the
    sample standard deviation (ddof=1); None and NaN values are dropped first, and mean/sd
    are None when too few values remain (mean needs 1, sd needs 2)."""
    kept = np.array([v for v in values if v is not None], dtype=float)
    kept = kept[~np.isnan(kept)]
    n = int(kept.size)
    return {
        "mean": float(kept.mean()) if n else None,
        "sd": float(kept.std(ddof=1)) if n > 1 else None,
        "n": n,
    }


def _block_sizes(n_boot: int, n: int) -> list[int]:
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    block = max(1, min(_BLOCK, _BLOCK_DRAWS // n))
    full, rest = divmod(n_boot, block)
    return [block] * full + ([rest] if rest else [])


def _resampled_confusions(cell: np.ndarray, idx: np.ndarray, n_classes: int) -> np.ndarray:
    """(B, C, C) confusion matrices, one per row of resampled indices ``idx``."""
    n_cells = n_classes * n_classes
    offsets = np.arange(len(idx))[:, None] * n_cells
    counts = np.bincount((cell[idx] + offsets).ravel(), minlength=len(idx) * n_cells)
    return counts.reshape(len(idx), n_classes, n_classes)


def _per_class(cms: np.ndarray) -> dict[str, np.ndarray]:
    cms = cms.astype(float)
    tp = np.diagonal(cms, axis1=1, axis2=2)
    true_count = cms.sum(axis=2)
    pred_count = cms.sum(axis=1)
    total = cms.sum(axis=(1, 2))[:, None]
    fp, fn = pred_count - tp, true_count - tp
    tn = total - tp - fp - fn
    return {
        "precision": _ratio(tp, pred_count),
        "recall": _ratio(tp, true_count),
        "f1": _ratio(2 * tp, true_count + pred_count),
        "specificity": _ratio(tn, tn + fp),
        "support": true_count,
        "present": (true_count + pred_count) > 0,
    }


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def _macro(name: str) -> Callable[[np.ndarray], np.ndarray]:
    def compute(cms: np.ndarray) -> np.ndarray:
        parts = _per_class(cms)
        present = parts["present"]
        return (parts[name] * present).sum(axis=1) / present.sum(axis=1)

    return compute


def _binary_or_macro(name: str) -> Callable[[np.ndarray], np.ndarray]:
    macro = _macro(name)

    def compute(cms: np.ndarray) -> np.ndarray:
        return _per_class(cms)[name][:, 1] if cms.shape[1] == 2 else macro(cms)

    return compute


def _f1_weighted(cms: np.ndarray) -> np.ndarray:
    parts = _per_class(cms)
    return (parts["f1"] * parts["support"]).sum(axis=1) / parts["support"].sum(axis=1)


def _accuracy(cms: np.ndarray) -> np.ndarray:
    return np.trace(cms, axis1=1, axis2=2) / cms.sum(axis=(1, 2))


def _mcc(cms: np.ndarray) -> np.ndarray:
    cms = cms.astype(float)
    correct = np.trace(cms, axis1=1, axis2=2)
    total = cms.sum(axis=(1, 2))
    t, p = cms.sum(axis=2), cms.sum(axis=1)
    num = correct * total - (t * p).sum(axis=1)
    den = np.sqrt((total**2 - (p**2).sum(axis=1)) * (total**2 - (t**2).sum(axis=1)))
    return _ratio(num, den)


def _integrated_f1(cms: np.ndarray) -> np.ndarray:
    parts = _per_class(cms)
    rows = zip(parts["f1"], parts["present"], strict=True)
    return np.array([integrated_f1(f1[keep]) for f1, keep in rows])


BOOTSTRAP_METRICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "accuracy": _accuracy,
    "precision_macro": _macro("precision"),
    "recall_macro": _macro("recall"),
    "f1_macro": _macro("f1"),
    "f1_weighted": _f1_weighted,
    "mcc": _mcc,
    "sensitivity": _binary_or_macro("recall"),
    "specificity": _binary_or_macro("specificity"),
    "integrated_f1": _integrated_f1,
}
