"""Attribution functions on models whose answers are known exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from genoclass.interpret.attributions import (
    METHODS,
    ClassScores,
    attribute,
    ism,
    onehot_model,
    position_scores,
)
from genoclass.models.serialize import ModelCard, build_model
from genoclass.sequence.encoding import one_hot, tokenize


class LinearOneHot(nn.Module):
    """Binary model whose logit is a fixed weighted sum of one-hot entries."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return (x * self.weight).sum((1, 2))[:, None]


def _tokens(seqs: list[str], width: int) -> tuple[torch.Tensor, torch.Tensor]:
    tokens, lengths = tokenize(seqs, max_len=width)
    return torch.from_numpy(tokens.astype(np.int64)), torch.from_numpy(lengths)


def test_onehot_adapter_reproduces_token_logits_including_n_and_padding() -> None:
    torch.manual_seed(0)
    card = ModelCard(
        "fast_accurate_cnn",
        {"embed_dim": 8, "channels": [8, 8, 8], "kernel_size": 3, "hidden": 8, "dropout": 0.0},
        ["a", "b", "c"],
        30,
    )
    model = build_model(card).eval()
    tokens, lengths = _tokens(["ACGTNNACGTACGGT", "TTTTGGGGCCCCAAAANACGT"], 30)
    x = torch.from_numpy(one_hot(tokens.numpy().astype(np.uint8)))
    expected = model(tokens, lengths)
    assert torch.allclose(onehot_model(model)(x, lengths), expected, atol=1e-5)


@pytest.mark.parametrize("name", ["kmer_dan", "kmer_cnn"])
def test_kmer_models_read_one_hot_back_as_tokens_exactly(name: str) -> None:
    torch.manual_seed(0)
    card = ModelCard(name, {"k": 3, "embed_dim": 8}, ["a", "b", "c"], 30)
    model = build_model(card).eval()
    tokens, lengths = _tokens(["ACGTNNACGTACGGT", "TTTTGGGGCCCCAAAANACGT"], 30)
    x = torch.from_numpy(one_hot(tokens.numpy().astype(np.uint8)))
    with torch.no_grad():
        wrapped = onehot_model(model, gradients=False)(x, lengths)
        assert torch.equal(wrapped, model(tokens, lengths))


def test_gradient_methods_of_a_linear_model_equal_its_weights() -> None:
    weight = torch.randn(4, 12, generator=torch.Generator().manual_seed(1))
    model = LinearOneHot(weight)
    x = torch.from_numpy(one_hot(_tokens(["ACGTACGTACGT"], 12)[0].numpy().astype(np.uint8)))
    assert torch.allclose(attribute(model, x, 1, "saliency"), weight.abs()[None])
    assert torch.allclose(attribute(model, x, 0, "input_x_gradient"), -(x * weight))
    ig = attribute(model, x, 1, "integrated_gradients")
    assert torch.allclose(ig, x * weight, atol=1e-5)  # linear: IG from zero = input x weight
    assert torch.allclose(attribute(model, x, 1, "deeplift"), x * weight, atol=1e-5)


@torch.no_grad()
def test_ism_equals_brute_force_mutation() -> None:
    torch.manual_seed(0)
    card = ModelCard(
        "fast_accurate_cnn",
        {"embed_dim": 8, "channels": [8, 8, 8], "kernel_size": 3, "hidden": 8, "dropout": 0.0},
        ["a", "b", "c"],
        20,
    )
    model = onehot_model(build_model(card).eval())
    tokens, lengths = _tokens(["ACGTTGCAACGTTGCAACGT", "GGGCCCAAATTT"], 20)
    x = torch.from_numpy(one_hot(tokens.numpy().astype(np.uint8)))
    got = ism(model, x, torch.tensor([2, 1]), lengths, batch_size=7)
    scores = []
    for base in range(4):
        mutant = x[1:2].clone()
        mutant[0, :, 5] = 0.0
        mutant[0, base, 5] = 1.0
        scores.append(ClassScores(model)(mutant, lengths[1:2])[0, 1].item())
    assert np.allclose(got[1, :, 5].numpy(), np.array(scores) - np.mean(scores), atol=1e-5)
    assert torch.all(got[1, :, 12:] == 0)  # padding is never mutated


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_returns_one_value_per_input(method: str) -> None:
    model = LinearOneHot(torch.ones(4, 8))
    x = torch.from_numpy(one_hot(_tokens(["ACGTACGT", "TTTTAAAA"], 8)[0].numpy().astype(np.uint8)))
    out = attribute(model, x, torch.tensor([0, 1]), method, batch_size=1)
    assert out.shape == x.shape and position_scores(out, x).shape == (2, 8)
