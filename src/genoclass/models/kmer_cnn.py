"""A k-mer embedding CNN: every overlapping k-mer gets a learnt vector, a convolution reads
runs of consecutive k-mers, and masked global max + mean pooling makes any length usable.

It is the neural counterpart of the k-mer naive-Bayes recipe (a window of 4 overlapping
6-mers spans 9 bases), so it can use whole gene sequences instead of a truncated prefix.
"""

from __future__ import annotations

import torch
from torch import nn

from genoclass.models.layers import length_mask, masked_mean_max, token_kmer_ids
from genoclass.models.registry import (
    KERNEL,
    WIDTH,
    Param,
    dropout_param,
    embed_param,
    kmer_param,
    register,
)


class KmerEmbeddingCNN(nn.Module):
    """k-mer embedding -> Conv1d over ``kernel_size`` consecutive k-mers + ReLU -> masked
    global max + mean pooling -> LayerNorm -> dropout -> linear."""

    def __init__(
        self,
        n_outputs: int,
        input_length: int,
        k: int = 8,
        embed_dim: int = 32,
        channels: int = 64,
        kernel_size: int = 2,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        self.k = k
        self.embedding = nn.Embedding(4**k + 1, embed_dim, padding_idx=4**k)
        self.conv = nn.Conv1d(embed_dim, channels, kernel_size, padding=kernel_size // 2)
        self.norm = nn.LayerNorm(channels)
        self.feature_dim = channels
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels, n_outputs))

    def kmer_features(
        self, x: torch.Tensor, lengths: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, channels, T) convolution output per k-mer start and its (B, 1, T) mask of
        k-mers that lie inside each sequence."""
        h = torch.relu(self.conv(self.embedding(token_kmer_ids(x, self.k)).transpose(1, 2)))
        n_kmers = None if lengths is None else (lengths - self.k + 1).clamp_min(1)
        return h, length_mask(n_kmers, h.shape[-1], h)

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, channels) layer-normed masked mean + max of the convolution over k-mers."""
        h, mask = self.kmer_features(x, lengths)
        mean, peak = masked_mean_max(h, mask)
        return self.norm(mean + peak)

    def position_features(
        self, x: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(B, channels, L): the convolution output of the k-mer starting at each base (zero
        where no whole k-mer starts inside the sequence)."""
        h, mask = self.kmer_features(x, lengths)
        h = (h * mask)[..., : x.shape[1]]
        return nn.functional.pad(h, (0, x.shape[1] - h.shape[-1]))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, lengths))


@register(
    "kmer_cnn",
    "k-mer embedding CNN: 8-mer embedding 32, conv 64 over 2 consecutive 8-mers, global "
    "max+mean pool, any length",
    input_kind="tokens",
    gradients=False,
    params=[
        kmer_param(8),
        embed_param(32, "k-mer"),
        Param("channels", 64, WIDTH, "output channels of the convolution"),
        Param("kernel_size", 2, KERNEL, "consecutive k-mers the convolution reads"),
        dropout_param(0.3),
    ],
)
def build_kmer_cnn(n_outputs: int, input_length: int, **hp: object) -> nn.Module:
    """Build the k-mer embedding CNN."""
    return KmerEmbeddingCNN(n_outputs, input_length, **hp)
