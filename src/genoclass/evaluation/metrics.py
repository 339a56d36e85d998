"""Classification metrics for binary and multi-class tasks, averaged exactly as documented."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    matthews_corrcoef,
    precision_recall_fscore_support,
    roc_auc_score,
)

from genoclass.evaluation.desirability import integrated_f1

AVERAGING_NOTES: dict[str, str] = {
    "accuracy": "Fraction of samples whose arg-max predicted class equals the true class.",
    "precision_macro": (
        "Unweighted mean of per-class precision over the classes that occur in the true or the "
        "predicted labels; a class never predicted counts as precision 0."
    ),
    "recall_macro": (
        "Unweighted mean of per-class recall over the classes that occur in the true or the "
        "predicted labels; a class absent from the true labels counts as recall 0."
    ),
    "f1_macro": (
        "Unweighted mean of per-class F1 over the classes that occur in the true or the "
        "predicted labels (per-class F1 is 0 when precision and recall are both 0)."
    ),
    "precision_weighted": "Mean of per-class precision weighted by each class's true support.",
    "recall_weighted": (
        "Mean of per-class recall weighted by each class's true support (equals accuracy)."
    ),
    "f1_weighted": "Mean of per-class F1 weighted by each class's true support.",
    "mcc": (
        "Matthews correlation coefficient computed from the full confusion matrix "
        "(Gorodkin's multi-class generalisation when there are more than two classes)."
    ),
    "roc_auc": (
        "Binary: ROC AUC of the positive class (the second class name in sorted order). "
        "Multi-class: unweighted mean of one-vs-rest ROC AUCs over the classes that have both "
        "positive and negative true samples; None when no class qualifies."
    ),
    "pr_auc": (
        "Average precision (step-wise area under the precision-recall curve). Binary: of the "
        "positive class. Multi-class: unweighted mean of one-vs-rest average precision over "
        "the classes present in the true labels; None when no class qualifies."
    ),
    "sensitivity": (
        "Binary: recall TP/(TP+FN) of the positive class. Multi-class: equals recall_macro."
    ),
    "specificity": (
        "Binary: TN/(TN+FP) of the positive class. Multi-class: unweighted mean of per-class "
        "one-vs-rest TN/(TN+FP) over the classes that occur in the true or predicted labels."
    ),
    "integrated_f1": (
        "Geometric mean over the classes that occur in the true or predicted labels of the "
        "Harrington desirability exp(-exp(-Y)) of each class's F1, with Y = -2 + 7*F1 "
        "(fixed scale: F1 0 maps to Y = -2, F1 1 to Y = 5)."
    ),
    "per_class": (
        "One-vs-rest precision, recall (= sensitivity), F1, specificity, ROC AUC and average "
        "precision of each class, plus its true support; undefined AUCs are None."
    ),
    "confusion_matrix": "Counts with rows = true class and columns = predicted class.",
}


def classification_metrics(y_true: np.ndarray, proba: np.ndarray, classes: list[str]) -> dict:
    """Compute every metric of metrics.json's test block from true class indices and an (n, C)
    probability matrix (prediction = arg-max); values are plain floats/ints/None so the result
    is JSON-serialisable, and each average is the one stated in ``AVERAGING_NOTES``."""
    y_true, proba = _check_inputs(y_true, proba, classes)
    n_classes = len(classes)
    labels = list(range(n_classes))
    y_pred = proba.argmax(axis=1)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    present = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    specificity = _per_class_specificity(cm)
    roc = [_roc_auc_ovr(y_true, proba, k) for k in labels]
    pr = [_average_precision_ovr(y_true, proba, k) for k in labels]
    weights = support / support.sum()
    if n_classes == 2:
        sensitivity, spec, roc_auc, pr_auc = recall[1], specificity[1], roc[1], pr[1]
    else:
        sensitivity, spec = recall[present].mean(), specificity[present].mean()
        roc_auc, pr_auc = _mean_defined(roc), _mean_defined(pr)
    return {
        "accuracy": float(np.trace(cm) / cm.sum()),
        "precision_macro": float(precision[present].mean()),
        "recall_macro": float(recall[present].mean()),
        "f1_macro": float(f1[present].mean()),
        "precision_weighted": float(weights @ precision),
        "recall_weighted": float(weights @ recall),
        "f1_weighted": float(weights @ f1),
        "mcc": float(matthews_corrcoef(y_true, y_pred)),
        "roc_auc": roc_auc,
        "pr_auc": pr_auc,
        "sensitivity": float(sensitivity),
        "specificity": float(spec),
        "integrated_f1": integrated_f1(f1[present]),
        "per_class": {
            name: {
                "precision": float(precision[k]),
                "recall": float(recall[k]),
                "f1": float(f1[k]),
                "sensitivity": float(recall[k]),
                "specificity": float(specificity[k]),
                "support": int(support[k]),
                "roc_auc": roc[k],
                "pr_auc": pr[k],
            }
            for k, name in enumerate(classes)
        },
        "confusion_matrix": cm.tolist(),
        "n": int(len(y_true)),
    }


def predictions_frame(
    ids: Sequence[str],
    y_true: Sequence[int | None] | np.ndarray | None,
    proba: np.ndarray,
    classes: list[str],
) -> pd.DataFrame:
    """Build the predictions.parquet table: ``id``, ``true_label``, ``predicted_label`` and one
    ``prob_<class>`` column per class; ``y_true`` may be None (no labels) or hold None or a
    negative index for rows whose true label is unknown, which become None."""
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape[1] != len(classes) or proba.shape[0] != len(ids):
        raise ValueError(f"proba has shape {proba.shape}; expected ({len(ids)}, {len(classes)})")
    names = np.asarray(classes, dtype=object)
    if y_true is None:
        true_label = [None] * len(ids)
    else:
        true_label = [None if y is None or y < 0 else str(names[int(y)]) for y in y_true]
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in ids],
            "true_label": pd.Series(true_label, dtype=object),
            "predicted_label": names[proba.argmax(axis=1)],
        }
    )
    for k, name in enumerate(classes):
        frame[f"prob_{name}"] = proba[:, k]
    return frame


def _check_inputs(
    y_true: np.ndarray, proba: np.ndarray, classes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=int)
    proba = np.asarray(proba, dtype=float)
    if len(classes) < 2:
        raise ValueError(f"need at least two classes, got {classes!r}")
    if proba.ndim != 2 or proba.shape != (len(y_true), len(classes)):
        raise ValueError(f"proba has shape {proba.shape}; expected ({len(y_true)}, {len(classes)})")
    if len(y_true) == 0:
        raise ValueError("cannot compute metrics on zero samples")
    if y_true.min() < 0 or y_true.max() >= len(classes):
        raise ValueError(f"y_true holds indices outside 0..{len(classes) - 1}")
    return y_true, proba


def _per_class_specificity(cm: np.ndarray) -> np.ndarray:
    total = cm.sum()
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = total - tp - fp - fn
    denom = tn + fp
    return np.divide(tn, denom, out=np.zeros(len(cm)), where=denom > 0)


def _roc_auc_ovr(y_true: np.ndarray, proba: np.ndarray, k: int) -> float | None:
    positive = y_true == k
    if positive.all() or not positive.any():
        return None
    return float(roc_auc_score(positive, proba[:, k]))


def _average_precision_ovr(y_true: np.ndarray, proba: np.ndarray, k: int) -> float | None:
    positive = y_true == k
    if not positive.any():
        return None
    return float(average_precision_score(positive, proba[:, k]))


def _mean_defined(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None
