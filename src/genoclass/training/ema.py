"""Exponential moving average (EMA) of a model's weights during training.

With ``--ema DECAY`` every optimiser step moves a shadow copy of the weights towards the
current ones: ``shadow += (1 - d) * (weights - shadow)``. The decay ``d`` of update ``t``
(0-based) is ``min(DECAY, (1 + t) / (10 + t))``: early updates follow the weights closely,
so the average does not keep a large share of the random initialisation on short runs
(at decay 0.999, ~1,000 steps would otherwise be needed to forget it). Validation runs on
the shadow weights, which the best-epoch tracking then keeps; the shadow is part of the
resume checkpoint.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from torch import nn


def ema_decay(decay: float, updates: int) -> float:
    """The decay of the ``updates``-th update (0-based) for a target ``decay``."""
    return min(decay, (1 + updates) / (10 + updates))


class WeightAverage(Callback):
    """Keeps the EMA of ``model``'s state (float tensors averaged, others copied) after every
    optimiser step and swaps it in for each validation epoch."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.model = model
        self.decay = decay
        self.updates = 0
        self.shadow = _detached(model.state_dict())
        self._raw: dict[str, torch.Tensor] | None = None

    @torch.no_grad()
    def update(self) -> None:
        """Move the shadow one step towards the model's current weights."""
        d = ema_decay(self.decay, self.updates)
        for key, value in self.model.state_dict().items():
            if value.is_floating_point():
                self.shadow[key].lerp_(value, 1 - d)
            else:
                self.shadow[key].copy_(value)
        self.updates += 1

    def averaged_state(self) -> dict[str, torch.Tensor]:
        """A copy of the averaged weights (a state dict of the model)."""
        return _detached(self.shadow)

    def on_train_batch_end(self, trainer: L.Trainer, module: L.LightningModule, *args: Any) -> None:
        self.update()

    def on_validation_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._raw = _detached(self.model.state_dict())
        self.model.load_state_dict(self.shadow)

    def on_validation_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if self._raw is not None:
            self.model.load_state_dict(self._raw)
            self._raw = None

    def state_dict(self) -> dict[str, Any]:
        return {"updates": self.updates, "shadow": self.shadow}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.updates = int(state["updates"])
        self.shadow = _detached(state["shadow"])


def _detached(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in state.items()}
