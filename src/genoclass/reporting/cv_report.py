"""The self-contained cv_report.html of a cross-validation directory (``train --cv K``):
the protocol in words, mean ± sd of every test metric over the folds, their spread, one ROC
curve per fold, per-class F1 and the per-fold table with links to each fold's run report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from genoclass.atomic import write_text_atomic
from genoclass.errors import InputError
from genoclass.io.run_files import RunFiles
from genoclass.reporting.html import (
    Section,
    final_name,
    format_mean_sd,
    image_html,
    join_html,
    links_html,
    render_page,
    settings_html,
    table_html,
    text_html,
)
from genoclass.reporting.plots import figure_to_data_uri, plot_bars_with_error, plot_fold_rocs
from genoclass.reporting.run_report import labelled_predictions

PROTOCOL_NOTE = (
    "Stratified K-fold cross-validation: every row is tested exactly once, by the model of "
    "the fold that held it out. Inside each fold a validation part of the remaining rows "
    "chooses the best epoch; the fold's test rows never steer training. Standard deviations "
    "are over all folds of all seeds (ddof = 1)."
)


def write_cv_report(cv_dir: Path) -> Path:
    """Build ``cv_dir/cv_report.html`` from cv.json and each fold's run directory, write it
    atomically and return its path."""
    cv_dir = Path(cv_dir)
    path = cv_dir / "cv.json"
    if not path.is_file():
        raise InputError("not a cross-validation directory: cv.json is missing", path=cv_dir)
    cv = json.loads(path.read_text(encoding="utf-8"))
    folds = pd.DataFrame(cv["folds"])
    sections = [
        Section("Protocol", join_html([text_html(PROTOCOL_NOTE), _protocol_html(cv)])),
        Section("Test metrics over folds (mean ± sd)", _summary_html(cv)),
        Section("Spread over folds", _spread_html(folds, cv)),
        Section("ROC curve of each fold (test rows)", _rocs_html(cv_dir, folds)),
        Section("Per-class F1 (mean over folds)", _per_class_html(cv)),
        Section("Folds", _folds_html(cv_dir, folds)),
    ]
    protocol = cv["protocol"]
    subtitle = (
        f"{protocol['folds']} folds × {len(protocol['seeds'])} seed(s) · {final_name(cv_dir)}"
    )
    page = render_page(f"genoclass cross-validation: {cv['model']}", sections, subtitle)
    return write_text_atomic(cv_dir / "cv_report.html", page)


def _protocol_html(cv: dict) -> str:
    facts = {"model": cv["model"], "data": cv.get("data"), **cv["protocol"]}
    return settings_html({k: v for k, v in facts.items() if v is not None})


def _summary_html(cv: dict) -> str:
    records = [
        {"metric": name, "mean ± sd": format_mean_sd(s["mean"], s["sd"]), "folds": s["n"]}
        for name, s in cv["summary"].items()
    ]
    return table_html(pd.DataFrame(records, dtype=object))


def _spread_html(folds: pd.DataFrame, cv: dict) -> str:
    metrics = [m for m in cv["summary"] if m in folds and folds[m].notna().any()]
    if not metrics:
        return text_html("No fold metrics recorded.", muted=True)
    long = folds.melt(value_vars=metrics, var_name="metric", value_name="score").dropna()
    fig = plot_bars_with_error(
        long, "score", by="metric", title="test metrics: folds and mean ± sd"
    )
    return image_html(figure_to_data_uri(fig), "test metrics over folds")


def _rocs_html(cv_dir: Path, folds: pd.DataFrame) -> str:
    curves, missing, classes = [], [], None
    for row in folds.itertuples():
        run_dir = _fold_dir(cv_dir, row.run)
        if not RunFiles(run_dir).finished():
            missing.append(f"seed {row.seed} fold {row.fold}")
            continue
        classes = [str(c) for c in RunFiles(run_dir).read_metrics()["classes"]]
        found = labelled_predictions(run_dir, classes)
        if isinstance(found, str):
            missing.append(f"seed {row.seed} fold {row.fold}")
            continue
        curves.append((f"seed {row.seed} fold {row.fold}", *found))
    parts = []
    if curves and classes is not None:
        image = figure_to_data_uri(plot_fold_rocs(curves, classes))
        parts.append(image_html(image, "ROC curve of each fold"))
    if missing:
        parts.append(text_html(f"No labelled predictions for {', '.join(missing)}.", muted=True))
    return join_html(parts)


def _per_class_html(cv: dict) -> str:
    per_class = cv.get("per_class_f1") or {}
    if not per_class:
        return text_html("No per-class F1 recorded.", muted=True)
    return table_html(pd.DataFrame({"class": list(per_class), "F1": list(per_class.values())}))


def _folds_html(cv_dir: Path, folds: pd.DataFrame) -> str:
    links = []
    for row in folds.itertuples():
        report = RunFiles(_fold_dir(cv_dir, row.run)).report
        href = os.path.relpath(report, cv_dir)
        links.append((Path(href).as_posix(), f"seed {row.seed} fold {row.fold}"))
    table = table_html(folds.drop(columns=["run"], errors="ignore"))
    return join_html([table, links_html(links, "Run report of each fold:")])


def _fold_dir(cv_dir: Path, recorded: str) -> Path:
    """A fold's run directory: the recorded path, else the same folder name under
    ``cv_dir/folds`` (the cross-validation directory may have moved)."""
    path = Path(recorded)
    return path if path.is_dir() else cv_dir / "folds" / path.name
