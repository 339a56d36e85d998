"""Report figures (training curves, ROC, PR, confusion matrix, comparison bars) as matplotlib
Figures; they are built without pyplot, so they render with Agg and never need a display."""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from genoclass.evaluation.stats import summarize_runs


def plot_history(history: pd.DataFrame, best_epoch: int | None = None) -> Figure:
    """Plot per-epoch training and validation loss, and next to it the validation accuracy,
    macro F1 and MCC when history.csv has them (columns that are absent or all-NaN are skipped);
    ``best_epoch`` (the epoch whose weights were kept) is marked by a dashed line."""
    metric_cols = [
        c for c in ("val_accuracy", "val_f1_macro", "val_mcc") if _has_values(history, c)
    ]
    fig = Figure(figsize=(10 if metric_cols else 5.5, 3.6), layout="constrained")
    axes = fig.subplots(1, 2 if metric_cols else 1, squeeze=False)[0]
    for col, label in (("train_loss", "train"), ("val_loss", "validation")):
        if _has_values(history, col):
            axes[0].plot(history["epoch"], history[col], marker="o", ms=3, label=label)
    axes[0].set(xlabel="epoch", ylabel="loss", title="Loss")
    for col in metric_cols:
        axes[1].plot(history["epoch"], history[col], marker="o", ms=3, label=col[4:])
    if metric_cols:
        axes[1].set(xlabel="epoch", ylabel="score", title="Validation metrics")
    for ax in axes:
        if best_epoch is not None:
            ax.axvline(best_epoch, color="#627d98", ls="--", lw=1, label=f"best epoch {best_epoch}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return fig


def plot_roc(y_true: np.ndarray, proba: np.ndarray, classes: list[str]) -> Figure:
    """Plot ROC curves with their AUC: the positive class (``classes[1]``) for a binary task,
    one-vs-rest per class otherwise; classes lacking positive or negative samples are left
    out."""
    fig, ax = _square_figure()
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8)
    for name, positive, score in _one_vs_rest(y_true, proba, classes, need_negatives=True):
        fpr, tpr, _ = roc_curve(positive, score)
        ax.plot(fpr, tpr, lw=1.4, label=f"{name} (AUC {roc_auc_score(positive, score):.3f})")
    _finish_curve_axes(ax, "false positive rate", "true positive rate", "ROC")
    return fig


def plot_pr(y_true: np.ndarray, proba: np.ndarray, classes: list[str]) -> Figure:
    """Plot precision-recall curves with their average precision: the positive class
    (``classes[1]``) for a binary task, one-vs-rest per class otherwise; classes without
    positive samples are left out."""
    fig, ax = _square_figure()
    for name, positive, score in _one_vs_rest(y_true, proba, classes, need_negatives=False):
        precision, recall, _ = precision_recall_curve(positive, score)
        ap = average_precision_score(positive, score)
        ax.step(recall, precision, where="post", lw=1.4, label=f"{name} (AP {ap:.3f})")
    _finish_curve_axes(ax, "recall", "precision", "Precision-recall")
    return fig


def plot_fold_rocs(folds: list[tuple[str, np.ndarray, np.ndarray]], classes: list[str]) -> Figure:
    """One ROC curve per cross-validation fold, given as ``(label, y_true, proba)``: the
    positive class (``classes[1]``) for a binary task, the micro-average over one-vs-rest
    classes otherwise; each legend entry gives the fold's AUC. Folds whose test rows lack
    positives or negatives are left out."""
    fig, ax = _square_figure()
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8)
    for label, y_true, proba in folds:
        positive, score = _pooled_one_vs_rest(np.asarray(y_true), np.asarray(proba), len(classes))
        if positive.all() or not positive.any():
            continue
        fpr, tpr, _ = roc_curve(positive, score)
        auc = roc_auc_score(positive, score)
        ax.plot(fpr, tpr, lw=1.1, alpha=0.85, label=f"{label} (AUC {auc:.3f})")
    kind = classes[1] if len(classes) == 2 else "micro-averaged over classes"
    _finish_curve_axes(ax, "false positive rate", "true positive rate", "ROC")
    ax.set_title(f"ROC per fold ({kind})", fontsize=10)
    return fig


