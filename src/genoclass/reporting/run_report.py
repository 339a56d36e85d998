"""The self-contained report.html of one training run directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from genoclass.atomic import write_text_atomic
from genoclass.evaluation.metrics import AVERAGING_NOTES
from genoclass.io.run_files import RunFiles
from genoclass.reporting.html import (
    Section,
    final_name,
    flatten_settings,
    format_interval,
    format_value,
    grid_html,
    heading_html,
    image_html,
    join_html,
    links_html,
    render_page,
    settings_html,
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
    path. Models trained in one step (classical ones) get no training-curves section."""
    run_dir = Path(run_dir)
    files = RunFiles(run_dir)
    metrics = files.read_metrics()
    config = _read_config(files.config)
    classes = [str(c) for c in metrics.get("classes", [])]
    sections = [
        Section("Summary", _summary_html(metrics, config)),
        Section("Metrics", _metrics_html(metrics)),
        Section("Per-class metrics (test)", _per_class_html(metrics.get("test", {}))),
        Section("ROC and precision-recall (test)", _curves_html(run_dir, classes)),
        Section("Confusion matrix (test)", _confusion_html(metrics.get("test", {}), classes)),
        Section("Data", _data_html(metrics)),
        Section("How metrics are computed", table_html(_notes_records())),
        Section("Configuration", _config_html(config)),
    ]
    if trained_in_epochs(metrics, run_dir):
        sections.insert(3, Section("Training curves", _history_html(run_dir, metrics)))
    if metrics.get("auto"):
        sections.insert(1, Section("Model choice (--model auto)", _auto_html(metrics["auto"])))
    explanations = sorted(run_dir.glob("*/explain.html"))
    if explanations:
        sections.insert(1, Section("Interpretation", _explain_links_html(run_dir, explanations)))
    model = metrics.get("model", "unknown model")
    task = metrics.get("task", "unknown task")
    subtitle = f"{task} · {len(classes)} classes · {final_name(run_dir)}"
    page = render_page(f"genoclass run report: {model}", sections, subtitle=subtitle)
    return write_text_atomic(files.report, page)


def trained_in_epochs(metrics: dict, run_dir: Path) -> bool:
    """Whether the run trained a neural model epoch by epoch (classical models fit in one
    step and record no epochs)."""
    return metrics.get("epochs_run") is not None or RunFiles(run_dir).history.is_file()


def _explain_links_html(run_dir: Path, pages: list[Path]) -> str:
    links = [(p.relative_to(run_dir).as_posix(), f"{p.parent.name}/explain.html") for p in pages]
    return links_html(links, "Written by genoclass explain:")


def _read_config(path: Path) -> dict | None:
    if not path.is_file():
        return None
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {"config": loaded}


def _summary_html(metrics: dict, config: dict | None) -> str:
    config = config or {}
    data = config.get("data")
    neural = metrics.get("epochs_run") is not None
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
        "best epoch (weights kept)": best_epoch_text(metrics),
        "training seconds": metrics.get("train_seconds"),
        "training stopped by": metrics.get("stop_reason"),
        "time budget (minutes)": metrics.get("time_budget_minutes"),
        "trainable parameters" if neural else "stored numbers (model size)": metrics.get("params"),
        "initial weights": _init_text(metrics.get("init")),
    }
    return table_html({k: v for k, v in rows.items() if v is not None})


#: columns of the --model auto candidates table (metrics.json "auto" rows)
AUTO_COLUMNS = (
    "model",
    "val_mcc",
    "val_accuracy",
    "val_f1_macro",
    "params",
    "cpu_seconds",
    "epochs_run",
    "stopped",
    "skipped",
    "recipe_applied",
)


def _auto_html(auto: dict) -> str:
    """The candidates ``--model auto`` fitted, their validation figures and the choice."""
    rows = [{c: row.get(c) for c in AUTO_COLUMNS} for row in auto.get("candidates", [])]
    frame = pd.DataFrame(rows, dtype=object).dropna(axis=1, how="all")
    choice = (
        f"Chose {auto.get('chosen')} ({auto.get('selection')}); only the validation split "
        "was scored while choosing, and this run is the chosen candidate's fit."
    )
    return join_html([text_html(choice), table_html(frame)])


