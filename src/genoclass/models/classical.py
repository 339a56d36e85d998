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

from genoclass.config import Bounds
from genoclass.models.registry import SEED, Param, register


def require(condition: bool, problem: str) -> None:
    """Raise ValueError(``problem``) unless ``condition``: a saved model's arrays disagree."""
    if not condition:
        raise ValueError(problem)


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

    STATE_ARRAYS = ("coef", "intercept", "present")

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
        """Restore what ``get_state`` returned (ValueError when the arrays disagree)."""
        coef, intercept, present = arrays["coef"], arrays["intercept"], arrays["present"]
        require(present.ndim == 1 and 2 <= len(present) <= self.n_classes, "present classes")
        require(np.isin(present, np.arange(self.n_classes)).all(), "present classes")
        rows = 1 if len(present) == 2 else len(present)
        require(coef.ndim == 2 and coef.shape[0] == rows, f"coef must have {rows} row(s)")
        require(intercept.shape == (rows,), f"intercept must have {rows} value(s)")
        self.coef, self.intercept = coef, intercept
        self.present = present.astype(np.int64)


class ForestClassifier:
    """A scikit-learn random forest stored as the node arrays of all its trees; prediction
    walks every tree for every sample at once (one vectorised step per tree level, as many
    steps as the deepest tree has levels)."""

    STATE_ARRAYS = ("roots", "left", "right", "feature", "threshold", "value", "importances")

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
        self.depth = 0

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
        self.depth = forest_depth(self.arrays)
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
        for _ in range(self.depth):
            inner = a["left"][node] >= 0
            go_left = x[rows, a["feature"][node]] <= a["threshold"][node]
            step = np.where(go_left, a["left"][node], a["right"][node])
            node = np.where(inner, step, node)
        return a["value"][node].mean(axis=1)

    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The concatenated node arrays and JSON parameters (with the deepest tree's depth)."""
        return dict(self.arrays), {**self.params, "depth": self.depth}

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Restore what ``get_state`` returned, after checking that the node arrays form
        trees (ValueError otherwise), so that prediction always ends."""
        check_forest(arrays, self.n_classes)
        depth = forest_depth(arrays)
        require(meta.get("depth", depth) == depth, f"stored depth is not the trees' {depth}")
        self.arrays, self.depth = dict(arrays), depth


def check_forest(a: dict[str, np.ndarray], n_classes: int) -> None:
    """ValueError unless the node arrays describe trees: every array the same length, roots
    starting each tree, each inner node with two children that come after it in its own tree
    (scikit-learn numbers nodes depth first, so a cycle is impossible), every non-root node
    the child of exactly one node, split features that exist and class frequencies."""
    n = len(a["left"])
    for key in ("roots", "left", "right", "feature"):
        require(a[key].ndim == 1 and a[key].dtype.kind == "i", f"{key} must be integers")
    for key in ("right", "feature", "threshold"):
        require(a[key].shape == (n,), f"{key} must have one entry per node ({n})")
    require(a["value"].shape == (n, n_classes), f"value must be (nodes, {n_classes} classes)")
    roots = a["roots"]
    require(len(roots) > 0 and roots[0] == 0, "the first tree must start at node 0")
    require(bool(np.all(np.diff(roots) > 0)) and roots[-1] < n, "tree starts out of order")
    node = np.arange(n)
    end = np.append(roots[1:], n)[np.searchsorted(roots, node, side="right") - 1]
    inner = a["left"] >= 0
    require(bool(np.all(inner == (a["right"] >= 0))), "a node has only one child")
    for child in (a["left"], a["right"]):
        bad = np.flatnonzero(inner & ((child <= node) | (child >= end)))
        if bad.size:
            raise ValueError(
                f"node {bad[0]} points to node {child[bad[0]]}: children must come after their "
                "parent in the same tree (a cycle or a jump)"
            )
    parents = np.bincount(np.concatenate([a["left"][inner], a["right"][inner]]), minlength=n)
    is_root = np.isin(node, roots)
    require(bool(np.all(parents == np.where(is_root, 0, 1))), "a node has two parents")
    n_features = len(a["importances"])
    feature = a["feature"][inner]
    require(bool(np.all((feature >= 0) & (feature < n_features))), "split feature out of range")
    value = a["value"]
    require(bool(np.all(np.isfinite(value) & (value >= 0))), "class frequencies must be >= 0")


def forest_depth(a: dict[str, np.ndarray]) -> int:
    """Levels below the roots of the deepest tree (checked trees: each node visited once)."""
    depth, frontier = 0, a["roots"]
    while True:
        frontier = frontier[a["left"][frontier] >= 0]
        if frontier.size == 0:
            return depth
        frontier = np.concatenate([a["left"][frontier], a["right"][frontier]])
        depth += 1


@register(
    "random_forest",
    "Random forest (500 trees, sqrt features) on preprocessed expression (the expression "
    "studies' classical baseline)",
    family="classical",
    input_kind="expression",
    params=[
        Param("n_estimators", 500, Bounds("int", 1, 100_000), "number of trees"),
        Param(
            "max_features",
            "sqrt",
            Bounds("float", 1e-6, 1, choices=("sqrt", "log2")),
            "features tried at each split: sqrt, log2 or a share of all features",
        ),
        Param(
            "max_depth",
            None,
            Bounds("int", 1, 10_000, optional=True),
            "deepest level a tree may grow (none: until its leaves are pure)",
        ),
        Param("min_samples_leaf", 1, Bounds("int", 1, 10**6), "fewest training samples in a leaf"),
        Param("seed", 42, SEED, "random seed of the bootstrap samples and feature draws"),
    ],
)
def build_random_forest(n_classes: int, **hp: Any) -> ForestClassifier:
    """Build the random-forest classifier."""
    return ForestClassifier(n_classes, **hp)


REGULARISATION = Param(
    "C", 1.0, Bounds("float", 1e-9, 1e9), "inverse regularisation strength (smaller: stronger L2)"
)


def linear_params(max_iter: int) -> list[Param]:
    """Hyperparameters of the linear expression models (solver limit ``max_iter``)."""
    return [
        REGULARISATION,
        Param("max_iter", max_iter, Bounds("int", 1, 10**7), "solver iteration limit"),
        Param("seed", 42, SEED, "random seed of the solver"),
    ]


@register(
    "logistic_regression",
    "Multinomial logistic regression (L2, C=1, lbfgs) on preprocessed expression",
    family="classical",
    input_kind="expression",
    params=linear_params(2000),
)
def build_logistic_regression(n_classes: int, **hp: Any) -> LinearClassifier:
    """Build the logistic-regression classifier."""
    return LinearClassifier(n_classes, kind="logistic_regression", **hp)


@register(
    "svm",
    "Linear SVM (one-vs-rest, squared hinge, C=1) on preprocessed expression",
    family="classical",
    input_kind="expression",
    params=linear_params(5000),
)
def build_svm(n_classes: int, **hp: Any) -> LinearClassifier:
    """Build the linear-SVM classifier."""
    return LinearClassifier(n_classes, kind="svm", **hp)