def _pooled_one_vs_rest(
    y_true: np.ndarray, proba: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Binary: (is class 1, its probability); otherwise every (row, class) pair pooled."""
    if n_classes == 2:
        return y_true == 1, proba[:, 1]
    positive = y_true[:, None] == np.arange(n_classes)[None, :]
    return positive.ravel(), proba.ravel()


def plot_confusion(cm: np.ndarray | list[list[int]], classes: list[str]) -> Figure:
    """Plot a confusion matrix (rows = true, columns = predicted) coloured by the row-normalised
    fraction, with the raw count written in every cell."""
    counts = np.asarray(cm, dtype=int)
    rows = counts.sum(axis=1, keepdims=True)
    fraction = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    side = min(3.0 + 0.55 * len(classes), 12.0)
    fig = Figure(figsize=(side + 1.2, side), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(fraction, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, label="fraction of true class", shrink=0.8)
    fontsize = 10 if len(classes) <= 6 else 7
    for (i, j), count in np.ndenumerate(counts):
        colour = "white" if fraction[i, j] > 0.5 else "black"
        ax.text(j, i, str(count), ha="center", va="center", color=colour, fontsize=fontsize)
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, labels=classes, rotation=45, ha="right")
    ax.set_yticks(ticks, labels=classes)
    ax.set(xlabel="predicted", ylabel="true", title="Confusion matrix")
    return fig


def plot_bars_with_error(
    df: pd.DataFrame, metric: str, *, by: str = "model", title: str | None = None
) -> Figure:
    """Plot one bar per group of ``by`` with height = mean and error bar = sd of ``metric``;
    ``df`` holds either one row per run (a ``metric`` column, runs drawn as dots) or one row
    per group already summarised (``<metric>_mean`` and ``<metric>_sd`` columns)."""
    summary = df if metric not in df.columns else summarize_runs(df, [metric], by=by)
    labels = summary[by].astype(str).tolist()
    x = np.arange(len(labels))
    fig = Figure(figsize=(max(4.0, 0.8 * len(labels) + 2.0), 3.8), layout="constrained")
    ax = fig.subplots()
    sd = summary[f"{metric}_sd"].fillna(0.0)
    ax.bar(x, summary[f"{metric}_mean"], yerr=sd, capsize=4, color="#7aa6c2", edgecolor="#243b53")
    if metric in df.columns:
        position = dict(zip(labels, x, strict=True))
        # Individual runs sit beside the bar so they do not hide the error bar.
        dots_x = df[by].astype(str).map(position) + 0.25
        ax.scatter(dots_x, df[metric], color="#243b53", s=12, zorder=3, label="runs")
        ax.legend(fontsize=8, loc="lower right")
    rotated = len(labels) > 4
    ax.set_xticks(
        x, labels=labels, rotation=30 if rotated else 0, ha="right" if rotated else "center"
    )
    ax.set(ylabel=metric, title=title or f"{metric} (mean ± sd)")
    ax.grid(axis="y", alpha=0.3)
    return fig


def figure_to_data_uri(fig: Figure, *, dpi: int = 100) -> str:
    """Render ``fig`` as PNG and return it as a base64 ``data:image/png`` URI, then close the
    figure (also when it was made with pyplot) to free its memory."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _has_values(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and frame[column].notna().any()


def _square_figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(5.0, 4.6), layout="constrained")
    return fig, fig.subplots()


def _one_vs_rest(
    y_true: np.ndarray, proba: np.ndarray, classes: list[str], *, need_negatives: bool
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    y_true, proba = np.asarray(y_true), np.asarray(proba, dtype=float)
    indices = [1] if len(classes) == 2 else range(len(classes))
    curves = []
    for k in indices:
        positive = y_true == k
        if positive.any() and not (need_negatives and positive.all()):
            curves.append((classes[k], positive, proba[:, k]))
    return curves


def _finish_curve_axes(ax: Axes, xlabel: str, ylabel: str, title: str) -> None:
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, xlim=(0, 1), ylim=(0, 1.02))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower right" if title == "ROC" else "lower left")
    else:
        message = "undefined: no class has both positive and negative samples"
        ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=8, transform=ax.transAxes)
    ax.grid(alpha=0.3)
