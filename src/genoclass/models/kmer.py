"""Classical k-mer baselines: multinomial naive Bayes and logistic regression on k-mer counts.

Both read the sparse count matrix of ``sequence.kmers.KmerFeaturizer`` and keep their
parameters as plain arrays (saved as safetensors + JSON, never pickle).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.linear_model import LogisticRegression

from genoclass.config import Bounds
from genoclass.models.classical import REGULARISATION, require
from genoclass.models.registry import Param, register


def _class_indicator(y: np.ndarray, n_classes: int, weight: np.ndarray | None) -> sp.csr_matrix:
    """Sparse (n, C) one-hot of ``y`` scaled by the sample weights."""
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=np.float64)
    return sp.csr_matrix((w, (np.arange(len(y)), y)), shape=(len(y), n_classes))


class KmerNaiveBayes:
    """Multinomial naive Bayes over the k-mers seen in training, Lidstone smoothing ``alpha``.

    The vocabulary is the set of k-mers counted at least once in the training rows, as in a
    CountVectorizer fitted on training text; k-mers outside it are ignored at prediction.
    """

    STATE_ARRAYS = ("vocabulary", "feature_log_prob", "class_log_prior")

    def __init__(self, n_classes: int, k: int = 9, alpha: float = 0.1) -> None:
        self.n_classes, self.k, self.alpha = n_classes, k, alpha
        self.vocabulary = np.zeros(0, dtype=np.int64)
        self.feature_log_prob = np.zeros((n_classes, 0))
        self.class_log_prior = np.zeros(n_classes)

    def fit(
        self, x: sp.csr_matrix, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> KmerNaiveBayes:
        """Estimate per-class k-mer frequencies and class priors from training counts."""
        x = sp.csr_matrix(x)
        self.vocabulary = np.flatnonzero(np.asarray(x.sum(axis=0)).ravel() > 0)
        onehot = _class_indicator(y, self.n_classes, sample_weight)
        counts = np.asarray((onehot.T @ x[:, self.vocabulary]).todense(), dtype=np.float64)
        smoothed = counts + self.alpha
        self.feature_log_prob = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
        class_weight = np.asarray(onehot.sum(axis=0)).ravel()
        with np.errstate(divide="ignore"):  # a class absent from training gets prior 0
            self.class_log_prior = np.log(class_weight / class_weight.sum())
        return self

    def predict_proba(self, x: sp.csr_matrix) -> np.ndarray:
        """(n, C) posterior class probabilities."""
        joint = sp.csr_matrix(x)[:, self.vocabulary] @ self.feature_log_prob.T
        return softmax(np.asarray(joint) + self.class_log_prior, axis=1)

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays and JSON metadata that fully describe the fitted model."""
        arrays = {
            "vocabulary": self.vocabulary,
            "feature_log_prob": self.feature_log_prob,
            "class_log_prior": self.class_log_prior,
        }
        return arrays, {"alpha": self.alpha, "k": self.k}

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore the model from ``get_state``'s output (ValueError when it disagrees)."""
        vocabulary = arrays["vocabulary"]
        require(vocabulary.ndim == 1 and vocabulary.dtype.kind == "i", "vocabulary: integers")
        require(bool(np.all((vocabulary >= 0) & (vocabulary < 4**self.k))), "k-mer id range")
        shape = (self.n_classes, len(vocabulary))
        require(arrays["feature_log_prob"].shape == shape, f"feature_log_prob must be {shape}")
        require(arrays["class_log_prior"].shape == (self.n_classes,), "one prior per class")
        self.vocabulary = arrays["vocabulary"]
        self.feature_log_prob = arrays["feature_log_prob"]
        self.class_log_prior = arrays["class_log_prior"]


#: what KmerLogistic fits on: raw k-mer counts, or frequencies (counts / total) scaled to
#: unit variance (the scaling of genoclass before 0.9; model files without the setting)
SCALINGS = ("counts", "standardized")