def _init_text(init: object) -> str | None:
    """Where a transferred model's initial weights came from, in one line (or None)."""
    if not isinstance(init, dict):
        return None
    return (
        f"{init.get('transfer')} from {init.get('path')} (weights SHA-256 "
        f"{init.get('weights_sha256')}; {init.get('head')} head, trunk lr x "
        f"{init.get('trunk_lr_scale')})"
    )


def best_epoch_text(metrics: dict) -> str | None:
    """``"7 of 10 (lowest validation loss)"``: the epoch whose weights the run kept, or None
    for models trained in one step."""
    best, run = metrics.get("best_epoch"), metrics.get("epochs_run")
    if best is None or run is None or best < 1:
        return None
    criterion = "validation loss" if metrics.get("n_val") else "training loss"
    return f"{best} of {run} (lowest {criterion})"


def _metrics_html(metrics: dict) -> str:
    blocks = {split: metrics[split] for split in ("test", "val") if metrics.get(split)}
    if not blocks:
        return text_html("metrics.json has no test or validation metrics.", muted=True)
    records = []
    for name in [*SCALAR_METRICS, "n"]:
        if not any(name in block for block in blocks.values()):
            continue
        record: dict[str, object] = {"metric": name}
        for split, block in blocks.items():
            record[split] = block.get(name)
            if block.get("ci95"):
                record[f"{split} 95% CI"] = format_interval(block["ci95"].get(name))
        records.append(record)
    return table_html(pd.DataFrame(records, dtype=object))


def _per_class_html(test: dict) -> str:
    per_class = test.get("per_class")
    if not per_class:
        return text_html("No per-class test metrics recorded.", muted=True)
    frame = pd.DataFrame.from_dict(per_class, orient="index")
    return table_html(frame.rename_axis("class"), index=True)


def _history_html(run_dir: Path, metrics: dict) -> str:
    path = RunFiles(run_dir).history
    if not path.is_file():
        return text_html("No history.csv in this run directory.", muted=True)
    history = pd.read_csv(path)
    if history.empty or "epoch" not in history.columns:
        return text_html("history.csv holds no epochs.", muted=True)
    best = metrics.get("best_epoch")
    figure = plot_history(history, best_epoch=best if best and best > 0 else None)
    note = best_epoch_text(metrics)
    parts = [image_html(figure_to_data_uri(figure), "training curves")]
    if note:
        parts.append(text_html(f"The model keeps the weights of epoch {note}."))
    return join_html(parts)


