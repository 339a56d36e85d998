"""Exponential moving average of the weights: the average itself, validation on it, the
kept weights, exact resume with it, and the --ema / --recipe warmup_cosine flags."""

import json

import pandas as pd
import pytest
import torch
import yaml
from lightning.pytorch.callbacks import Callback
from torch import nn

from genoclass.cli import main
from genoclass.config import TrainConfig
from genoclass.data.synthetic import demo_sequences
from genoclass.training import classifier
from genoclass.training import fit as fit_module
from genoclass.training.ema import WeightAverage, ema_decay
from genoclass.workflows.train import run_training

#: a tiny gated CNN (batch norm buffers and dropout included) trained with EMA
TINY = dict(
    model="gated_dilated_cnn",
    model_params={"width": 8, "dilations": [1, 2]},
    epochs=3,
    batch_size=16,
    lr=0.01,
    seed=4,
    recipe="warmup_cosine",
    ema=0.9,
    augment={"rc": 0.5},
)


@pytest.fixture(scope="module")
def seqs(tmp_path_factory):
    path = tmp_path_factory.mktemp("ema") / "seqs.csv"
    demo_sequences(seed=6, n_per_class=40, length=40).to_csv(path, index=False)
    return path


def _sgd_steps(model: nn.Module, average: WeightAverage, n: int) -> list[torch.Tensor]:
    """``n`` SGD steps on a fixed batch, updating ``average`` after each; the weights after
    every step."""
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    weights = []
    for _ in range(n):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        average.update()
        weights.append(model.weight.detach().clone())
    return weights


def test_average_equals_a_hand_computed_ema_and_differs_from_the_weights():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    start = model.weight.detach().clone()
    average = WeightAverage(model, decay=0.3)
    weights = _sgd_steps(model, average, 4)
    expected = start
    decays = [0.1, 2 / 11, 3 / 12, 0.3]  # (1 + t) / (10 + t), then the cap
    for d, w in zip(decays, weights, strict=True):
        expected = d * expected + (1 - d) * w
    assert [ema_decay(0.3, t) for t in range(4)] == pytest.approx(decays)
    shadow = average.averaged_state()["weight"]
    assert torch.allclose(shadow, expected, atol=1e-6)
    assert not torch.allclose(shadow, model.weight, atol=1e-3)
    assert average.updates == 4


def test_validation_runs_on_the_average_and_training_resumes_on_the_weights():
    torch.manual_seed(1)
    model = nn.Linear(3, 1)
    average = WeightAverage(model, decay=0.9)
    _sgd_steps(model, average, 3)
    raw = model.weight.detach().clone()
    average.on_validation_epoch_start(None, None)
    assert torch.equal(model.weight, average.averaged_state()["weight"])
    average.on_validation_epoch_end(None, None)
    assert torch.equal(model.weight, raw)


class Crash(Callback):
    """Fails at the end of the second epoch, like a killed job (after its validation)."""

    def on_train_epoch_end(self, trainer, module):
        if trainer.current_epoch == 1:
            raise RuntimeError("simulated crash")


def _weights_and_history(run):
    return (run / "model" / "weights.safetensors").read_bytes(), pd.read_csv(run / "history.csv")


def test_resume_with_ema_equals_an_uninterrupted_run(seqs, tmp_path, monkeypatch):
    whole = run_training(TrainConfig(data=str(seqs), out=str(tmp_path / "whole"), **TINY))
    config = TrainConfig(data=str(seqs), out=str(tmp_path / "run"), **TINY)
    monkeypatch.setattr(fit_module, "progress_callback", Crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_training(config)
    monkeypatch.undo()
    resumed = run_training(config, resume=True, progress=False)
    weights, history = _weights_and_history(resumed)
    want_weights, want_history = _weights_and_history(whole)
    assert weights == want_weights
    pd.testing.assert_frame_equal(history, want_history)
    assert history["epoch"].tolist() == [1, 2, 3]


def test_kept_weights_are_the_average_not_the_last_weights(seqs, tmp_path, monkeypatch):
    kept = {}

    def spy(model, *args, **kwargs):  # the weights fit_model leaves in the model
        result = fit_module.fit_model(model, *args, **kwargs)
        kept.update({k: v.clone() for k, v in model.state_dict().items()})
        return result

    monkeypatch.setattr(classifier, "fit_model", spy)
    averages = []
    monkeypatch.setattr(
        WeightAverage,
        "on_train_epoch_end",
        lambda self, trainer, module: averages.append(self.averaged_state()),
        raising=False,
    )
    run = run_training(TrainConfig(data=str(seqs), out=str(tmp_path / "r"), **TINY))
    best = json.loads((run / "metrics.json").read_text())["best_epoch"]
    assert len(averages) == 3 and kept.keys() == averages[best - 1].keys()
    assert all(torch.equal(kept[k], v) for k, v in averages[best - 1].items())
    assert not all(torch.equal(kept[k], v) for k, v in averages[best % 3].items())


def test_cli_records_warmup_cosine_and_ema_and_trains(seqs, tmp_path):
    out = tmp_path / "cli"
    argv = ["train", "--data", str(seqs), "--model", "gated_dilated_cnn", "--param", "width=8"]
    argv += ["--epochs", "2", "--batch-size", "16", "--lr", "0.02", "--out", str(out)]
    assert main([*argv, "--recipe", "warmup_cosine", "--ema", "0.99", "--warmup", "0.1"]) == 0
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert (config["recipe"], config["ema"], config["warmup"]) == ("warmup_cosine", 0.99, 0.1)
    history = pd.read_csv(out / "history.csv")
    assert history["lr"].iloc[-1] == pytest.approx(0.02 * config["lr_floor"])
    assert history["val_mcc"].between(-1, 1).all()
    assert (out / "model" / "weights.safetensors").exists()


def test_ema_outside_zero_one_is_refused(seqs, tmp_path, capsys):
    argv = ["train", "--data", str(seqs), "--ema", "1.5", "--out", str(tmp_path / "x")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--ema" in err and "1.5" in err
