"""Loss functions of the two output conventions, with and without label smoothing."""

from __future__ import annotations

import pytest
import torch

from genoclass.models.outputs import loss_function


def test_binary_loss_with_label_smoothing_uses_softened_targets() -> None:
    logits, y = torch.tensor([[2.0], [-1.0]]), torch.tensor([1, 0])
    smoothed = loss_function(2, label_smoothing=0.2)(logits, y)
    # targets 0.9 and 0.1: BCE = -(t log p + (1 - t) log(1 - p))
    p = torch.sigmoid(logits[:, 0])
    t = torch.tensor([0.9, 0.1])
    expected = -(t * p.log() + (1 - t) * (1 - p).log()).mean()
    assert smoothed.item() == pytest.approx(expected.item(), rel=1e-6)
    plain = loss_function(2)(logits, y)
    assert plain.item() == pytest.approx(-(p[0].log() + (1 - p[1]).log()).item() / 2, rel=1e-6)


def test_multiclass_label_smoothing_is_cross_entropy_against_softened_targets() -> None:
    logits, y = torch.tensor([[30.0, 0.0, 0.0]]), torch.tensor([1])
    plain = loss_function(3)(logits, y).item()
    smoothed = loss_function(3, label_smoothing=0.1)(logits, y).item()
    assert plain == pytest.approx(30.0, abs=1e-3)
    # targets (0.1/3, 0.9 + 0.1/3, 0.1/3) against log-probabilities (0, -30, -30)
    assert smoothed == pytest.approx((0.9 + 0.1 / 3 + 0.1 / 3) * 30, rel=1e-4)


def test_label_smoothing_outside_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        loss_function(3, label_smoothing=1.0)
