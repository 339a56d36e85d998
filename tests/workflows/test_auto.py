"""--model auto: the candidate with the best validation MCC is chosen, and the test split
never steers the choice."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from genoclass import cli
from genoclass.cli import main
from genoclass.config import TrainConfig
from genoclass.data.synthetic import consensus_pwm, planted_motif_sequences
from genoclass.errors import Interrupted
from genoclass.workflows import auto, fitting, train
from genoclass.workflows.apply import evaluate_run

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


def use_candidates(monkeypatch: pytest.MonkeyPatch, *candidates: auto.Candidate) -> None:
    """Replace the sequence candidates for one test."""
    monkeypatch.setitem(auto.CANDIDATES, "sequence", candidates)


@pytest.fixture
def candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast candidates for the suite: two k-mer models and one neural model."""
    names = ("kmer_lr", "kmer_nb", "fast_accurate_cnn")
    use_candidates(monkeypatch, *map(auto.Candidate, names))


def without_cpu(rows: list[dict]) -> list[dict]:
    """Candidate rows without their CPU seconds (timing varies between runs)."""
    return [{k: v for k, v in row.items() if k != "cpu_seconds"} for row in rows]


def run_auto(data: Path, test: Path, out: Path) -> dict:
    argv = ["train", "--data", str(data), "--test", str(test), "--model", "auto", *FAST]
    assert main([*argv, "--out", str(out)]) == 0
    return json.loads((out / "metrics.json").read_text())


def count_fits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...] | None]]:
    """Record (model, scored splits) of every fit that auto and train make from now on."""
    fits: list[tuple[str, tuple[str, ...] | None]] = []
    real = fitting.fit_one

    def counted(config, prep, **options):
        fits.append((config.model, options.get("splits")))
        return real(config, prep, **options)

    monkeypatch.setattr(auto, "fit_one", counted)
    monkeypatch.setattr(train, "fit_one", counted)
    return fits


