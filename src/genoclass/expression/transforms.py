"""Train-fitted expression transforms, each a small fit / transform step with JSON state.

Every step maps a (samples x genes) float matrix to a new one. Steps that learn anything
(kept genes, medians, means) learn it in ``fit`` from the training rows only; ``state()``
holds what was learnt as plain lists so a saved model re-applies exactly the same step.
``keep`` (indices of the input genes that survive, None when all do) and ``n_added``
(zero columns appended) let the pipeline track which genes come out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from genoclass.errors import InputError


@dataclass
class Step:
    """Base of every transform: stateless by default, keeps all genes."""

    name: ClassVar[str] = ""
    keep: list[int] | None = None
    n_added: int = 0

    def fit(self, x: np.ndarray, y: np.ndarray | None) -> Step:
        """Learn what the step needs from training rows ``x`` (labels ``y`` if supervised)."""
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Apply the step; selection steps return only the ``keep`` columns."""
        return x if self.keep is None else x[:, self.keep]

    def state(self) -> dict[str, Any]:
        """JSON-able parameters and learnt values (``name`` included)."""
        return {"name": self.name, "keep": self.keep, "n_added": self.n_added}


@dataclass
class ImputeMedian(Step):
    """Replace NaN by the gene's training median (0 for a gene missing in all training rows)."""

    name: ClassVar[str] = "impute_median"
    medians: list[float] = field(default_factory=list)

    def fit(self, x: np.ndarray, y: np.ndarray | None) -> ImputeMedian:
        all_nan = np.isnan(x).all(axis=0)
        medians = np.zeros(x.shape[1])
        if (~all_nan).any():
            medians[~all_nan] = np.nanmedian(x[:, ~all_nan], axis=0)
        self.medians = medians.tolist()
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        medians = np.asarray(self.medians, dtype=x.dtype)
        return np.where(np.isnan(x), medians[None, :], x)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "medians": self.medians}


@dataclass
class Cpm(Step):
    """Counts per million: each sample divided by its total and multiplied by 10^6 (a sample
    whose total is not positive is left unchanged)."""

    name: ClassVar[str] = "cpm"

    def transform(self, x: np.ndarray) -> np.ndarray:
        rows, cols = np.nonzero(x < 0)
        if len(rows):  # a count is never negative: these are log ratios or centred values
            raise InputError(
                f"cpm needs non-negative counts, but {len(rows)} value(s) are negative (first: "
                f"row {rows[0] + 1}, column {cols[0] + 1}: {x[rows[0], cols[0]]:.4g})"
            )
        totals = x.sum(axis=1, keepdims=True, dtype=np.float64)
        scale = np.divide(1e6, totals, out=np.ones_like(totals), where=totals > 0)
        return (x * scale).astype(x.dtype)


@dataclass
class Log2(Step):
    """S4's log2(x); values <= 0 become -inf, which a later ``clip`` sets to 0 (S4's rule)."""

    name: ClassVar[str] = "log2"

    def transform(self, x: np.ndarray) -> np.ndarray:
        out = np.full_like(x, -np.inf)
        np.log2(x, out=out, where=x > 0)
        return out


