"""What train, train --cv and evaluate print for a person: the best epoch, fold progress,
aligned tables with 3-decimal scores, and metrics with bootstrap 95 % intervals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from genoclass.cli import main
from genoclass.data.synthetic import demo_sequences


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("terminal") / "tiny.csv"
    demo_sequences(seed=5, n_per_class=60, length=60).to_csv(path, index=False)
    return path


def _table(lines: list[str], header: str) -> list[str]:
    """The block of lines from the one starting with ``header`` up to the next blank line."""
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_train_prints_the_best_epoch_and_evaluate_the_intervals(tiny_csv, tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["train", "--data", str(tiny_csv), "--model", "fast_accurate_cnn", "--epochs", "3"]
    assert main([*argv, "--batch-size", "32", "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    expected = f"best epoch {metrics['best_epoch']} of 3 (lowest validation loss)"
    assert expected in capsys.readouterr().out
    assert expected.removeprefix("best epoch ") in (run / "report.html").read_text()

    out = tmp_path / "eval.json"
    argv = ["evaluate", "--model", str(run), "--data", str(tiny_csv), "--split", "test"]
    assert main([*argv, "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    result = json.loads(out.read_text())
    assert lines[0] == f"{result['n']} samples (the run's test split)"
    table = lines[1:6]
    assert table[0].split() == ["metric", "value", "95%", "CI"]
    for row, key in zip(table[1:4], ("accuracy", "f1_macro", "mcc"), strict=True):
        low, high = result["metrics"]["ci95"][key]
        assert row.endswith(f"{result['metrics'][key]:.3f}  [{low:.3f}, {high:.3f}]")
    assert table[4].startswith("ROC AUC") and not table[4].endswith("]")  # no interval
    assert lines[6] == "95% CI: percentile bootstrap over the samples (1,000 resamples)"
    assert {"model", "n", "metrics"} <= set(result) and "ci95" in result["metrics"]


def test_cross_validation_prints_fold_progress_and_aligned_tables(tiny_csv, tmp_path, capsys):
    argv = ["train", "--data", str(tiny_csv), "--model", "kmer_nb", "--cv", "3", "--seeds", "2"]
    assert main([*argv, "--out", str(tmp_path / "cv")]) == 0
    lines = capsys.readouterr().out.splitlines()
    folds = [x for x in lines if x.startswith("cross-validation fold ")]
    assert [x.split("  ")[0] for x in folds] == [
        f"cross-validation fold {i}/6" for i in range(1, 7)
    ]
    assert folds[3].split("  ")[1].startswith("seed 43 fold 1/3: test accuracy 0.")
    assert "ETA" in folds[0] and "ETA" not in folds[-1]

    table = _table(lines, "seed  fold  n_test")
    assert len(table) == 7 and len({len(row) for row in table}) == 1
    assert all(
        re.fullmatch(r"\s*4[23]\s+[123]\s+\d+(\s+-?\d\.\d{3}){4}\s+[\d.,]+", r) for r in table[1:]
    )
    summary = _table(lines, "metric")[:8]  # the seven metrics of cv_summary.csv
    assert summary[0].split() == ["metric", "mean", "±", "sd", "folds"]
    assert re.fullmatch(r"accuracy\s+\d\.\d{3} ± \d\.\d{3}\s+6", summary[1])
    assert [row.split()[0] for row in summary[1:]][-1] == "roc_auc"
    assert len({row.index("±") for row in summary[1:]}) == 1