def test_auto_keeps_the_best_validation_mcc_and_never_reads_test_labels(
    planted, candidates, tmp_path: Path, capsys, monkeypatch
) -> None:
    data, test = planted
    fits = count_fits(monkeypatch)
    clean = run_auto(data, test, tmp_path / "clean")
    # each candidate is fitted once, scoring validation only; the chosen one is not refitted
    assert fits == [(name, ("val",)) for name in ("kmer_lr", "kmer_nb", "fast_accurate_cnn")]
    assert "test" in clean and clean["auto"]["skipped"] == 0
    rows = {r["model"]: r for r in clean["auto"]["candidates"]}
    printed = capsys.readouterr().out
    for i, (name, row) in enumerate(rows.items(), 1):  # one progress line per candidate
        assert f"auto: candidate {i}/3  {name}: validation MCC {row['val_mcc']:.3f}" in printed
    assert list(rows) == ["kmer_lr", "kmer_nb", "fast_accurate_cnn"]
    best = max(r["val_mcc"] for r in rows.values())
    best_name = clean["auto"]["chosen"]
    assert rows[best_name]["val_mcc"] == best
    assert clean["model"] == clean["auto"]["chosen"]
    # the chosen model's own run scores the same validation split the choice used
    assert clean["val"]["mcc"] == pytest.approx(best, abs=1e-4)
    # and the saved model is the candidate itself: reloaded, it predicts exactly its figures
    saved = evaluate_run(tmp_path / "clean", data, split="val")["metrics"]
    for figure in ("mcc", "accuracy", "f1_macro"):
        assert round(saved[figure], 4) == rows[clean["model"]][f"val_{figure}"]
    assert yaml.safe_load((tmp_path / "clean" / "config.yaml").read_text())["model"] == best_name
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
        (["--resume"], "--resume continues one model's interrupted fit"),
        (["--init", "elsewhere"], "--init starts one model from an earlier run"),
        (["--time-budget", "0"], "--time-budget must be a number in (0, "),
        (["--time-budget", "-1"], "--time-budget must be a number in (0, "),
        (["--time-budget", "abc"], "--time-budget must be a number in (0, "),
        (["--time-budget", "nan"], "--time-budget must be a number in (0, "),
    ],
)
def test_auto_refusals_are_one_line(planted, candidates, tmp_path, capsys, extra, message):
    data, test = planted
    argv = ["train", "--data", str(data), "--test", str(test), "--model", "auto", *FAST]
    assert main([*argv, *extra, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_recipe_fills_only_the_settings_left_at_the_library_default() -> None:
    gated = auto.Candidate("gated_dilated_cnn", {"epochs": 20, "lr": 3e-3, "augment": {"rc": 0.5}})
    own, taken = auto.candidate_config(TrainConfig(data="x.csv"), gated)
    assert (own.epochs, own.lr, own.augment, taken) == (
        20,
        3e-3,
        {"rc": 0.5},
        [
            "augment",
            "epochs",
            "lr",
        ],
    )
    quick = TrainConfig(data="x.csv", epochs=2, augment={"rc": 0.2})
    own, taken = auto.candidate_config(quick, gated)
    assert (own.epochs, own.lr, own.augment, taken) == (2, 3e-3, {"rc": 0.2}, ["lr"])
    # a classical candidate has no augmentation: the user's is left to the neural ones
    classical, taken = auto.candidate_config(quick, auto.Candidate("kmer_nb"))
    assert (classical.model, classical.augment, taken) == ("kmer_nb", {}, [])
    # the shipped table gives gated_dilated_cnn its benchmarked recipe, and nothing else one
    shipped = {c.model: dict(c.recipe) for c in auto.CANDIDATES["sequence"]}
    assert shipped["gated_dilated_cnn"] == {"epochs": 20, "lr": 3e-3, "augment": {"rc": 0.5}}
    assert all(not recipe for name, recipe in shipped.items() if name != "gated_dilated_cnn")


def test_time_budget_stops_the_first_candidate_and_skips_the_rest(
    planted, tmp_path, monkeypatch, capsys
) -> None:
    """A budget spent before the first epoch ends: the first (neural) candidate still runs and
    stops after one epoch with its reason recorded; the others are skipped, never chosen."""
    gated = auto.Candidate("gated_dilated_cnn", {"epochs": 20, "lr": 3e-3, "augment": {"rc": 0.5}})
    cnn, nb = auto.Candidate("fast_accurate_cnn"), auto.Candidate("kmer_nb")
    use_candidates(monkeypatch, cnn, nb, gated)
    data, test = planted
    argv = ["train", "--data", str(data), "--test", str(test), "--model", "auto", *FAST]
    out = tmp_path / "run"
    assert main([*argv, "--time-budget", "0.00001", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    first, *skipped = metrics["auto"]["candidates"]
    assert (first["model"], first["stopped"], first["epochs_run"]) == (
        "fast_accurate_cnn",
        "time_budget",
        1,
    )
    assert [row["model"] for row in skipped] == ["kmer_nb", "gated_dilated_cnn"]
    assert all(row["skipped"].startswith("time budget spent") for row in skipped)
    assert all("val_mcc" not in row for row in skipped)
    assert metrics["auto"]["skipped"] == 2 and metrics["auto"]["chosen"] == "fast_accurate_cnn"
    assert metrics["auto"]["time_budget_seconds"] == pytest.approx(0.0006)
    # the run is the stopped candidate: one epoch, and why it stopped
    assert (metrics["epochs_run"], metrics["stop_reason"]) == (1, "time_budget")
    assert metrics["time_budget_minutes"] == 0.00001
    assert yaml.safe_load((out / "config.yaml").read_text())["time_budget"] == 0.00001
    # a skipped candidate still records the settings it would have had (--epochs 2 is the
    # user's; the rest of its recipe fills the defaults)
    assert skipped[1]["recipe_applied"] == ["augment", "lr"]
    assert skipped[1]["settings"]["epochs"] == 2 and skipped[1]["settings"]["lr"] == 3e-3
    assert "gated_dilated_cnn: skipped (time budget spent" in capsys.readouterr().out
    report = (out / "report.html").read_text()
    assert "Model choice (--model auto)" in report and "time budget spent" in report


def test_time_budget_stops_a_single_model_after_an_epoch(planted, tmp_path) -> None:
    data, test = planted
    argv = ["train", "--data", str(data), "--test", str(test), "--model", "fast_accurate_cnn"]
    argv += ["--epochs", "3", "--batch-size", "32", "--time-budget", "0.00001"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert (metrics["epochs_run"], metrics["best_epoch"]) == (1, 1)
    assert metrics["stop_reason"] == "time_budget"
    assert len(pd.read_csv(tmp_path / "run" / "history.csv")) == 1


def test_an_interrupted_auto_run_says_to_run_again_not_resume() -> None:
    argv = ["train", "--data", "d.csv", "--model", "auto", "--out", "run"]
    line = cli._interrupted_line(
        Interrupted(signal.SIGINT), cli.build_parser().parse_args(argv), argv
    )
    assert (
        line
        == "interrupted by SIGINT; --model auto fits its candidates afresh: run the command again"
    )
