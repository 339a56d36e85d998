"""Study S1's one-hot CNN: stacked convolution + max-pool blocks, flatten, dense layers."""

from __future__ import annotations

import torch
from torch import nn

from genoclass.config import Bounds
from genoclass.models.registry import KERNEL, UNITS, Param, dropout_param, register


class OneHotCNN(nn.Module):
    """Conv(k) + ReLU + MaxPool(2) blocks on 4-channel one-hot input, flattened into a
    dense layer with dropout; needs every input padded to ``input_length``. Trunk: the conv
    blocks, flattened; head: the dense layers."""

    #: state-dict key prefixes of run directories written before trunk + head -> today's
    LEGACY_KEYS = {"features.": "trunk."}

    def __init__(
        self,
        n_outputs: int,
        input_length: int,
        channels: tuple[int, ...] = (32, 64),
        kernel_size: int = 5,
        hidden: int = 128,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out in zip((4, *channels[:-1]), channels, strict=True):
            layers += [
                nn.Conv1d(c_in, c_out, kernel_size, padding=kernel_size // 2),
                nn.ReLU(),
                nn.MaxPool1d(2),
            ]
        self.trunk = nn.Sequential(*layers, nn.Flatten())
        self.feature_dim = self.trunk(torch.zeros(1, 4, input_length)).shape[1]
        self.head = nn.Sequential(
            nn.Linear(self.feature_dim, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_outputs),
        )

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, feature_dim) flattened conv features of fixed-length one-hot input."""
        return self.trunk(x)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, lengths))


@register(
    "cnn",
    "gene-family comparison CNN: one-hot, conv 32-64 k5 + max-pool 2, flatten, dense 128; "
    "fixed length",
    input_kind="onehot",
    params=[
        Param(
            "channels",
            [32, 64],
            Bounds("ints", 1, 4096),
            "output channels of each conv + max-pool block, one block per entry",
        ),
        Param("kernel_size", 5, KERNEL, "width of each convolution"),
        Param("hidden", 128, UNITS, "units of the dense layer after flattening", trunk=False),
        dropout_param(0.5),
    ],
    fixed_length=True,
)
def build_cnn(n_outputs: int, input_length: int, **hp: object) -> nn.Module:
    """Build S1's one-hot CNN."""
    hp = dict(hp)
    hp["channels"] = tuple(hp["channels"])
    return OneHotCNN(n_outputs, input_length, **hp)
