"""Pieces several sequence models share: length masks for right-padded batches, masked
pooling, reverse complement within each length, k-mer ids of token rows (and of one-hot
input, and canonical k-mers), sinusoidal position codes, a masked batch norm and the
separable residual block."""

from __future__ import annotations

import math

import torch
from torch import nn


def length_mask(lengths: torch.Tensor | None, width: int, like: torch.Tensor) -> torch.Tensor:
    """(B, 1, width) float mask of valid positions; all ones when lengths is None."""
    if lengths is None:
        return torch.ones(like.shape[0], 1, width, dtype=like.dtype, device=like.device)
    pos = torch.arange(width, device=like.device)[None, :]
    return (pos < lengths.to(like.device)[:, None]).to(like.dtype)[:, None, :]


def padding_mask(lengths: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor | None:
    """(B, 1, L) mask of real positions of ``like`` (B, C, L), or None when no row is
    padded, so unpadded batches skip every masking step."""
    if lengths is None or bool((lengths >= like.shape[-1]).all()):
        return None
    return length_mask(lengths, like.shape[-1], like)


def masked(h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``h`` with padded positions zeroed (``mask`` None: nothing is padding)."""
    return h if mask is None else h * mask


def sinusoid(length: int, dim: int, like: torch.Tensor) -> torch.Tensor:
    """(length, dim) fixed sine/cosine position code (Vaswani et al. 2017)."""
    pos = torch.arange(length, device=like.device, dtype=like.dtype)[:, None]
    freq = torch.exp(
        torch.arange(0, dim, 2, device=like.device, dtype=like.dtype) * (-math.log(1e4) / dim)
    )
    code = torch.zeros(length, dim, device=like.device, dtype=like.dtype)
    code[:, 0::2] = torch.sin(pos * freq)
    code[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return code


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Reverse each (B, C, L) row along positions within its own length; positions past
    the length stay zero (right padding stays on the right)."""
    if lengths is None:
        return x.flip(-1)
    pos = torch.arange(x.shape[-1], device=x.device)
    src = lengths.to(x.device)[:, None] - 1 - pos[None, :]
    index = src.clamp_min(0)[:, None, :].expand(-1, x.shape[1], -1)
    return x.gather(2, index) * (src >= 0)[:, None, :].to(x.dtype)


def reverse_complement_onehot(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Reverse complement of right-padded one-hot (B, 4, L) sequences (channels A, C, G, T:
    complementing is reversing the channel order; an N column stays N)."""
    return reverse_within_length(x.flip(1), lengths)


def token_kmer_ids(tokens: torch.Tensor, k: int) -> torch.Tensor:
    """(B, L - k + 1) ids of overlapping k-mers of token rows (A1 C2 G3 T4); a k-mer with
    N or padding gets the extra id 4**k."""
    tokens = tokens.long()
    if tokens.shape[1] < k:
        tokens = nn.functional.pad(tokens, (0, k - tokens.shape[1]))
    windows = tokens.unfold(1, k, 1)
    valid = ((windows >= 1) & (windows <= 4)).all(-1)
    weights = 4 ** torch.arange(k - 1, -1, -1, device=tokens.device)
    ids = ((windows - 1).clamp(0, 3) * weights).sum(-1)
    return torch.where(valid, ids, torch.full_like(ids, 4**k))


def onehot_tokens(x: torch.Tensor) -> torch.Tensor:
    """(B, L) base tokens (A1 C2 G3 T4) of one-hot (B, 4, L) input; a column that is not
    exactly one base (N spreads 0.25, padding is zero) becomes 0, so every k-mer over it
    gets the no-k-mer id of ``token_kmer_ids``."""
    peak, base = x.max(1)
    return torch.where(peak == 1, base + 1, torch.zeros_like(base))


def canonical_kmer_count(k: int) -> int:
    """Number of canonical k-mers (a k-mer and its reverse complement counted once)."""
    return (4**k + (4 ** (k // 2) if k % 2 == 0 else 0)) // 2


def canonical_kmer_index(k: int, device: torch.device | None = None) -> torch.Tensor:
    """(4**k + 1,) map from a k-mer id of ``token_kmer_ids`` to the index of its canonical
    form (the smaller id of the k-mer and its reverse complement) among the
    ``canonical_kmer_count(k)`` canonical k-mers; the no-k-mer id 4**k maps to that count."""
    ids = torch.arange(4**k, device=device)
    weights = 4 ** torch.arange(k - 1, -1, -1, device=device)
    digits = ids[:, None] // weights % 4
    rc = ((3 - digits).flip(1) * weights).sum(1)
    is_canonical = ids <= rc
    rank = torch.cumsum(is_canonical.long(), 0) - 1
    index = rank[torch.minimum(ids, rc)]
    return torch.cat([index, torch.full((1,), canonical_kmer_count(k), device=device)])


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm over (B, C, L) whose training statistics come from real positions only;
    the output is zero at masked positions (``mask`` None: every position is real)."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:  # type: ignore[override]
        if mask is None:
            return super().forward(x)
        if not self.training:
            return super().forward(x) * mask
        n = mask.sum()
        mean = (x * mask).sum((0, 2)) / n
        centred = (x - mean[None, :, None]) * mask
        var = centred.pow(2).sum((0, 2)) / n
        with torch.no_grad():
            self.num_batches_tracked += 1
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var * n / (n - 1).clamp_min(1.0), self.momentum)
        scale = self.weight * torch.rsqrt(var + self.eps)
        return (centred * scale[None, :, None] + self.bias[None, :, None]) * mask


class SeparableResidualBlock(nn.Module):
    """Depthwise-separable conv + BatchNorm + ReLU with a 1x1 projected skip connection.

    ``dilation`` spaces the depthwise kernel's taps (the kernel size stays 3); the padding
    keeps the length, and masked (zero) positions beyond a sequence read as zero padding.
    """

    def __init__(self, c_in: int, c_out: int, kernel_size: int, dilation: int = 1) -> None:
        super().__init__()
        self.depthwise = nn.Conv1d(
            c_in,
            c_in,
            kernel_size,
            padding=dilation * (kernel_size // 2),
            dilation=dilation,
            groups=c_in,
            bias=False,
        )
        self.pointwise = nn.Conv1d(c_in, c_out, 1, bias=False)
        self.norm = nn.BatchNorm1d(c_out)
        self.skip = nn.Conv1d(c_in, c_out, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.norm(self.pointwise(self.depthwise(x)))) + self.skip(x)


def masked_mean_max(
    h: torch.Tensor, mask: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, C) mean and max of (B, C, L) ``h`` over the real positions of ``mask``
    ((B, 1, L); None: every position), so padding never changes either."""
    if mask is None:
        return h.mean(-1), h.amax(-1)
    mean = (h * mask).sum(-1) / mask.sum(-1).clamp_min(1.0)
    return mean, h.masked_fill(mask == 0, float("-inf")).amax(-1)
