"""Any sequence model applied to overlapping windows of long sequences, with the class
probabilities of a sequence's windows averaged.

The wrapper returns logits of the averaged probabilities (log p; for one-logit binary
models log p / (1 - p)), so training, evaluation and prediction need no special case.
Its trunk and head are those of the inner model (state keys ``inner.head.`` are the head):
transfer learning works on ``inner``, and ``features`` averages the inner model's features
over a sequence's windows (an embedding of the whole sequence). Because probabilities, not
features, are averaged, ``forward`` is not ``inner.head(features)``.
"""

from __future__ import annotations

import torch
from torch import nn

from genoclass.models.outputs import logits_to_proba
from genoclass.sequence.windows import window_starts

_EPS = 1e-7


class WindowedClassifier(nn.Module):
    """Runs ``inner`` on every ``size``-long window (step ``stride``) of each sequence and
    averages the windows' probabilities per sequence."""

    def __init__(self, inner: nn.Module, size: int, stride: int) -> None:
        super().__init__()
        self.inner, self.size, self.stride = inner, size, stride

    def windows(
        self, x: torch.Tensor, lengths: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every window of every sequence, the windows' lengths and each window's row."""
        batch, width = x.shape[0], x.shape[-1]
        if lengths is None:
            lengths = torch.full((batch,), width, dtype=torch.long)
        owner_np, start_np = window_starts(lengths.cpu().numpy(), self.size, self.stride)
        owner = torch.from_numpy(owner_np).to(x.device)
        start = torch.from_numpy(start_np).to(x.device)
        if width < self.size:
            x = nn.functional.pad(x, (0, self.size - width))
        # gather windows along the last (position) axis for tokens (B, L) or one-hot (B, 4, L)
        index = start[:, None] + torch.arange(self.size, device=x.device)[None, :]
        windows = x.movedim(-1, 1)[owner[:, None], index].movedim(1, -1)
        window_lengths = (lengths.to(x.device)[owner] - start).clamp(max=self.size)
        return windows, window_lengths, owner

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, inner.feature_dim): the inner model's features averaged over each row's
        windows."""
        windows, window_lengths, owner = self.windows(x, lengths)
        return _mean_by_row(self.inner.features(windows, window_lengths), owner, x.shape[0])

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        windows, window_lengths, owner = self.windows(x, lengths)
        proba = logits_to_proba(self.inner(windows, window_lengths))
        mean = _mean_by_row(proba, owner, x.shape[0]).clamp(_EPS, 1 - _EPS)
        if proba.shape[1] == 2:
            return (mean[:, 1].log() - mean[:, 0].log())[:, None]
        return mean.log()


def _mean_by_row(values: torch.Tensor, owner: torch.Tensor, batch: int) -> torch.Tensor:
    """(batch, D) mean of the (W, D) ``values`` of each row's windows (``owner``)."""
    total = torch.zeros(batch, values.shape[1], dtype=values.dtype, device=values.device)
    total = total.index_add(0, owner, values)
    return total / torch.bincount(owner, minlength=batch).clamp_min(1)[:, None]
