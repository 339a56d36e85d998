"""genoclass tune: ordered grid, grid and TPE over an Optuna SQLite study; resume; two workers."""

from __future__ import annotations

import json
import multiprocessing
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest

from genoclass.cli import main
from genoclass.config import load_config
from genoclass.data.synthetic_expression import planted_marker_expression
from genoclass.workflows.tune import run_tune


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tune")
    matrix, labels, _ = planted_marker_expression(12, 60, 3, ["A", "B", "C"], seed=2)
    matrix.assign(label=labels).to_csv(folder / "m.csv")
    (folder / "space.yaml").write_text(
        "model: logistic_regression\nparams:\n  C: [0.0001, 1.0]\n  max_iter: [50, 500]\n"
    )
    return folder


def _config(data: Path, out: Path):
    return load_config(
        None, {"data": str(data / "m.csv"), "test_size": 0.3, "val_size": 0.3, "out": str(out)}
    )


def test_ordered_grid_steps_in_order_and_resumes(data: Path, tmp_path: Path) -> None:
    out = run_tune(_config(data, tmp_path / "t"), data / "space.yaml", objective="accuracy")
    best = json.loads((out / "best.json").read_text())
    assert [s["param"] for s in best["steps"]] == ["C", "max_iter"]
    assert best["steps"][0]["values"] == [0.0001, 1.0]
    assert best["best"]["C"] == 1.0  # tiny C underfits: every sample gets the same class
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 3  # the second step reuses the (C=1, max_iter=50) trial
    assert json.loads((out / "best_run" / "metrics.json").read_text())["test"]["n"] == 11
    assert "criteria against C" in (out / "tune_report.html").read_text()
    run_tune(_config(data, tmp_path / "t"), data / "space.yaml", objective="accuracy")
    assert len(pd.read_csv(out / "trials.csv")) == 3  # resumed: no trial repeated


def _worker(data: Path, out: Path, storage: str) -> None:
    """One tune worker process: the CLI's `tune --strategy grid` on a shared study."""
    args = [
        "tune",
        "--space",
        str(data / "space.yaml"),
        "--strategy",
        "grid",
        "--objective",
        "mcc",
        "--storage",
        storage,
        "--study",
        "shared",
        "--no-retrain",
        "--data",
        str(data / "m.csv"),
        "--val-size",
        "0.3",
        "--out",
        str(out),
    ]
    sys.exit(main(args))


def test_two_workers_share_one_grid_study(data: Path, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    # fork: the workers start without re-importing torch (a fresh interpreter takes seconds)
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_worker, args=(data, tmp_path / f"w{i}", storage)) for i in (1, 2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    study = optuna.load_study(study_name="shared", storage=storage)
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert {(t.params["C"], t.params["max_iter"]) for t in done} == {
        (c, m) for c in (0.0001, 1.0) for m in (50, 500)
    }
    assert len(done) == 4  # the grid was split between the workers, nothing run twice


def test_tpe_runs_the_requested_trials_in_total(data: Path, tmp_path: Path) -> None:
    config = _config(data, tmp_path / "tpe")
    run_tune(config, data / "space.yaml", strategy="tpe", n_trials=3, retrain=False)
    out = run_tune(config, data / "space.yaml", strategy="tpe", n_trials=4, retrain=False)
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 4 and set(trials["state"]) == {"COMPLETE"}
    assert {"accuracy", "val_loss", "f1_macro", "mcc", "integrated_f1"} <= set(trials.columns)
