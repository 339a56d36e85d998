"""Neural networks on a preprocessed gene vector: S4's 1-D CNN and a plain MLP.

Output activation (S4's options softmax / softplus / softsign / swish): the training loss
applies its own softmax (or sigmoid for two classes), so ``softmax`` means the output layer's
values go to the loss unchanged (exactly softmax + cross-entropy), while any other output
activation f is applied to the output layer and f(z) is what the loss normalises. All four
therefore train with the same loss and yield proper probabilities; they differ in the
range of the scores (softsign bounds them to [-1, 1], which caps confidence).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from genoclass.config import Bounds
from genoclass.errors import InputError
from genoclass.models.registry import KERNEL, UNITS, Param, dropout_param, register

#: activation name -> module factory (S4's options: conv elu/gelu/sigmoid/linear/relu/selu,
#: dense elu/gelu/linear/relu/selu, output softmax/softplus/softsign/swish)
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "linear": nn.Identity,
    "relu": nn.ReLU,
    "selu": nn.SELU,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "softsign": nn.Softsign,
    "swish": nn.SiLU,
    "tanh": nn.Tanh,
    "softmax": nn.Identity,  # the loss's softmax; see the module docstring
}
ACTIVATION = Bounds("str", choices=tuple(sorted(ACTIVATIONS)))


def activation(name: str) -> nn.Module:
    """The activation module called ``name`` (an unknown name lists the known ones)."""
    if name not in ACTIVATIONS:
        raise InputError(f"unknown activation {name!r}; use one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


class ExpressionCNN(nn.Module):
    """S4's 1-D CNN: ``n_conv_layers`` x (conv ``filters`` x ``kernel_size``, activation,
    max-pool ``pool_size``), flatten, dense ``dense_units`` with activation and dropout,
    output layer with ``output_activation``.

    ``batch_norm`` (not in S4) centres the pooled conv features before the very wide dense
    layer: with all-positive inputs (sigmoid conv of log2 CPM) the dense layer's hundreds of
    thousands of weights otherwise move in step under Adam and training diverges.
    """

    def __init__(
        self,
        n_outputs: int,
        input_length: int,
        n_conv_layers: int = 1,
        filters: int = 32,
        kernel_size: int = 3,
        pool_size: int = 2,
        dense_units: int = 64,
        conv_activation: str = "sigmoid",
        dense_activation: str = "selu",
        output_activation: str = "softmax",
        dropout: float = 0.25,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        if not 1 <= n_conv_layers <= 3:
            raise InputError(f"n_conv_layers must be 1, 2 or 3, got {n_conv_layers}")
        layers: list[nn.Module] = []
        channels = 1
        for _ in range(n_conv_layers):
            layers += [
                nn.Conv1d(channels, filters, kernel_size),
                activation(conv_activation),
                nn.MaxPool1d(pool_size),
            ]
            channels = filters
        if batch_norm:
            layers.append(nn.BatchNorm1d(filters))
        self.features = nn.Sequential(*layers, nn.Flatten())
        with torch.no_grad():
            flat = self.features(torch.zeros(1, 1, input_length)).shape[1]
        self.head = nn.Sequential(
            nn.Linear(flat, dense_units),
            activation(dense_activation),
            nn.Dropout(dropout),
            nn.Linear(dense_units, n_outputs),
            activation(output_activation),
        )

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x.unsqueeze(1)))


class ExpressionMLP(nn.Module):
    """Fully connected network: hidden layers with activation and dropout, then logits."""

    def __init__(
        self,
        n_outputs: int,
        input_length: int,
        hidden: Sequence[int] = (256, 64),
        hidden_activation: str = "relu",
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = input_length
        for units in hidden:
            layers += [nn.Linear(width, units), activation(hidden_activation), nn.Dropout(dropout)]
            width = units
        self.net = nn.Sequential(*layers, nn.Linear(width, n_outputs))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x)


@register(
    "expr_cnn",
    "1-D CNN on the gene vector from the TCGA cancer-type study (1-3 conv layers, "
    "configurable activations)",
    input_kind="expression",
    params=[
        Param("n_conv_layers", 1, Bounds("int", 1, 3), "conv + activation + max-pool layers"),
        Param("filters", 32, Bounds("int", 1, 1024), "channels of each convolution"),
        Param("kernel_size", 3, KERNEL, "width of each convolution (in genes)"),
        Param("pool_size", 2, Bounds("int", 1, 64), "max-pool size after each convolution"),
        Param("dense_units", 64, UNITS, "units of the dense layer after flattening"),
        Param("conv_activation", "sigmoid", ACTIVATION, "activation after each convolution"),
        Param("dense_activation", "selu", ACTIVATION, "activation of the dense layer"),
        Param("output_activation", "softmax", ACTIVATION, "applied to the output layer's scores"),
        dropout_param(0.25, "after the dense layer"),
        Param("batch_norm", True, Bounds("bool"), "BatchNorm of the pooled conv features"),
    ],
)
def build_expr_cnn(n_outputs: int, input_length: int, **hp: object) -> ExpressionCNN:
    """Build S4's expression CNN (defaults: S4's optimum)."""
    return ExpressionCNN(n_outputs, input_length, **hp)  # type: ignore[arg-type]


@register(
    "expr_mlp",
    "Multi-layer perceptron on the gene vector (256-64 ReLU, dropout 0.3)",
    input_kind="expression",
    params=[
        Param("hidden", [256, 64], Bounds("ints", 1, 65536), "units of each hidden layer"),
        Param("hidden_activation", "relu", ACTIVATION, "activation of the hidden layers"),
        dropout_param(0.3, "after each hidden layer"),
    ],
)
def build_expr_mlp(n_outputs: int, input_length: int, **hp: object) -> ExpressionMLP:
    """Build the expression MLP."""
    return ExpressionMLP(n_outputs, input_length, **hp)  # type: ignore[arg-type]
