"""End to end through the CLI on tiny generated data: train, evaluate, predict, bad input."""

import json
from pathlib import Path

import pandas as pd
import pytest

from genoclass.cli import main
from genoclass.data.synthetic import demo_sequences


def cli(command: str) -> int:
    """Run a genoclass command line (paths here contain no spaces)."""
    return main(command.split())


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "tiny.csv"
    demo_sequences(seed=3, n_per_class=60, length=60).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained_run(tiny_csv, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "run"
    assert (
        cli(
            f"train --data {tiny_csv} --model fast_accurate_cnn --epochs 2 --batch-size 32 "
            f"--seed 7 --out {out}"
        )
        == 0
    )
    return out


def test_run_directory_contract(trained_run):
    names = {p.name for p in trained_run.iterdir()}
    assert {
        "config.yaml",
        "metrics.json",
        "predictions.parquet",
        "history.csv",
        "model",
        "report.html",
        "splits.parquet",
    } <= names
    assert {p.name for p in (trained_run / "model").iterdir()} == {
        "model.json",
        "weights.safetensors",
    }
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert metrics["task"] == "binary" and metrics["classes"] == ["background", "motif"]
    for key in (
        "accuracy",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "f1_weighted",
        "mcc",
        "roc_auc",
        "pr_auc",
        "sensitivity",
        "specificity",
        "integrated_f1",
        "per_class",
        "confusion_matrix",
        "ci95",
    ):
        assert key in metrics["test"], key
    assert (metrics["n_train"], metrics["n_val"], metrics["n_test"]) == (86, 10, 24)
    assert metrics["epochs_run"] == 2 and metrics["params"] > 0
    assert pd.read_csv(trained_run / "history.csv")["epoch"].tolist() == [1, 2]
    assert not (trained_run.parent / "run.partial").exists()


def test_evaluate_on_the_recorded_test_split_reproduces_metrics(trained_run, tiny_csv, tmp_path):
    out = tmp_path / "eval.json"
    assert cli(f"evaluate --model {trained_run} --data {tiny_csv} --split test --out {out}") == 0
    recorded = json.loads((trained_run / "metrics.json").read_text())["test"]
    assert json.loads(out.read_text())["metrics"] == recorded


def test_predict_gives_the_same_accuracy_as_metrics(trained_run, tiny_csv, tmp_path):
    out = tmp_path / "pred.csv"
    assert cli(f"predict --model {trained_run} --input {tiny_csv} --split test --out {out}") == 0
    pred = pd.read_csv(out)
    accuracy = (pred["true_label"] == pred["predicted_label"]).mean()
    recorded = json.loads((trained_run / "metrics.json").read_text())["test"]["accuracy"]
    assert accuracy == recorded
    saved = pd.read_parquet(trained_run / "predictions.parquet")
    assert pred["id"].tolist() == saved["id"].tolist()


def test_predict_without_labels(trained_run, tmp_path):
    unlabelled = tmp_path / "new.fa"
    unlabelled.write_text(">a\nACGTACGTTTGACGTCAGCAACGT\n>b\nACGTAC\n")
    out = tmp_path / "new.csv"
    assert cli(f"predict --model {trained_run} --input {unlabelled} --out {out}") == 0
    pred = pd.read_csv(out)
    assert pred["id"].tolist() == ["a", "b"] and pred["true_label"].isna().all()
    assert set(pred["predicted_label"]) <= {"background", "motif"}


def test_bad_fasta_character_exits_2_with_one_line_and_no_run_dir(tmp_path, capsys):
    fasta = tmp_path / "bad.fa"
    fasta.write_text(">r1 label=a\nACGT\n>r2 label=b\nACGA\n>r3 label=a\nAC!T\n")
    out = tmp_path / "run"
    assert cli(f"train --data {fasta} --out {out}") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "bad.fa" in err and "record 3" in err and "'!'" in err
    assert "Traceback" not in err
    assert not out.exists() and not (tmp_path / "run.partial").exists()


def test_empty_label_exits_2_naming_the_row(tmp_path, capsys):
    table = tmp_path / "bad.csv"
    table.write_text("sequence,label\nACGT,a\nACGA,\nACGG,b\n")
    assert cli(f"train --data {table} --out {tmp_path / 'run'}") == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "row 2" in err
    assert not (tmp_path / "run").exists()


def test_existing_output_is_not_overwritten_without_flag(trained_run, tiny_csv, capsys):
    assert cli(f"train --data {tiny_csv} --epochs 1 --out {trained_run}") == 2
    assert "--overwrite" in capsys.readouterr().err


def test_models_command_lists_registry(capsys):
    assert cli("models") == 0
    out = capsys.readouterr().out
    assert "gb_cnn" in out and "fast_accurate_cnn" in out


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as exc:
        cli("train --epochs many")
    assert exc.value.code == 2
