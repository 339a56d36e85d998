"""--model auto: the candidate with the best validation MCC is chosen, and the test split
never steers the choice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genoclass.cli import main
from genoclass.data.synthetic import consensus_pwm, planted_motif_sequences
from genoclass.workflows import auto

FAST = ["--epochs", "2", "--batch-size", "32", "--seed", "3"]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Training data and a separate test file of sequences with a planted motif."""
    folder = tmp_path_factory.mktemp("auto")
    motif = consensus_pwm("TTGACGTCAG", 0.9)
    table = planted_motif_sequences(160, 60, {"background": None, "motif": motif}, seed=5)
    table["id"] = [f"r{i}" for i in range(len(table))]
    train, test = table.iloc[:240], table.iloc[240:]
    train[["id", "sequence", "label"]].to_csv(folder / "train.csv", index=False)
    test[["id", "sequence", "label"]].to_csv(folder / "test.csv", index=False)
    return folder / "train.csv", folder / "test.csv"


@pytest.fixture
def candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast candidates for the suite: two k-mer models and one neural model."""
    monkeypatch.setitem(auto.CANDIDATES, "sequence", ("kmer_lr", "kmer_nb", "fast_accurate_cnn"))


def without_cpu(rows: list[dict]) -> list[dict]:
    """Candidate rows without their CPU seconds (timing varies between runs)."""
    return [{k: v for k, v in row.items() if k != "cpu_seconds"} for row in rows]


def run_auto(data: Path, test: Path, out: Path) -> dict:
    argv = ["train", "--data", str(data), "--test", str(test), "--model", "auto", *FAST]
    assert main([*argv, "--out", str(out)]) == 0
    return json.loads((out / "metrics.json").read_text())


def test_auto_keeps_the_best_validation_mcc_and_never_reads_test_labels(
    planted, candidates, tmp_path: Path, capsys
) -> None:
    data, test = planted
    clean = run_auto(data, test, tmp_path / "clean")
    rows = {r["model"]: r for r in clean["auto"]["candidates"]}
    printed = capsys.readouterr().out
    for i, (name, row) in enumerate(rows.items(), 1):  # one progress line per candidate
        assert f"auto: candidate {i}/3  {name}: validation MCC {row['val_mcc']:.3f}" in printed
    assert list(rows) == ["kmer_lr", "kmer_nb", "fast_accurate_cnn"]
    best = max(r["val_mcc"] for r in rows.values())
    assert rows[clean["auto"]["chosen"]]["val_mcc"] == best
    assert clean["model"] == clean["auto"]["chosen"]
    # the chosen model's own run scores the same validation split the choice used
    assert clean["val"]["mcc"] == pytest.approx(best, abs=1e-4)
    # poison the test labels: the choice and every validation figure stay the same
    poisoned = pd.read_csv(test)
    poisoned["label"] = np.where(poisoned["label"] == "motif", "background", "motif")
    poisoned.to_csv(tmp_path / "poisoned.csv", index=False)
    dirty = run_auto(data, tmp_path / "poisoned.csv", tmp_path / "dirty")
    assert without_cpu(dirty["auto"]["candidates"]) == without_cpu(clean["auto"]["candidates"])
    assert dirty["auto"]["chosen"] == clean["auto"]["chosen"]
    assert dirty["test"]["accuracy"] == pytest.approx(1 - clean["test"]["accuracy"], abs=1e-9)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--val-size", "0"], "--model auto chooses on the validation split"),
        (["--param", "dropout=0.1"], "--param names one model's hyperparameters"),
        (["--cv", "3"], "--model auto cannot be combined with --cv"),
    ],
)
def test_auto_refusals_are_one_line(planted, candidates, tmp_path, capsys, extra, message):
    data, test = planted
    argv = ["train", "--data", str(data), "--test", str(test), "--model", "auto", *FAST]
    assert main([*argv, *extra, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
