"""genoclass tune: ordered grid, grid and TPE over an Optuna SQLite study; resume; two workers."""

from __future__ import annotations

import json
import multiprocessing
import re
import signal
import subprocess
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


def test_ordered_grid_steps_in_order_and_resumes(data: Path, tmp_path: Path, capsys) -> None:
    out = run_tune(_config(data, tmp_path / "t"), data / "space.yaml", objective="accuracy")
    trials = [x for x in capsys.readouterr().out.splitlines() if x.startswith("trial ")]
    assert [t.split("  ")[0] for t in trials] == [f"trial {i}/4" for i in range(1, 5)]
    assert trials[0].split("  ")[1] == "C=0.0001, max_iter=50" and "ETA" in trials[0]
    assert re.search(r"  accuracy \d\.\d{4} \(best \d\.\d{4}\)", trials[0])
    assert trials[2].split("  ")[2].endswith("(reused)")  # step 2 starts from step 1's choice
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


def test_tpe_runs_the_requested_trials_in_total(data: Path, tmp_path: Path, capsys) -> None:
    config = _config(data, tmp_path / "tpe")
    run_tune(config, data / "space.yaml", strategy="tpe", n_trials=3, retrain=False)
    # one line per trial trained (a repeated point reuses its twin and prints nothing)
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("trial ")]
    assert lines and lines[0].startswith("trial 1/3  C=")
    assert all(re.match(r"trial [123]/3  C=\S+, max_iter=\d+  integrated_f1 ", x) for x in lines)
    out = run_tune(config, data / "space.yaml", strategy="tpe", n_trials=4, retrain=False)
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 4 and set(trials["state"]) == {"COMPLETE"}
    assert {"accuracy", "val_loss", "f1_macro", "mcc", "integrated_f1"} <= set(trials.columns)


#: a tune worker that SIGKILLs itself when its second trial starts training
DIE_IN_SECOND_TRIAL = """
import os, signal, sys
from genoclass.workflows import tune
evaluate, started = tune.TrialEvaluator.__call__, []
def die_in_second(self, params):
    started.append(params)
    if len(started) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return evaluate(self, params)
tune.TrialEvaluator.__call__ = die_in_second
from genoclass.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("strategy", ["grid", "ordered-grid"])
def test_killed_tune_restarts_and_runs_every_point_once(data: Path, tmp_path: Path, strategy):
    out = tmp_path / "t"
    argv = ["tune", "--data", str(data / "m.csv"), "--space", str(data / "space.yaml")]
    argv += ["--strategy", strategy, "--objective", "mcc", "--no-retrain", "--out", str(out)]
    child = subprocess.run([sys.executable, "-c", DIE_IN_SECOND_TRIAL, *argv], timeout=300)
    assert child.returncode == -signal.SIGKILL
    study_name = f"logistic_regression-{strategy}-mcc"
    storage = f"sqlite:///{out / 'study.db'}"
    killed = optuna.load_study(study_name=study_name, storage=storage).trials
    assert [t.state.name for t in killed] == ["COMPLETE", "RUNNING"]
    assert main(argv) == 0  # the restart
    trials = optuna.load_study(study_name=study_name, storage=storage).trials
    assert trials[1].state.name == "FAIL"  # the killed trial, no longer RUNNING
    done = [(t.params["C"], t.params["max_iter"]) for t in trials if t.state.name == "COMPLETE"]
    expected = {(c, m) for c in (0.0001, 1.0) for m in (50, 500)}
    if strategy == "ordered-grid":  # one parameter at a time: C at max_iter 50, then max_iter
        expected = {(0.0001, 50), (1.0, 50), (1.0, 500)}
    assert sorted(done) == sorted(expected)  # every point once: none lost, none repeated
    assert (trials[1].params["C"], trials[1].params["max_iter"]) in set(done)
