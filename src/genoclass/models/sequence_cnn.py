"""Token-embedding CNNs of study S0: the Genomic Benchmarks baseline and FastAccurateCNN."""

from __future__ import annotations

import torch
from torch import nn

from genoclass.alphabet import N_TOKENS, PAD_ID
from genoclass.config import Bounds
from genoclass.models.layers import SeparableResidualBlock, length_mask, masked_mean_max, sinusoid
from genoclass.models.registry import (
    DROPOUT,
    KERNEL,
    UNITS,
    Param,
    dropout_param,
    embed_param,
    register,
)


class GBBaselineCNN(nn.Module):
    """The Genomic Benchmarks reference CNN with raw logits out (the reference's sigmoid
    before a with-logits loss is corrected). Trunk: embedding + conv stack, flattened
    (fixed length); head: the two dense layers."""

    #: state-dict key prefixes of run directories written before trunk + head -> today's
    LEGACY_KEYS = {"features.": "trunk.", "dense.": "head."}

    def __init__(self, n_outputs: int, input_length: int, embed_dim: int = 100) -> None:
        super().__init__()
        self.embedding = nn.Embedding(N_TOKENS, embed_dim, padding_idx=PAD_ID)
        self.trunk = nn.Sequential(
            nn.Conv1d(embed_dim, 16, kernel_size=8),
            nn.ReLU(),
            nn.BatchNorm1d(16),
            nn.MaxPool1d(2),
            nn.Conv1d(16, 8, kernel_size=8),
            nn.BatchNorm1d(8),
            nn.MaxPool1d(2),
            nn.Conv1d(8, 4, kernel_size=8),
            nn.BatchNorm1d(4),
            nn.MaxPool1d(2),
            nn.Flatten(),
        )
        self.feature_dim = self.trunk(torch.zeros(2, embed_dim, input_length)).shape[1]
        self.head = nn.Sequential(nn.Linear(self.feature_dim, 512), nn.Linear(512, n_outputs))

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, feature_dim) flattened conv features of fixed-length token rows."""
        return self.trunk(self.embedding(x).transpose(1, 2))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, lengths))


class FastAccurateCNN(nn.Module):
    """S0's optimised CNN: embedding, three separable residual blocks (32-64-128, kernel 3),
    masked global average + max pooling (any length), LayerNorm, 128-64-classes head.

    Two additions beyond S0's table, chosen on validation data (benchmarks/s0_tune_nontata.py,
    BENCHMARKS.md): ``dilated`` gives block i a depthwise dilation of 2**i (receptive field
    18 -> 46 nt at kernel 3) and ``block_dropout`` drops block outputs during training. The
    registry defaults turn both on; the constructor defaults (off) are S0's plain model, so
    a model card saved without these keys rebuilds the architecture it was trained with.
    ``positional`` (off by default) adds a fixed sinusoidal position code to the embedding of
    every non-padding token, so pooled features can depend on where a motif sits (useful for
    aligned windows such as promoters around a start site); it keeps any-length input.
    """

    def __init__(
        self,
        n_outputs: int,
        input_length: int,
        embed_dim: int = 64,
        channels: tuple[int, ...] = (32, 64, 128),
        kernel_size: int = 3,
        hidden: int = 64,
        dropout: float = 0.3,
        block_dropout: float = 0.0,
        dilated: bool = False,
        positional: bool = False,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(N_TOKENS, embed_dim, padding_idx=PAD_ID)
        self.positional = positional
        widths = (embed_dim, *channels)
        self.blocks = nn.ModuleList(
            SeparableResidualBlock(a, b, kernel_size, 2**i if dilated else 1)
            for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True))
        )
        self.block_dropout = nn.Dropout(block_dropout)
        self.pool = nn.MaxPool1d(2, ceil_mode=True)
        self.norm = nn.LayerNorm(channels[-1])
        self.feature_dim = channels[-1]
        self.head = nn.Sequential(
            nn.Linear(channels[-1], hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_outputs),
        )

    def last_block(
        self, x: torch.Tensor, lengths: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, C, ceil(L / 2**(blocks - 1))) output of the last block (zero past each
        sequence's end) and the sequences' lengths at that resolution."""
        h = self.embedding(x)
        if self.positional:  # padding keeps a zero embedding, so predictions ignore it
            h = h + sinusoid(x.shape[1], h.shape[-1], h) * (x != PAD_ID).unsqueeze(-1)
        h = h.transpose(1, 2)
        for i, block in enumerate(self.blocks):
            mask = length_mask(lengths, h.shape[-1], h)
            h = self.block_dropout(block(h)) * mask
            if i < len(self.blocks) - 1:
                # padding must never win a max-pool window, so it is pushed far down first
                h = self.pool(h.masked_fill(mask == 0, -1e4))
                if lengths is not None:
                    lengths = torch.div(lengths + 1, 2, rounding_mode="floor")
                h = h * length_mask(lengths, h.shape[-1], h)
        return h, lengths

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Global (masked) average + max of the last block, layer-normed: (B, channels[-1])."""
        h, lengths = self.last_block(x, lengths)
        avg, peak = masked_mean_max(h, length_mask(lengths, h.shape[-1], h))
        return self.norm(avg + peak)

    def position_features(
        self, x: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(B, channels[-1], L) last-block output repeated back to input resolution (each
        pooled step covers 2**(blocks - 1) bases); zero past each sequence's end."""
        h, _ = self.last_block(x, lengths)
        step = 2 ** (len(self.blocks) - 1)
        h = h.repeat_interleave(step, dim=-1)[..., : x.shape[1]]
        return h * length_mask(lengths, x.shape[1], h)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, lengths))


@register(
    "gb_cnn",
    "Genomic Benchmarks baseline CNN: embedding 100, conv 16-8-4 k8, dense 512; fixed length",
    input_kind="tokens",
    params=[embed_param(100)],
    fixed_length=True,
)
def build_gb_cnn(n_outputs: int, input_length: int, **hp: object) -> nn.Module:
    """Build the Genomic Benchmarks baseline CNN."""
    return GBBaselineCNN(n_outputs, input_length, **hp)


@register(
    "fast_accurate_cnn",
    "optimised Genomic Benchmarks CNN: dilated separable residual conv 32-64-128 k3, "
    "avg+max pool, any length",
    input_kind="tokens",
    params=[
        embed_param(64),
        Param(
            "channels",
            [32, 64, 128],
            Bounds("ints", 1, 4096),
            "output channels of the residual blocks, one block per entry",
        ),
        Param("kernel_size", 3, KERNEL, "width of each block's depthwise convolution"),
        Param("hidden", 64, UNITS, "units of the head's hidden layer", trunk=False),
        dropout_param(0.3),
        Param(
            "block_dropout",
            0.1,
            DROPOUT,
            "dropout after each residual block (training only)",
            trunk=False,
        ),
        Param(
            "dilated", True, Bounds("bool"), "dilate block i by 2**i (receptive field 18 -> 46 nt)"
        ),
        Param(
            "positional", False, Bounds("bool"), "add a sinusoidal position code to the embedding"
        ),
    ],
)
def build_fast_accurate_cnn(n_outputs: int, input_length: int, **hp: object) -> nn.Module:
    """Build S0's FastAccurateCNN."""
    hp = dict(hp)
    hp["channels"] = tuple(hp["channels"])
    return FastAccurateCNN(n_outputs, input_length, **hp)
