"""The Classifier seam's transfer hooks (trunk weights, frozen trunk, trunk learning rate)
and the recipe registry."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from genoclass.cli import main
from genoclass.data.loaders import encode_sequences
from genoclass.data.synthetic import demo_sequences
from genoclass.errors import InputError
from genoclass.models.serialize import ModelCard
from genoclass.training import recipes
from genoclass.training.classifier import NeuralClassifier
from genoclass.training.fit import fit_model
from genoclass.training.recipes import FitSettings, Recipe, get_recipe, register_recipe
from genoclass.training.transfer import parameter_groups


class TrunkAndHead(nn.Module):
    """The trunk + head contract at its smallest: embedding, mean pool, linear head."""

    feature_dim = 8

    def __init__(self, n_outputs: int = 1, width: int = 8) -> None:
        super().__init__()
        self.embedding = nn.Embedding(6, width, padding_idx=0)
        self.mix = nn.Linear(width, self.feature_dim)
        self.head = nn.Linear(self.feature_dim, n_outputs)

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return torch.relu(self.mix(self.embedding(x).mean(1)))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, lengths))


def classifier(seed: int, width: int = 8) -> NeuralClassifier:
    torch.manual_seed(seed)
    card = ModelCard("test_trunk_and_head", {}, ["background", "motif"], 40)
    return NeuralClassifier(TrunkAndHead(width=width), card)


@pytest.fixture(scope="module")
def train_set():
    table = demo_sequences(seed=3, n_per_class=40, length=40)
    y = (table["label"] == "motif").to_numpy(np.int64)
    return encode_sequences(table["sequence"].tolist(), y, input_kind="tokens", max_len=40)


def trunk(c: NeuralClassifier) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in c.trunk_state().items()}


QUICK = FitSettings(epochs=2, batch_size=16, lr=1e-2, progress=False)


def test_trunk_weights_come_from_another_model_and_the_head_stays() -> None:
    source, target = classifier(1), classifier(2)
    head = target.model.head.weight.detach().clone()
    target.load_trunk(source.model.state_dict(), source="run A")
    for key, value in source.trunk_state().items():
        assert torch.equal(target.trunk_state()[key], value)
    assert torch.equal(target.model.head.weight, head)
    with pytest.raises(InputError, match="run B.*other shape"):
        target.load_trunk(classifier(3, width=4).model.state_dict(), source="run B")


def test_a_frozen_trunk_does_not_change_while_the_head_learns(train_set) -> None:
    c = classifier(4)
    before, head = trunk(c), c.model.head.weight.detach().clone()
    c.freeze_trunk()
    assert c.n_parameters() == sum(p.numel() for p in c.model.head.parameters())
    c.fit(train_set, None, QUICK)
    assert all(torch.equal(before[k], v) for k, v in c.trunk_state().items())
    assert not torch.equal(c.model.head.weight, head)


def test_the_trunk_gets_its_own_learning_rate(train_set) -> None:
    groups = parameter_groups(classifier(5).model, 0.01, trunk_lr_scale=0.1)
    assert [g["lr"] for g in groups] == pytest.approx([0.01, 0.001])  # head, trunk
    still = classifier(6)
    before = trunk(still)
    still.fit(train_set, None, FitSettings(**{**QUICK.__dict__, "trunk_lr_scale": 0.0}))
    assert all(torch.equal(before[k], v) for k, v in still.trunk_state().items())
    moving = classifier(6)
    moving.fit(train_set, None, QUICK)
    assert not all(torch.equal(before[k], v) for k, v in moving.trunk_state().items())


def test_a_new_recipe_is_one_registry_entry(train_set, monkeypatch) -> None:
    monkeypatch.setattr(recipes, "RECIPES", dict(recipes.RECIPES))
    register_recipe(
        Recipe(
            "sgd_constant",
            "plain SGD at a constant rate",
            lambda groups, settings, steps: torch.optim.SGD(groups, lr=settings.lr),
        )
    )
    settings = FitSettings(**{**QUICK.__dict__, "recipe": "sgd_constant", "lr": 0.05})
    result = fit_model(classifier(7).model, train_set, None, 2, settings)
    assert result.history["lr"].tolist() == [0.05, 0.05]
    with pytest.raises(ValueError, match="registered twice"):
        register_recipe(get_recipe("sgd_constant"))
    with pytest.raises(InputError, match="unknown --recipe 'nope'.*early_stopping"):
        get_recipe("nope")


def test_an_unknown_recipe_is_refused_before_reading_data(tmp_path, capsys) -> None:
    data = tmp_path / "d.csv"
    demo_sequences(seed=0, n_per_class=10, length=20).to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--recipe", "cosine", "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "unknown --recipe 'cosine'; available: early_stopping, onecycle" in error
