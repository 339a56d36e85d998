"""Training engine: learning, best-epoch selection, seeding and resume after interruption."""

import json

import pandas as pd
import pytest
from lightning.pytorch.callbacks import Callback

from genoclass.config import TrainConfig
from genoclass.data.synthetic import demo_sequences
from genoclass.training import fit as fit_module
from genoclass.workflows.train import run_training


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "tiny.csv"
    demo_sequences(seed=5, n_per_class=50, length=50).to_csv(path, index=False)
    return path


class Crash(Callback):
    """Fails at the end of the second epoch, like a killed job."""

    def on_train_epoch_end(self, trainer, module):
        if trainer.current_epoch == 1:
            raise RuntimeError("simulated crash")


def test_same_seed_gives_identical_runs(tiny_csv, tmp_path):
    runs = [
        run_training(
            TrainConfig(data=str(tiny_csv), epochs=2, seed=11, out=str(tmp_path / n)),
            progress=False,
        )
        for n in ("a", "b")
    ]
    a, b = (json.loads((r / "metrics.json").read_text()) for r in runs)
    assert a["test"] == b["test"]
    assert a["stop_reason"] == "epochs"  # every epoch ran
    assert pd.read_csv(runs[0] / "history.csv").equals(pd.read_csv(runs[1] / "history.csv"))


def test_interrupted_run_keeps_checkpoint_and_resumes(tiny_csv, tmp_path, monkeypatch):
    config = TrainConfig(data=str(tiny_csv), epochs=3, seed=3, out=str(tmp_path / "run"))
    monkeypatch.setattr(fit_module, "progress_callback", Crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_training(config)
    assert not (tmp_path / "run").exists()
    assert (tmp_path / "run.partial" / "checkpoints" / "last.ckpt").exists()
    monkeypatch.undo()
    run = run_training(config, resume=True, progress=False)
    history = pd.read_csv(run / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3]
    assert not (run / "checkpoints").exists() and not (tmp_path / "run.partial").exists()


def test_early_stopping_recipe_stops_and_keeps_best_epoch(tiny_csv, tmp_path):
    config = TrainConfig(
        data=str(tiny_csv),
        epochs=40,
        seed=1,
        recipe="early_stopping",
        patience=2,
        lr=0.05,
        out=str(tmp_path / "run"),
    )
    run = run_training(config, progress=False)
    metrics = json.loads((run / "metrics.json").read_text())
    history = pd.read_csv(run / "history.csv")
    assert metrics["epochs_run"] < 40 and metrics["stop_reason"] == "early_stopping"
    assert metrics["best_epoch"] == int(history.loc[history["val_loss"].idxmin(), "epoch"])
