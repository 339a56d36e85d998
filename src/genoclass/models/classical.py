"""Classical expression classifiers (S3, S4 baselines): random forest, logistic regression and
a linear SVM, fitted with scikit-learn and saved as plain arrays + JSON (never pickle).

After fitting, every model keeps only the numbers it needs to predict and predicts with its
own vectorised NumPy code, so a loaded model is the same arrays whatever the scikit-learn
version. Classes absent from the training rows get probability 0.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from genoclass.models.registry import register


def _full_columns(proba: np.ndarray, present: np.ndarray, n_classes: int) -> np.ndarray:
    """Widen (n, len(present)) probabilities to (n, n_classes), zeros for absent classes."""
    out = np.zeros((len(proba), n_classes))
    out[:, present] = proba
    return out


class LinearClassifier:
    """Logistic regression (multinomial, L2) or a linear SVM (one-vs-rest, squared hinge).

    Probabilities are softmax (sigmoid for two classes) of the linear scores: calibrated for
    logistic regression, monotone scores only for the SVM.
    """

    def __init__(
        self, n_classes: int, *, kind: str, C: float = 1.0, max_iter: int = 2000, seed: int = 42
    ) -> None:
        self.n_classes = n_classes
        self.kind = kind
        self.params = {"C": float(C), "max_iter": int(max_iter), "seed": int(seed)}
        self.coef = np.zeros((0, 0))
        self.intercept = np.zeros(0)
        self.present = np.arange(n_classes)

    def fit(
        self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> LinearClassifier:
        """Fit on (samples x features) ``x`` and class indices ``y``."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        p = self.params
        if self.kind == "logistic_regression":
            est = LogisticRegression(C=p["C"], max_iter=p["max_iter"], random_state=p["seed"])
        else:
            est = LinearSVC(C=p["C"], max_iter=p["max_iter"], random_state=p["seed"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(x, y, sample_weight=sample_weight)
        self.coef, self.intercept = est.coef_.astype(np.float64), est.intercept_.astype(np.float64)
        self.present = est.classes_.astype(np.int64)
        return self

    def decision(self, x: np.ndarray) -> np.ndarray:
        """Linear scores (n, rows of coef)."""
        return np.asarray(x, dtype=np.float64) @ self.coef.T + self.intercept

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(n, n_classes) probabilities."""
        scores = self.decision(x)
        if scores.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            proba = np.column_stack([1 - p, p])
        else:
            scores = scores - scores.max(axis=1, keepdims=True)
            proba = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        return _full_columns(proba, self.present, self.n_classes)

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Arrays (coefficients, intercepts, classes seen) and JSON (kind, parameters)."""
        arrays = {"coef": self.coef, "intercept": self.intercept, "present": self.present}
        return arrays, {"kind": self.kind, **self.params}

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore what ``get_state`` returned."""
        self.coef, self.intercept = arrays["coef"], arrays["intercept"]
        self.present = arrays["present"].astype(np.int64)


class ForestClassifier:
    """A scikit-learn random forest stored as the node arrays of all its trees; prediction
    walks every tree for every sample at once (one vectorised step per tree level)."""

    def __init__(
        self,
        n_classes: int,
        *,
        n_estimators: int = 500,
        max_features: str | float = "sqrt",
        max_depth: int | None = None,
        min_samples_leaf: int = 1,
        seed: int = 42,
    ) -> None:
        self.n_classes = n_classes
        self.params = {
            "n_estimators": int(n_estimators),
            "max_features": max_features,
            "max_depth": max_depth,
            "min_samples_leaf": int(min_samples_leaf),
            "seed": int(seed),
        }
        self.arrays: dict[str, np.ndarray] = {}

    def fit(
        self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> ForestClassifier:
        """Grow the forest with scikit-learn and keep its trees' node arrays."""
        from sklearn.ensemble import RandomForestClassifier

        p = self.params
        forest = RandomForestClassifier(
            n_estimators=p["n_estimators"],
            max_features=p["max_features"],
            max_depth=p["max_depth"],
            min_samples_leaf=p["min_samples_leaf"],
            random_state=p["seed"],
        ).fit(x, y, sample_weight=sample_weight)
        trees = [est.tree_ for est in forest.estimators_]
        sizes = np.array([t.node_count for t in trees])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        shift = np.repeat(offsets, sizes)
        left = np.concatenate([t.children_left for t in trees])
        right = np.concatenate([t.children_right for t in trees])
        value = np.concatenate([t.value[:, 0, :] for t in trees]).astype(np.float64)
        value /= value.sum(axis=1, keepdims=True)
        self.arrays = {
            "roots": offsets.astype(np.int64),
            "left": np.where(left >= 0, left + shift, -1).astype(np.int64),
            "right": np.where(right >= 0, right + shift, -1).astype(np.int64),
            "feature": np.concatenate([t.feature for t in trees]).astype(np.int64),
            "threshold": np.concatenate([t.threshold for t in trees]).astype(np.float64),
            "value": _full_columns(value, forest.classes_.astype(np.int64), self.n_classes),
            "importances": forest.feature_importances_.astype(np.float64),
        }
        return self

    @property
    def feature_importances(self) -> np.ndarray:
        """Mean decrease in impurity per input feature (scikit-learn's definition)."""
        return self.arrays["importances"]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(n, n_classes) mean of the trees' leaf class frequencies."""
        a = self.arrays
        # scikit-learn compares float32 features with float64 thresholds
        x = np.asarray(x, dtype=np.float32).astype(np.float64)
        rows = np.arange(len(x))[:, None]
        node = np.broadcast_to(a["roots"], (len(x), len(a["roots"]))).copy()
        while True:
            inner = a["left"][node] >= 0
            if not inner.any():
                break
            go_left = x[rows, a["feature"][node]] <= a["threshold"][node]
            step = np.where(go_left, a["left"][node], a["right"][node])
            node = np.where(inner, step, node)
        return a["value"][node].mean(axis=1)

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The concatenated node arrays and JSON parameters."""
        return dict(self.arrays), dict(self.params)

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore what ``get_state`` returned."""
        self.arrays = dict(arrays)


@register(
    "random_forest",
    "Random forest (500 trees, sqrt features) on preprocessed expression (S3, S4 baseline)",
    family="classical",
    input_kind="expression",
    defaults={
        "n_estimators": 500,
        "max_features": "sqrt",
        "max_depth": None,
        "min_samples_leaf": 1,
        "seed": 42,
    },
)
def build_random_forest(n_classes: int, **hp: Any) -> ForestClassifier:
    """Build the random-forest classifier."""
    return ForestClassifier(n_classes, **hp)


@register(
    "logistic_regression",
    "Multinomial logistic regression (L2, C=1, lbfgs) on preprocessed expression",
    family="classical",
    input_kind="expression",
    defaults={"C": 1.0, "max_iter": 2000, "seed": 42},
)
def build_logistic_regression(n_classes: int, **hp: Any) -> LinearClassifier:
    """Build the logistic-regression classifier."""
    return LinearClassifier(n_classes, kind="logistic_regression", **hp)


@register(
    "svm",
    "Linear SVM (one-vs-rest, squared hinge, C=1) on preprocessed expression",
    family="classical",
    input_kind="expression",
    defaults={"C": 1.0, "max_iter": 5000, "seed": 42},
)
def build_svm(n_classes: int, **hp: Any) -> LinearClassifier:
    """Build the linear-SVM classifier."""
    return LinearClassifier(n_classes, kind="svm", **hp)
