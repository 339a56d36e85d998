"""Report figures render to non-empty PNG data URIs."""

import base64

import numpy as np
import pandas as pd
import pytest

from genoclass.reporting.plots import (
    figure_to_data_uri,
    plot_bars_with_error,
    plot_confusion,
    plot_history,
    plot_pr,
    plot_roc,
)

PREFIX = "data:image/png;base64,"


def png_bytes(uri: str) -> bytes:
    assert uri.startswith(PREFIX)
    data = base64.b64decode(uri[len(PREFIX) :])
    assert data.startswith(b"\x89PNG") and len(data) > 1000
    return data


@pytest.fixture
def three_class():
    rng = np.random.default_rng(0)
    y_true = np.array([0] * 10 + [1] * 10)  # class "c" absent from the truth
    return y_true, rng.dirichlet(np.ones(3), size=20), ["a", "b", "c"]


def test_history_with_and_without_validation_metrics():
    history = pd.DataFrame(
        {
            "epoch": [1, 2, 3],
            "train_loss": [0.9, 0.6, 0.4],
            "val_loss": [1.0, 0.7, 0.6],
            "val_accuracy": [0.5, 0.7, 0.8],
            "val_f1_macro": [0.4, 0.6, 0.75],
            "val_mcc": [0.1, 0.4, 0.6],
            "lr": [1e-3] * 3,
        }
    )
    full = plot_history(history)
    assert len(full.axes) == 2
    legend = [t.get_text() for t in full.axes[1].get_legend().get_texts()]
    assert legend[:3] == ["accuracy", "f1_macro", "mcc"]
    png_bytes(figure_to_data_uri(full))
    loss_only = plot_history(history[["epoch", "train_loss"]])
    assert len(loss_only.axes) == 1
    png_bytes(figure_to_data_uri(loss_only))


def test_roc_and_pr_binary_draw_one_curve():
    y_true = np.array([0, 0, 1, 1, 0, 1])
    p = np.array([0.2, 0.4, 0.7, 0.9, 0.6, 0.3])
    proba = np.c_[1 - p, p]
    roc = plot_roc(y_true, proba, ["neg", "pos"])
    assert [t.get_text() for t in roc.axes[0].get_legend().get_texts()] == ["pos (AUC 0.778)"]
    png_bytes(figure_to_data_uri(roc))
    pr = plot_pr(y_true, proba, ["neg", "pos"])
    assert len(pr.axes[0].get_legend().get_texts()) == 1
    png_bytes(figure_to_data_uri(pr))


def test_roc_and_pr_multiclass_skip_absent_class(three_class):
    roc = plot_roc(*three_class)
    assert len(roc.axes[0].get_legend().get_texts()) == 2
    png_bytes(figure_to_data_uri(roc))
    png_bytes(figure_to_data_uri(plot_pr(*three_class)))


def test_roc_with_single_true_class_still_renders():
    fig = plot_roc(np.array([1, 1]), np.array([[0.3, 0.7], [0.6, 0.4]]), ["x", "y"])
    assert fig.axes[0].get_legend() is None
    png_bytes(figure_to_data_uri(fig))


def test_confusion_shows_counts():
    fig = plot_confusion([[5, 1], [0, 0]], ["neg", "pos"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["5", "1", "0", "0"]
    png_bytes(figure_to_data_uri(fig))


def test_bars_from_runs_and_from_summary():
    runs = pd.DataFrame(
        {"model": ["cnn"] * 3 + ["rf"] * 3, "accuracy": [0.8, 0.85, 0.9, 0.7, 0.72, 0.71]}
    )
    png_bytes(figure_to_data_uri(plot_bars_with_error(runs, "accuracy")))
    summary = pd.DataFrame(
        {"model": ["cnn", "rf"], "accuracy_mean": [0.85, 0.71], "accuracy_sd": [0.05, None]}
    )
    png_bytes(figure_to_data_uri(plot_bars_with_error(summary, "accuracy", title="t")))
