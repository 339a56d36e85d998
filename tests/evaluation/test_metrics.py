"""classification_metrics against hand-computed confusion-matrix cases."""

import json
import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from genoclass.evaluation.metrics import (
    AVERAGING_NOTES,
    classification_metrics,
    predictions_frame,
)


def proba_for(predicted: list[int], n_classes: int) -> np.ndarray:
    """Probability rows whose arg-max is the given class."""
    proba = np.full((len(predicted), n_classes), 0.1 / (n_classes - 1))
    proba[np.arange(len(predicted)), predicted] = 0.9
    return proba


@pytest.fixture
def binary():
    y_true = np.array([0, 0, 0, 1, 1])
    p_pos = np.array([0.1, 0.6, 0.2, 0.8, 0.4])  # predicted: 0 1 0 1 0
    return classification_metrics(y_true, np.c_[1 - p_pos, p_pos], ["neg", "pos"])


def test_binary_confusion_and_counts(binary):
    assert binary["confusion_matrix"] == [[2, 1], [1, 1]]
    assert binary["n"] == 5
    assert binary["accuracy"] == pytest.approx(3 / 5)


def test_binary_positive_class_metrics(binary):
    # pos: TP 1, FP 1, FN 1, TN 2
    assert binary["sensitivity"] == pytest.approx(1 / 2)
    assert binary["specificity"] == pytest.approx(2 / 3)
    assert binary["mcc"] == pytest.approx((1 * 2 - 1 * 1) / math.sqrt(2 * 2 * 3 * 3))
    # positives score 0.8 and 0.4 against negatives 0.1, 0.6, 0.2: 5 of 6 pairs ranked right
    assert binary["roc_auc"] == pytest.approx(5 / 6)
    # ranked: 0.8 P, 0.6 N, 0.4 P -> AP = 0.5 * 1 + 0.5 * 2/3
    assert binary["pr_auc"] == pytest.approx(0.5 + 1 / 3)


def test_binary_averages(binary):
    # F1: neg 2/3, pos 1/2; supports 3 and 2
    assert binary["f1_macro"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert binary["f1_weighted"] == pytest.approx((3 * 2 / 3 + 2 * 1 / 2) / 5)
    assert binary["precision_macro"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert binary["recall_weighted"] == pytest.approx(binary["accuracy"])
    d_neg = math.exp(-math.exp(-(-2 + 7 * 2 / 3)))
    d_pos = math.exp(-math.exp(-1.5))
    assert binary["integrated_f1"] == pytest.approx(math.sqrt(d_neg * d_pos))
    assert binary["per_class"]["pos"] == pytest.approx(
        {
            "precision": 0.5,
            "recall": 0.5,
            "f1": 0.5,
            "sensitivity": 0.5,
            "specificity": 2 / 3,
            "support": 2,
            "roc_auc": 5 / 6,
            "pr_auc": 0.5 + 1 / 3,
        }
    )


@pytest.fixture
def three_class():
    # class c is never predicted
    y_true = np.array([0, 0, 0, 1, 1, 2, 2])
    predicted = [0, 0, 1, 1, 1, 0, 1]
    return classification_metrics(y_true, proba_for(predicted, 3), ["a", "b", "c"])


def test_three_class_with_unpredicted_class(three_class):
    m = three_class
    assert m["confusion_matrix"] == [[2, 1, 0], [0, 2, 0], [1, 1, 0]]
    assert m["accuracy"] == pytest.approx(4 / 7)
    # precision a 2/3, b 1/2, c 0; recall a 2/3, b 1, c 0; F1 a 2/3, b 2/3, c 0
    assert m["precision_macro"] == pytest.approx(7 / 18)
    assert m["recall_macro"] == pytest.approx(5 / 9)
    assert m["sensitivity"] == pytest.approx(5 / 9)
    assert m["f1_macro"] == pytest.approx(4 / 9)
    assert m["f1_weighted"] == pytest.approx(10 / 21)
    # specificity a 3/4, b 3/5, c 5/5
    assert m["specificity"] == pytest.approx((3 / 4 + 3 / 5 + 1) / 3)
    # Gorodkin: (c*s - sum t_k p_k) / sqrt((s^2 - sum p^2)(s^2 - sum t^2)), t=(3,2,2), p=(3,4,0)
    assert m["mcc"] == pytest.approx(11 / math.sqrt(24 * 32))
    assert m["per_class"]["c"]["f1"] == 0.0 and m["per_class"]["c"]["precision"] == 0.0


def test_multiclass_auc_is_one_vs_rest_macro():
    rng = np.random.default_rng(1)
    y_true = np.repeat([0, 1, 2], 20)
    proba = rng.dirichlet(np.ones(3), size=60)
    m = classification_metrics(y_true, proba, ["a", "b", "c"])
    expected = roc_auc_score(y_true, proba, multi_class="ovr", average="macro")
    assert m["roc_auc"] == pytest.approx(expected)
    per_class_pr = [m["per_class"][c]["pr_auc"] for c in "abc"]
    assert m["pr_auc"] == pytest.approx(np.mean(per_class_pr))


def test_class_absent_from_truth_is_skipped_in_auc_and_macro():
    y_true = np.array([0, 0, 1, 1])
    m = classification_metrics(y_true, proba_for([0, 0, 1, 1], 3), ["a", "b", "c"])
    assert m["per_class"]["c"]["roc_auc"] is None
    assert m["per_class"]["c"]["pr_auc"] is None
    assert m["roc_auc"] == pytest.approx(1.0)
    # c is neither true nor predicted, so it does not dilute the macro averages
    assert m["f1_macro"] == pytest.approx(1.0)
    assert m["integrated_f1"] == pytest.approx(math.exp(-math.exp(-5)))


def test_auc_undefined_overall_is_none():
    m = classification_metrics(np.array([1, 1, 1]), proba_for([1, 0, 1], 2), ["x", "y"])
    assert m["roc_auc"] is None
    assert m["pr_auc"] == pytest.approx(1.0)  # all positives: precision is 1 at every cut


def test_result_is_json_serialisable(three_class):
    text = json.dumps(three_class, allow_nan=False)
    assert json.loads(text)["per_class"]["a"]["support"] == 3


def test_averaging_notes_cover_every_metric(three_class):
    assert set(three_class) - {"n"} == set(AVERAGING_NOTES)
    assert all(note.endswith(".") for note in AVERAGING_NOTES.values())


def test_bad_shapes_raise():
    with pytest.raises(ValueError):
        classification_metrics(np.array([0, 1]), np.ones((3, 2)) / 2, ["a", "b"])
    with pytest.raises(ValueError):
        classification_metrics(np.array([0, 2]), np.ones((2, 2)) / 2, ["a", "b"])


def test_predictions_frame_columns_and_unknown_labels():
    proba = np.array([[0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    frame = predictions_frame(["s1", "s2", "s3"], [1, None, -1], proba, ["neg", "pos"])
    assert list(frame.columns) == ["id", "true_label", "predicted_label", "prob_neg", "prob_pos"]
    assert frame["true_label"].tolist() == ["pos", None, None]
    assert frame["predicted_label"].tolist() == ["pos", "neg", "pos"]
    np.testing.assert_allclose(frame["prob_pos"], [0.8, 0.3, 0.6])
    unlabelled = predictions_frame(["s1", "s2", "s3"], None, proba, ["neg", "pos"])
    assert unlabelled["true_label"].isna().all()
