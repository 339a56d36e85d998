"""Output conventions and losses: one logit + BCE for two classes, C logits + cross-entropy
otherwise; class weights and logits-to-probability conversion."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def n_outputs(n_classes: int) -> int:
    """Number of logits a model emits for ``n_classes`` classes."""
    return 1 if n_classes == 2 else n_classes


def loss_function(
    n_classes: int, class_weights: np.ndarray | None = None, label_smoothing: float = 0.0
) -> nn.Module:
    """BCE-with-logits for binary tasks (positive class = index 1), else cross-entropy;
    ``label_smoothing`` e moves each target e of the way towards uniform over the classes
    (binary targets become e/2 and 1 - e/2)."""
    if not 0 <= label_smoothing < 1:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    if n_classes == 2:
        pos_weight = None
        if class_weights is not None:
            pos_weight = torch.tensor([class_weights[1] / class_weights[0]], dtype=torch.float32)
        return _BinaryLoss(pos_weight, label_smoothing)
    weight = None if class_weights is None else torch.tensor(class_weights, dtype=torch.float32)
    return nn.CrossEntropyLoss(weight=weight, label_smoothing=label_smoothing)


class _BinaryLoss(nn.Module):
    def __init__(self, pos_weight: torch.Tensor | None, label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.inner = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
        self.label_smoothing = label_smoothing

    def forward(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        target = y.float() * (1 - self.label_smoothing) + self.label_smoothing / 2
        return self.inner(logits.squeeze(-1), target)


def logits_to_proba(logits: torch.Tensor) -> torch.Tensor:
    """(n, C) class probabilities from either output convention."""
    if logits.shape[-1] == 1:
        p = torch.sigmoid(logits)
        return torch.cat([1 - p, p], dim=-1)
    return torch.softmax(logits, dim=-1)


def balanced_class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Weights n / (C * count_c), as scikit-learn's 'balanced'."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    return len(y) / (n_classes * np.maximum(counts, 1))