@dataclass
class Log2p1(Step):
    """log2(x + 1), the default for counts (0 stays 0); x < -1 gives NaN (clip first)."""

    name: ClassVar[str] = "log2p1"

    def transform(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log2(x + 1)


@dataclass
class DropUnexpressed(Step):
    """Keep only genes with a value > 0 in at least one training sample (S4's rule: after
    log2, a gene whose log2 value is <= 0 in every sample is dropped)."""

    name: ClassVar[str] = "drop_unexpressed"

    def fit(self, x: np.ndarray, y: np.ndarray | None) -> DropUnexpressed:
        self.keep = np.flatnonzero((x > 0).any(axis=0)).tolist()
        if not self.keep:
            raise InputError("no gene is expressed (> 0) in any training sample")
        return self


@dataclass
class Clip(Step):
    """Negative values (and -inf) set to 0."""

    name: ClassVar[str] = "clip"

    def transform(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)


@dataclass
class Pad(Step):
    """Append zero-expression genes so the gene count is a multiple of ``multiple`` (S4 pads
    19,265 genes to 19,300 so convolution filters tile the vector)."""

    name: ClassVar[str] = "pad"
    multiple: int = 100

    def fit(self, x: np.ndarray, y: np.ndarray | None) -> Pad:
        if self.multiple < 1:
            raise InputError(f"pad multiple must be >= 1, got {self.multiple}")
        self.n_added = -x.shape[1] % self.multiple
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return np.pad(x, ((0, 0), (0, self.n_added)))

    def state(self) -> dict[str, Any]:
        return {**super().state(), "multiple": self.multiple}


@dataclass
class Standardize(Step):
    """Zero mean, unit variance per gene with the training mean and standard deviation (a
    constant gene is only centred)."""

    name: ClassVar[str] = "standardize"
    mean: list[float] = field(default_factory=list)
    sd: list[float] = field(default_factory=list)

    def fit(self, x: np.ndarray, y: np.ndarray | None) -> Standardize:
        sd = x.std(axis=0, dtype=np.float64)
        self.mean = x.mean(axis=0, dtype=np.float64).tolist()
        self.sd = np.where(sd > 0, sd, 1.0).tolist()
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        mean, sd = np.asarray(self.mean), np.asarray(self.sd)
        return ((x - mean) / sd).astype(x.dtype)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "mean": self.mean, "sd": self.sd}


@dataclass
class _Select(Step):
    """Keep the ``k`` genes with the highest training score (ties: lower index first)."""

    k: int = 1000

    def fit(self, x: np.ndarray, y: np.ndarray | None) -> _Select:
        if self.k >= x.shape[1]:
            self.keep = None
            return self
        scores = np.nan_to_num(self.scores(x, y), nan=-np.inf)
        order = np.argsort(-scores, kind="stable")[: self.k]
        self.keep = np.sort(order).tolist()
        return self

    def scores(self, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        """Higher is better; one score per gene."""
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        return {**super().state(), "k": self.k}


@dataclass
class SelectVariance(_Select):
    """Keep the ``k`` genes of highest training variance."""

    name: ClassVar[str] = "variance"

    def scores(self, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        return x.var(axis=0, dtype=np.float64)


@dataclass
class SelectAnova(_Select):
    """Keep the ``k`` genes of highest ANOVA F statistic between classes (training rows)."""

    name: ClassVar[str] = "anova"

    def scores(self, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        from sklearn.feature_selection import f_classif

        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # constant genes: F is NaN, ranked last
            return f_classif(x, _labels(y, self.name))[0]


@dataclass
class SelectRfe(_Select):
    """Recursive feature elimination with a logistic-regression ranking, dropping 10 % of the
    remaining genes per round until ``k`` are left (S3)."""

    name: ClassVar[str] = "rfe"

    def scores(self, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
        from sklearn.feature_selection import RFE
        from sklearn.linear_model import LogisticRegression

        x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1)
        rfe = RFE(LogisticRegression(max_iter=500), n_features_to_select=self.k, step=0.1)
        rfe.fit(x, _labels(y, self.name))
        return -rfe.ranking_.astype(float)


def _labels(y: np.ndarray | None, step: str) -> np.ndarray:
    if y is None:
        raise InputError(f"feature selection step {step!r} needs training labels")
    return y


#: step name -> class; ``pad`` takes an optional multiple, the selectors a gene count
STEPS: dict[str, type[Step]] = {
    cls.name: cls
    for cls in (
        ImputeMedian,
        Cpm,
        Log2,
        Log2p1,
        DropUnexpressed,
        Clip,
        Pad,
        Standardize,
        SelectVariance,
        SelectAnova,
        SelectRfe,
    )
}
