"""The self-contained report.html of one training run directory."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from genoclass.atomic import write_text_atomic
from genoclass.errors import InputError
from genoclass.evaluation.metrics import AVERAGING_NOTES
from genoclass.reporting.html import (
    Section,
    escape,
    format_value,
    image_html,
    pre_html,
    render_page,
    table_html,
    text_html,
)
from genoclass.reporting.plots import (
    figure_to_data_uri,
    plot_confusion,
    plot_history,
    plot_pr,
    plot_roc,
)

SCALAR_METRICS = [k for k in AVERAGING_NOTES if k not in ("per_class", "confusion_matrix")]


def write_run_report(run_dir: Path) -> Path:
    """Build ``run_dir/report.html`` from the run's metrics.json (required), config.yaml,
    history.csv and predictions.parquet (each optional; missing parts are noted in the page),
    write it atomically (temporary file in the same folder, then rename) and return its
    path."""
    run_dir = Path(run_dir)
    metrics = _read_metrics(run_dir / "metrics.json")
    config = _read_config(run_dir / "config.yaml")
    classes = [str(c) for c in metrics.get("classes", [])]
    sections = [
        Section("Summary", _summary_html(metrics, config)),
        Section("Metrics", _metrics_html(metrics)),
        Section("Per-class metrics (test)", _per_class_html(metrics.get("test", {}))),
        Section("Training curves", _history_html(run_dir / "history.csv")),
        Section("ROC and precision-recall (test)", _curves_html(run_dir, classes)),
        Section("Confusion matrix (test)", _confusion_html(metrics.get("test", {}), classes)),
        Section("Data", _data_html(metrics)),
        Section("How metrics are computed", table_html(_notes_records())),
        Section("Configuration", _config_html(config)),
    ]
    explanations = sorted(run_dir.glob("*/explain.html"))
    if explanations:
        sections.insert(1, Section("Interpretation", _explain_links_html(run_dir, explanations)))
    model = metrics.get("model", "unknown model")
    subtitle = f"{metrics.get('task', 'unknown task')} · {len(classes)} classes · {run_dir.name}"
    page = render_page(f"genoclass run report: {model}", sections, subtitle=subtitle)
    return write_text_atomic(run_dir / "report.html", page)


def _explain_links_html(run_dir: Path, pages: list[Path]) -> str:
    links = "".join(
        f'<li><a href="{escape(p.relative_to(run_dir).as_posix())}">'
        f"{escape(p.parent.name)}/explain.html</a></li>"
        for p in pages
    )
    return f"<p>Written by <code>genoclass explain</code>:</p><ul>{links}</ul>"


def _read_metrics(path: Path) -> dict:
    if not path.is_file():
        raise InputError("not a run directory: metrics.json is missing", path=path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        where = f"line {err.lineno}"
        raise InputError(f"invalid JSON ({err.msg})", path=path, where=where) from err


def _read_config(path: Path) -> dict | None:
    if not path.is_file():
        return None
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {"config": loaded}


def _summary_html(metrics: dict, config: dict | None) -> str:
    config = config or {}
    data = config.get("data")
    rows = {
        "model": metrics.get("model"),
        "task": metrics.get("task"),
        "classes": ", ".join(str(c) for c in metrics.get("classes", [])),
        "data": data if isinstance(data, str) else (metrics.get("data") or {}).get("source"),
        "seed": config.get("seed"),
        "train / val / test samples": " / ".join(
            format_value(metrics.get(k)) for k in ("n_train", "n_val", "n_test")
        ),
        "epochs run": metrics.get("epochs_run"),
        "training seconds": metrics.get("train_seconds"),
        "trainable parameters": metrics.get("params"),
    }
    return table_html({k: v for k, v in rows.items() if v is not None})


def _metrics_html(metrics: dict) -> str:
    blocks = {split: metrics[split] for split in ("test", "val") if metrics.get(split)}
    if not blocks:
        return text_html("metrics.json has no test or validation metrics.", muted=True)
    records = []
    for name in [*SCALAR_METRICS, "n"]:
        if not any(name in block for block in blocks.values()):
            continue
        record = {"metric": name}
        for split, block in blocks.items():
            record[split] = block.get(name)
            if block.get("ci95"):
                record[f"{split} 95% CI"] = block["ci95"].get(name)
        records.append(record)
    return table_html(records)


def _per_class_html(test: dict) -> str:
    per_class = test.get("per_class")
    if not per_class:
        return text_html("No per-class test metrics recorded.", muted=True)
    frame = pd.DataFrame.from_dict(per_class, orient="index")
    return table_html(frame.rename_axis("class"), index=True)


def _history_html(path: Path) -> str:
    if not path.is_file():
        return text_html("No history.csv (classical models train in one step).", muted=True)
    history = pd.read_csv(path)
    if history.empty or "epoch" not in history.columns:
        return text_html("history.csv holds no epochs.", muted=True)
    return image_html(figure_to_data_uri(plot_history(history)), "training curves")


def _curves_html(run_dir: Path, classes: list[str]) -> str:
    path = run_dir / "predictions.parquet"
    if not path.is_file():
        return text_html("No predictions.parquet in this run directory.", muted=True)
    predictions = pd.read_parquet(path)
    columns = [f"prob_{c}" for c in classes]
    if not classes or any(c not in predictions.columns for c in columns):
        return text_html("predictions.parquet lacks a prob_<class> column.", muted=True)
    labelled = predictions[predictions["true_label"].isin(classes)]
    if labelled.empty:
        return text_html("The predictions carry no true labels; curves need them.", muted=True)
    y_true = labelled["true_label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    proba = labelled[columns].to_numpy(dtype=float)
    return image_html(figure_to_data_uri(plot_roc(y_true, proba, classes)), "ROC curves") + (
        image_html(figure_to_data_uri(plot_pr(y_true, proba, classes)), "precision-recall curves")
    )


def _confusion_html(test: dict, classes: list[str]) -> str:
    cm = test.get("confusion_matrix")
    if not cm or np.shape(cm) != (len(classes), len(classes)):
        return text_html("No confusion matrix recorded for the test split.", muted=True)
    return image_html(figure_to_data_uri(plot_confusion(cm, classes)), "confusion matrix")


def _data_html(metrics: dict) -> str:
    sizes = {k: metrics.get(k) for k in ("n_train", "n_val", "n_test") if k in metrics}
    parts = [table_html(sizes)] if sizes else []
    data = dict(metrics.get("data") or {})
    for key, title in (("duplicates", "Cross-split duplicates"), ("cleaning", "Cleaning counts")):
        value = data.pop(key, None)
        if isinstance(value, dict) and value:
            parts.append(f"<h3>{escape(title)}</h3>{table_html(value)}")
    if data:
        parts.append(f"<h3>Other data details</h3>{table_html(data)}")
    return "".join(parts) or text_html("No data details recorded.", muted=True)


def _notes_records() -> list[dict[str, str]]:
    return [{"metric": name, "how it is computed": note} for name, note in AVERAGING_NOTES.items()]


def _config_html(config: dict | None) -> str:
    if config is None:
        return text_html("No config.yaml in this run directory.", muted=True)
    return pre_html(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