def labelled_predictions(run_dir: Path, classes: list[str]) -> tuple[np.ndarray, np.ndarray] | str:
    """``(y_true, proba)`` of a run's labelled test predictions (predictions.parquet), or a
    sentence saying why there are none."""
    path = RunFiles(run_dir).predictions
    if not path.is_file():
        return "No predictions.parquet in this run directory."
    predictions = pd.read_parquet(path)
    columns = [f"prob_{c}" for c in classes]
    if not classes or any(c not in predictions.columns for c in columns):
        return "predictions.parquet lacks a prob_<class> column."
    labelled = predictions[predictions["true_label"].isin(classes)]
    if labelled.empty:
        return "The predictions carry no true labels; curves need them."
    y_true = labelled["true_label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    return y_true, labelled[columns].to_numpy(dtype=float)


def _curves_html(run_dir: Path, classes: list[str]) -> str:
    found = labelled_predictions(run_dir, classes)
    if isinstance(found, str):
        return text_html(found, muted=True)
    y_true, proba = found
    return join_html(
        [
            image_html(figure_to_data_uri(plot_roc(y_true, proba, classes)), "ROC curves"),
            image_html(
                figure_to_data_uri(plot_pr(y_true, proba, classes)), "precision-recall curves"
            ),
        ]
    )


def _confusion_html(test: dict, classes: list[str]) -> str:
    cm = test.get("confusion_matrix")
    if not cm or np.shape(cm) != (len(classes), len(classes)):
        return text_html("No confusion matrix recorded for the test split.", muted=True)
    return image_html(figure_to_data_uri(plot_confusion(cm, classes)), "confusion matrix")


#: expression facts shown as sentences in the data section: key -> what it says
PREPROCESSING_FACTS = {
    "scale": "Scale of the training values",
    "preprocessing_choice": "Pipeline chosen",
    "preprocessing": "Steps and genes kept",
}


def _data_html(metrics: dict) -> str:
    """The data section in words: samples per split and class, the files read, duplicate
    counts across and within splits, then any other recorded detail as a settings table."""
    data = dict(metrics.get("data") or {})
    parts = []
    counts = data.pop("class_counts", None)
    if isinstance(counts, dict) and counts:
        parts.append(heading_html("Samples per split and class"))
        parts.append(grid_html(counts, row="split", total=True))
    else:
        sizes = {s: metrics.get(f"n_{s}") for s in ("train", "val", "test") if f"n_{s}" in metrics}
        if sizes:
            parts += [heading_html("Samples per split"), table_html(sizes)]
    files = data.pop("files", None)
    if isinstance(files, dict) and files:
        parts += [heading_html("Files read"), _files_html(files)]
    chosen = {k: data.pop(k) for k in PREPROCESSING_FACTS if isinstance(data.get(k), str)}
    if chosen:  # expression runs: the scale found and the pipeline chosen for it
        parts.append(heading_html("Scale and preprocessing"))
        parts += [text_html(f"{PREPROCESSING_FACTS[k]}: {v}") for k, v in chosen.items()]
    dedup = data.pop("dedup", None)
    duplicates = data.pop("duplicates", None)
    if isinstance(duplicates, dict) and duplicates:
        parts += [heading_html("Duplicated sequences"), _duplicates_html(duplicates, dedup)]
    elif dedup is not None:
        parts.append(text_html(f"Duplicate handling when splitting: {dedup}."))
    if data:
        parts += [heading_html("Other data details"), settings_html(data, key="detail")]
    return join_html(parts) if parts else text_html("No data details recorded.", muted=True)


def _files_html(files: dict) -> str:
    """One row per file read (data, test, val), its facts as columns in words."""
    records = []
    for role, facts in files.items():
        flat = dict(flatten_settings(facts)) if isinstance(facts, dict) else {"value": facts}
        records.append({"role": role, **flat})
    return table_html(pd.DataFrame(records, dtype=object))


def _duplicates_html(duplicates: dict, dedup: object) -> str:
    """Counts of duplicated sequences: per pair of splits (exact and reverse-complement
    copies), within each split, and the totals, with the split's duplicate handling."""
    pairs = {
        label: duplicates[key]
        for key, label in (("exact", "exact copies"), ("reverse_complement", "reverse complements"))
        if isinstance(duplicates.get(key), dict)
    }
    parts = []
    if dedup is not None:
        parts.append(text_html(f"Duplicate handling when splitting: {dedup}."))
    exact = duplicates.get("total_cross_split_exact")
    rc = duplicates.get("total_cross_split_rc")
    if exact is not None:
        parts.append(
            text_html(
                f"Rows of a later split whose sequence occurs in an earlier split: "
                f"{format_value(exact)} exact copies, {format_value(rc or 0)} reverse "
                "complements."
            )
        )
    if pairs:
        parts.append(grid_html(pairs, row="rows of the later split that are"))
    if isinstance(duplicates.get("within"), dict):
        parts.append(text_html("Rows repeating an earlier row of the same split:"))
        parts.append(table_html(duplicates["within"]))
    known = {"exact", "reverse_complement", "within", "total_cross_split_exact"}
    rest = {k: v for k, v in duplicates.items() if k not in known | {"total_cross_split_rc"}}
    if rest:
        parts.append(settings_html(rest, key="detail"))
    return join_html(parts)


def _notes_records() -> list[dict[str, str]]:
    return [{"metric": name, "how it is computed": note} for name, note in AVERAGING_NOTES.items()]


def _config_html(config: dict | None) -> str:
    if config is None:
        return text_html("No config.yaml in this run directory.", muted=True)
    return settings_html(config)