class KmerLogistic:
    """L2 logistic regression on k-mer counts (``scaling="counts"``) or on k-mer
    frequencies scaled to unit variance (``"standardized"``)."""

    STATE_ARRAYS = ("scale", "coef", "intercept")

    def __init__(
        self,
        n_classes: int,
        k: int = 6,
        C: float = 0.01,  # noqa: N803 - scikit-learn's name
        max_iter: int = 1000,
        scaling: str = "counts",
    ) -> None:
        self.n_classes, self.k, self.C, self.max_iter = n_classes, k, C, max_iter
        self.scaling = scaling
        self.scale = np.ones(4**k)
        self.coef = np.zeros((n_classes, 4**k))
        self.intercept = np.zeros(n_classes)

    def _features(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """The counts, or row-normalised counts divided by the training scale (sparse, no
        centring)."""
        x = sp.csr_matrix(x, dtype=np.float64)
        if self.scaling == "counts":
            return x
        totals = np.maximum(np.asarray(x.sum(axis=1)).ravel(), 1.0)
        return sp.diags(1.0 / totals) @ x @ sp.diags(1.0 / self.scale)

    def fit(
        self, x: sp.csr_matrix, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> KmerLogistic:
        """Fit the scale on training frequencies (standardized), then the regression."""
        self.scale = np.ones(x.shape[1])
        if self.scaling == "standardized":
            freq = self._features(x)
            mean = np.asarray(freq.mean(axis=0)).ravel()
            var = np.asarray(freq.multiply(freq).mean(axis=0)).ravel() - mean**2
            sd = np.sqrt(np.maximum(var, 0.0))
            self.scale = np.where(sd > 0, sd, 1.0)
        lr = LogisticRegression(C=self.C, max_iter=self.max_iter)
        lr.fit(self._features(x), y, sample_weight=sample_weight)
        if self.n_classes == 2:
            self.coef, self.intercept = lr.coef_, lr.intercept_
        else:  # classes missing from training keep a -inf-like intercept
            self.coef = np.zeros((self.n_classes, x.shape[1]))
            self.intercept = np.full(self.n_classes, -1e9)
            self.coef[lr.classes_], self.intercept[lr.classes_] = lr.coef_, lr.intercept_
        return self

    def predict_proba(self, x: sp.csr_matrix) -> np.ndarray:
        """(n, C) class probabilities."""
        logits = np.asarray(self._features(x) @ self.coef.T) + self.intercept
        if self.n_classes == 2:
            p = expit(logits[:, 0])
            return np.column_stack([1 - p, p])
        return softmax(logits, axis=1)

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays and JSON metadata that fully describe the fitted model."""
        arrays = {"scale": self.scale, "coef": self.coef, "intercept": self.intercept}
        return arrays, {"C": self.C, "k": self.k, "scaling": self.scaling}

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore the model from ``get_state``'s output (ValueError when it disagrees)."""
        rows = 1 if self.n_classes == 2 else self.n_classes
        require(arrays["scale"].shape == (4**self.k,), f"scale must have 4**{self.k} values")
        require(arrays["coef"].shape == (rows, 4**self.k), f"coef must be ({rows}, 4**{self.k})")
        require(arrays["intercept"].shape == (rows,), f"intercept must have {rows} value(s)")
        scaling = meta.get("scaling", "standardized")  # files from before the setting
        require(scaling in SCALINGS, f"scaling must be one of {SCALINGS}")
        self.scaling = scaling
        self.scale, self.coef, self.intercept = arrays["scale"], arrays["coef"], arrays["intercept"]


@register(
    "kmer_nb",
    "Multinomial naive Bayes, alpha 0.1, on 4-word n-grams of overlapping 6-mer words (= 9-mers)",
    family="classical",
    input_kind="kmer",
    params=[
        Param("k", 9, Bounds("int", 1, 12), "k-mer length counted (9 = four overlapping 6-mers)"),
        Param("alpha", 0.1, Bounds("float", 1e-9, 1e6), "Lidstone smoothing added to each count"),
    ],
)
def build_kmer_nb(n_classes: int, **hp: Any) -> KmerNaiveBayes:
    """Build the k-mer naive Bayes baseline."""
    return KmerNaiveBayes(n_classes, **hp)


@register(
    "kmer_lr",
    "Logistic regression (L2, C=0.01) on overlapping 6-mer counts",
    family="classical",
    input_kind="kmer",
    params=[
        Param("k", 6, Bounds("int", 1, 10), "k-mer length whose counts are features"),
        replace(REGULARISATION, default=0.01),
        Param(
            "scaling",
            "counts",
            Bounds("str", choices=SCALINGS),
            "counts: raw k-mer counts; standardized: frequencies scaled to unit variance",
        ),
        Param("max_iter", 1000, Bounds("int", 1, 10**7), "solver iteration limit"),
    ],
)
def build_kmer_lr(n_classes: int, **hp: Any) -> KmerLogistic:
    """Build the k-mer logistic-regression baseline."""
    return KmerLogistic(n_classes, **hp)
