"""Bootstrap confidence intervals and mean ± sd."""

import numpy as np
import pytest

from genoclass.evaluation.bootstrap import BOOTSTRAP_METRICS, bootstrap_ci, mean_sd
from genoclass.evaluation.metrics import classification_metrics


def noisy_predictions(n: int, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities that are right about 70 % of the time."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, size=n)
    logits = rng.normal(size=(n, n_classes))
    logits[np.arange(n), y_true] += 1.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y_true, proba


@pytest.mark.parametrize("n_classes", [2, 4])
def test_confusion_metrics_match_classification_metrics(n_classes):
    y_true, proba = noisy_predictions(300, n_classes, seed=3)
    y_true[y_true == n_classes - 1] = 0  # the last class is never true
    proba[:5, n_classes - 1] = 5.0  # ... but is predicted for five rows
    expected = classification_metrics(y_true, proba, [str(k) for k in range(n_classes)])
    cm = np.array(expected["confusion_matrix"])[None]
    for name, compute in BOOTSTRAP_METRICS.items():
        assert compute(cm)[0] == pytest.approx(expected[name]), name


def test_interval_contains_point_estimate_and_is_reproducible():
    y_true, proba = noisy_predictions(500, 3, seed=0)
    point = classification_metrics(y_true, proba, ["a", "b", "c"])
    ci = bootstrap_ci(y_true, proba, n_boot=300, seed=7)
    assert set(ci) == {"accuracy", "f1_macro", "mcc"}
    for name, (low, high) in ci.items():
        assert low < point[name] < high, name
    assert bootstrap_ci(y_true, proba, n_boot=300, seed=7) == ci


def test_interval_narrows_with_more_samples():
    widths = []
    for n in (200, 5000):
        y_true, proba = noisy_predictions(n, 2, seed=1)
        low, high = bootstrap_ci(y_true, proba, n_boot=200, metrics=("accuracy",))["accuracy"]
        widths.append(high - low)
    assert widths[1] < widths[0] / 2


def test_unknown_metric_raises():
    y_true, proba = noisy_predictions(20, 2, seed=0)
    with pytest.raises(ValueError, match="roc_auc"):
        bootstrap_ci(y_true, proba, metrics=("roc_auc",))


def test_mean_sd_uses_sample_sd_and_drops_missing():
    assert mean_sd([1.0, 2.0, 3.0, None, float("nan")]) == {"mean": 2.0, "sd": 1.0, "n": 3}
    assert mean_sd([0.5]) == {"mean": 0.5, "sd": None, "n": 1}
    assert mean_sd([]) == {"mean": None, "sd": None, "n": 0}
