"""Expression networks: every S4 option builds and gives one row of logits per sample."""

from __future__ import annotations

import pytest
import torch

from genoclass.errors import InputError
from genoclass.models.expression_nets import ExpressionCNN, ExpressionMLP


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_cnn_layers_and_shapes(layers: int) -> None:
    model = ExpressionCNN(7, 100, n_conv_layers=layers, filters=4, kernel_size=3, pool_size=2)
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv1d)]
    assert len(convs) == layers
    assert model(torch.randn(5, 100)).shape == (5, 7)


@pytest.mark.parametrize(
    ("conv", "dense", "output"),
    [
        ("elu", "elu", "softmax"),
        ("gelu", "gelu", "softplus"),
        ("sigmoid", "linear", "softsign"),
        ("linear", "relu", "swish"),
        ("relu", "selu", "softmax"),
        ("selu", "selu", "softmax"),
    ],
)
def test_every_s4_activation_builds(conv: str, dense: str, output: str) -> None:
    model = ExpressionCNN(
        3, 40, conv_activation=conv, dense_activation=dense, output_activation=output
    )
    out = model(torch.randn(2, 40))
    assert out.shape == (2, 3) and torch.isfinite(out).all()


def test_softsign_output_bounds_the_logits() -> None:
    model = ExpressionCNN(3, 40, output_activation="softsign")
    out = model(100 * torch.randn(8, 40))
    assert out.abs().max() <= 1


def test_bad_options_are_input_errors() -> None:
    with pytest.raises(InputError, match="n_conv_layers must be 1, 2 or 3"):
        ExpressionCNN(2, 50, n_conv_layers=4)
    with pytest.raises(InputError, match="unknown activation 'mish'"):
        ExpressionCNN(2, 50, conv_activation="mish")


def test_mlp_binary_single_logit() -> None:
    assert ExpressionMLP(1, 30, hidden=(8,))(torch.randn(4, 30)).shape == (4, 1)
