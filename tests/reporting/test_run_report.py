"""report.html of a tiny fabricated run directory."""

import json
import os

import numpy as np
import pandas as pd
import pytest
import yaml

from genoclass.errors import InputError
from genoclass.evaluation.bootstrap import bootstrap_ci
from genoclass.evaluation.metrics import classification_metrics, predictions_frame
from genoclass.reporting.run_report import write_run_report

CLASSES = ["enhancer", "promoter", "<other>"]


def fabricate_run(run_dir, *, with_history=True, with_config=True, labelled=True):
    rng = np.random.default_rng(0)
    y_true = np.repeat([0, 1, 2], 8)
    proba = rng.dirichlet(np.ones(3), size=len(y_true))
    proba[np.arange(len(y_true)), y_true] += 0.3
    proba /= proba.sum(axis=1, keepdims=True)
    test = classification_metrics(y_true, proba, CLASSES)
    test["ci95"] = bootstrap_ci(y_true, proba, n_boot=50)
    metrics = {
        "task": "multiclass",
        "classes": CLASSES,
        "model": "cnn",
        "test": test,
        "val": classification_metrics(y_true[:12], proba[:12], CLASSES),
        "n_train": 100,
        "n_val": 12,
        "n_test": 24,
        "epochs_run": 3 if with_history else None,
        "best_epoch": 2 if with_history else None,
        "train_seconds": 1.5,
        "params": 1234,
        "data": {
            "files": {
                "data": {
                    "path": "toy.fasta",
                    "format": "fasta",
                    "rows": 136,
                    "cleaning": {"lowercase_uppercased": 5, "ambiguous_to_N": 1},
                }
            },
            "dedup": "none",
            "class_counts": {
                "train": {"enhancer": 40, "promoter": 30, "<other>": 30},
                "test": {"enhancer": 8, "promoter": 8, "<other>": 8},
            },
            "duplicates": {
                "exact": {"train-val": 0, "train-test": 2},
                "reverse_complement": {"train-val": 1, "train-test": 0},
                "within": {"train": 3, "test": 0},
                "total_cross_split_exact": 2,
                "total_cross_split_rc": 1,
            },
            "scale": {"guess": "counts"},
        },
    }
    run_dir.mkdir(exist_ok=True)
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    if with_config:
        config = {"model": "cnn", "seed": 42, "data": "toy.fasta", "note": "<script>"}
        (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    if with_history:
        history = pd.DataFrame(
            {
                "epoch": [1, 2, 3],
                "train_loss": [1.0, 0.8, 0.6],
                "val_loss": [1.1, 0.9, 0.8],
                "val_accuracy": [0.4, 0.5, 0.6],
                "val_f1_macro": [0.3, 0.45, 0.55],
                "lr": [1e-3] * 3,
            }
        )
        history.to_csv(run_dir / "history.csv", index=False)
    ids = [f"s{i}" for i in range(len(y_true))]
    frame = predictions_frame(ids, y_true if labelled else None, proba, CLASSES)
    frame.to_parquet(run_dir / "predictions.parquet")
    return run_dir


def test_full_report_has_every_section_and_is_self_contained(tmp_path):
    run_dir = fabricate_run(tmp_path / "run")
    path = write_run_report(run_dir)
    assert path == run_dir / "report.html"
    page = path.read_text(encoding="utf-8")
    for title in (
        "Summary",
        "Metrics",
        "Per-class metrics (test)",
        "Training curves",
        "ROC and precision-recall (test)",
        "Confusion matrix (test)",
        "Data",
        "How metrics are computed",
        "Configuration",
        "Samples per split and class",
        "Files read",
        "Duplicated sequences",
        "Other data details",
    ):
        assert f">{title}</h" in page, title
    assert page.count('<img src="data:image/png;base64,') == 4
    assert 'src="http' not in page and "<link" not in page and "<script" not in page
    assert "&lt;other&gt;" in page and "&lt;script&gt;" in page
    assert "test 95% CI" in page and "toy.fasta" in page
    assert "<td>trainable parameters</td>" in page
    assert "<td>2 of 3 (lowest validation loss)</td>" in page  # the best epoch
    assert "weights of epoch 2 of 3" in page


def test_data_and_configuration_are_tables_in_words(tmp_path):
    page = write_run_report(fabricate_run(tmp_path / "run")).read_text(encoding="utf-8")
    data = page[page.index('<section id="data">') : page.index('<section id="how-metrics')]
    assert "{" not in data and "<pre>" not in data  # no dict or JSON dumps
    assert "<th>split</th><th>enhancer</th><th>promoter</th><th>&lt;other&gt;</th>" in data
    assert "<td>cleaning › lowercase uppercased</td>" not in data  # a column, not a row
    assert "<th>cleaning › lowercase uppercased</th>" in data
    assert "2 exact copies, 1 reverse complements" in data
    assert "<td>scale › guess</td><td>counts</td>" in data
    config = page[page.index('<section id="configuration">') :]
    assert "<pre>" not in config and "<td>note</td><td>&lt;script&gt;</td>" in config


def test_header_shows_the_final_run_name_while_staged(tmp_path):
    """train writes the report inside RUN.partial before the rename to RUN."""
    page = write_run_report(fabricate_run(tmp_path / "myrun.partial")).read_text()
    assert "· myrun</p>" in page and "partial" not in page


def test_classical_run_reports_stored_numbers_and_no_curves_section(tmp_path):
    run_dir = fabricate_run(tmp_path / "run", with_history=False)
    page = write_run_report(run_dir).read_text(encoding="utf-8")
    assert "<td>stored numbers (model size)</td>" in page
    assert "trainable parameters" not in page
    assert "Training curves" not in page and "best epoch" not in page


def test_report_without_optional_pieces(tmp_path):
    run_dir = fabricate_run(tmp_path / "run", with_history=False, with_config=False, labelled=False)
    page = write_run_report(run_dir).read_text(encoding="utf-8")
    assert "No config.yaml" in page
    assert "carry no true labels" in page
    assert page.count("<img ") == 1  # the confusion matrix from metrics.json


def test_neural_run_without_history_says_so(tmp_path):
    run_dir = fabricate_run(tmp_path / "run")
    (run_dir / "history.csv").unlink()
    page = write_run_report(run_dir).read_text(encoding="utf-8")
    assert ">Training curves</h2>" in page and "No history.csv" in page


def test_report_is_written_atomically(tmp_path, monkeypatch):
    run_dir = fabricate_run(tmp_path / "run", with_history=False)
    (run_dir / "report.html").write_text("old report")
    real_replace = os.replace
    calls = []

    def spy(src, dst):
        calls.append((src, dst))
        assert (run_dir / "report.html").read_text() == "old report"  # untouched until now
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_run_report(run_dir)
    [(src, dst)] = calls
    assert os.path.dirname(src) == str(run_dir) and dst == run_dir / "report.html"
    assert [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")] == []

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_run_report(run_dir)
    assert (run_dir / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_missing_metrics_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="metrics.json"):
        write_run_report(tmp_path)
