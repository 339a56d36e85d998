"""A gated, dilated residual CNN on one-hot DNA, trained from scratch.

Design follows the published evidence that plain convolutional networks match pretrained
DNA language models on short-sequence tasks when built right: ConvNova (Bo et al., ICLR
2025: a handful of gated convolution blocks with dilations 1, 1, 4, 16, 64 and kernel 9, a
dual-branch sigmoid gate, 0.4-1.7 M parameters) and the tuned one-hot CNNs of Tang et al.
(Genome Biology 2025). Our block is a pre-normalised residual gated linear unit: a
dilated convolution produces a value and a gate, ``GELU(value) * sigmoid(gate)`` is
projected back to the residual stream. The dilations grow fourfold so the receptive field
covers whole 70-500-nt inputs without holes.

Any length, exactly: every layer's output is multiplied by the length mask, batch-norm
statistics are computed over real positions only, and pooling is a masked mean and max,
so padding never changes a prediction. Reverse complement: with ``rc_average`` the model
in evaluation mode runs both strands and averages the per-position features (the reverse
strand's flipped back into forward coordinates), so its predictions are exactly the same
for a sequence and its reverse complement; train it with RC augmentation
(``--augment rc=0.5``) so both strands are seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from genoclass.config import Bounds
from genoclass.errors import InputError
from genoclass.models.layers import (
    MaskedBatchNorm1d,
    masked,
    masked_mean_max,
    padding_mask,
    reverse_complement_onehot,
    reverse_within_length,
)
from genoclass.models.registry import (
    DROPOUT,
    KERNEL,
    WIDTH,
    Param,
    dropout_param,
    register,
    with_defaults,
)

#: where a block's gate comes from: the dilated convolution itself, or a 1x1 convolution
GATES = ("conv", "pointwise")


class GatedDilatedBlock(nn.Module):
    """Pre-normalised residual gated block: masked BatchNorm, a dilated convolution giving
    the value, ``GELU(value) * sigmoid(gate)`` added to the input after dropout. The gate
    comes from the same dilated convolution (``gate="conv"``, followed by a 1x1 projection)
    or from a cheaper 1x1 convolution (``gate="pointwise"``, no projection)."""

    def __init__(
        self, width: int, kernel_size: int, dilation: int, dropout: float, gate: str
    ) -> None:
        super().__init__()
        self.norm = MaskedBatchNorm1d(width)
        self.pointwise_gate = gate == "pointwise"
        out = width if self.pointwise_gate else 2 * width
        self.conv = nn.Conv1d(
            width, out, kernel_size, padding=dilation * (kernel_size // 2), dilation=dilation
        )
        self.gate = nn.Conv1d(width, width, 1) if self.pointwise_gate else None
        self.proj = None if self.pointwise_gate else nn.Conv1d(width, width, 1)
        self.dropout = nn.Dropout(dropout)

    def dilated(self, z: torch.Tensor) -> torch.Tensor:
        """The dilated convolution, computed with only the taps that can reach inside a
        width-L input: a tap d * j away with |d * j| >= L reads zero padding at every
        position, so dropping it changes nothing (a dilation-256 block on 101-nt input is a
        1x1 convolution) and short inputs do not pay for a receptive field they cannot use."""
        dilation, centre = self.conv.dilation[0], self.conv.kernel_size[0] // 2
        reach = min(centre, (z.shape[-1] - 1) // dilation)
        if reach == centre:
            return self.conv(z)
        weight = self.conv.weight[:, :, centre - reach : centre + reach + 1]
        return F.conv1d(z, weight, self.conv.bias, padding=dilation * reach, dilation=dilation)

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        z = self.norm(h, mask)
        if self.gate is not None:
            u = F.gelu(self.dilated(z)) * torch.sigmoid(self.gate(z))
        else:
            value, gate = self.dilated(z).chunk(2, dim=1)
            u = self.proj(F.gelu(value) * torch.sigmoid(gate))
        return h + masked(self.dropout(u), mask)


class GatedDilatedTrunk(nn.Module):
    """One-hot (B, 4, L) -> stem convolution -> gated dilated residual blocks -> masked
    BatchNorm + GELU (per-position features) -> masked mean and max pooled and concatenated
    (``feature_dim`` = 2 x width). The trunk of ``gated_dilated_cnn`` and of the models that
    extend it; ``name`` is the model named in input errors."""

    name = "gated_dilated_cnn"

    def __init__(
        self,
        width: int = 64,
        kernel_size: int = 5,
        dilations: Sequence[int] = (1, 1, 4, 16, 64),
        stem_kernel: int = 9,
        gate: str = "pointwise",
        dropout: float = 0.1,
        rc_average: bool = True,
    ) -> None:
        super().__init__()
        check_odd_kernels(self.name, kernel_size, stem_kernel)
        self.rc_average = rc_average
        self.stem = nn.Conv1d(4, width, stem_kernel, padding=stem_kernel // 2)
        self.blocks = nn.ModuleList(
            GatedDilatedBlock(width, kernel_size, d, dropout, gate) for d in dilations
        )
        self.out_norm = MaskedBatchNorm1d(width)
        self.feature_dim = 2 * width
        self.receptive_field = stem_kernel + sum((kernel_size - 1) * d for d in dilations)

    def _one_strand(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        mask = padding_mask(lengths, x)
        h = masked(F.gelu(self.stem(x)), mask)
        for block in self.blocks:
            h = block(h, mask)
        return masked(F.gelu(self.out_norm(h, mask)), mask)

    def position_features(
        self, x: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(B, width, L) per-position trunk features, zero past each length; in evaluation
        mode with ``rc_average``, the mean of both strands' features in forward coordinates."""
        if not (self.rc_average and not self.training):
            return self._one_strand(x, lengths)
        both_lengths = None if lengths is None else torch.cat([lengths, lengths])
        both = self._one_strand(torch.cat([x, reverse_complement_onehot(x, lengths)]), both_lengths)
        forward, reverse = both.chunk(2)
        return 0.5 * (forward + reverse_within_length(reverse, lengths))

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, 2 x width): masked mean and max of the per-position features."""
        h = self.position_features(x, lengths)
        return torch.cat(masked_mean_max(h, padding_mask(lengths, h)), dim=1)


class GatedDilatedCNN(GatedDilatedTrunk):
    """The gated dilated trunk (``features``; ``trunk`` are its keyword arguments) -> head
    (dropout + linear)."""

    def __init__(
        self, n_outputs: int, input_length: int, head_dropout: float = 0.2, **trunk: Any
    ) -> None:
        super().__init__(**trunk)
        self.head = nn.Sequential(nn.Dropout(head_dropout), nn.Linear(self.feature_dim, n_outputs))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, lengths))


def check_odd_kernels(model: str, kernel_size: int, stem_kernel: int) -> None:
    """Refuse even kernel widths of ``model`` (types and ranges are checked by the registry's
    bounds): an even convolution cannot stay centred, so features would drift by half a base."""
    for name, value in (("kernel_size", kernel_size), ("stem_kernel", stem_kernel)):
        if value % 2 == 0:
            raise InputError(f"{model}: {name} must be odd, got {value}")


#: switches strand averaging at inference
RC_AVERAGE = Param(
    "rc_average",
    True,
    Bounds("bool"),
    "average both strands' features at inference (strand-invariant predictions)",
)
#: hyperparameters of the gated dilated trunk and its head (shared with models that extend it)
GATED_PARAMS = (
    Param("width", 64, WIDTH, "channels of the residual stream"),
    Param("kernel_size", 5, KERNEL, "width of each block's dilated convolution (odd)"),
    Param(
        "dilations",
        [1, 1, 4, 16, 64],
        Bounds("ints", 1, 4096),
        "dilation of each gated residual block, one block per entry",
    ),
    Param("stem_kernel", 9, KERNEL, "width of the first convolution on one-hot input (odd)"),
    Param(
        "gate",
        "pointwise",
        Bounds("str", choices=GATES),
        "where each block's sigmoid gate comes from: a 1x1 convolution (pointwise) or "
        "the dilated convolution itself (conv, twice the parameters)",
    ),
    dropout_param(0.1, "on each block's output before the residual sum"),
    Param("head_dropout", 0.2, DROPOUT, "dropout before the output layer"),
    RC_AVERAGE,
)


@register(
    "gated_dilated_cnn",
    "Gated dilated residual CNN (ConvNova-style): one-hot, width 64, 5 gated blocks k5 with "
    "dilations 1-1-4-16-64, masked mean+max pool, reverse-complement averaged; any length",
    input_kind="onehot",
    params=GATED_PARAMS,
)
def build_gated_dilated_cnn(n_outputs: int, input_length: int, **hp: object) -> nn.Module:
    """Build the gated dilated CNN."""
    return GatedDilatedCNN(n_outputs, input_length, **hp)


#: the smaller configuration: at least fast_accurate_cnn's training speed on 101-nt input
#: (BENCHMARKS.md, "The accuracy table"); its receptive field (135 nt) covers 101-nt inputs
SMALL_DEFAULTS = {"width": 32, "dilations": [1, 4, 16], "kernel_size": 7}
register(
    "gated_dilated_cnn_small",
    "gated_dilated_cnn at width 32 with 3 gated blocks k7 (dilations 1-4-16; 135-nt receptive "
    "field): trains as fast as fast_accurate_cnn on 101-nt input; any length",
    input_kind="onehot",
    params=with_defaults(GATED_PARAMS, **SMALL_DEFAULTS),
)(build_gated_dilated_cnn)
