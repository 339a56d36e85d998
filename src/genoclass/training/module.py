"""The one LightningModule that trains every neural genoclass model."""

from __future__ import annotations

import lightning as L
import numpy as np
import torch
from torch import nn

from genoclass.models.outputs import logits_to_proba, loss_function
from genoclass.training.recipes import FitSettings, get_recipe
from genoclass.training.transfer import parameter_groups


class ClassifierModule(L.LightningModule):
    """Wraps any registered neural model: loss, the recipe's optimiser and schedule over
    ``total_steps`` optimiser steps (trunk and head in their own parameter groups when
    ``settings.trunk_lr_scale`` != 1), and metric logging.

    With several processes (DDP) each trains on its share of every global batch of
    ``settings.batch_size`` rows out of ``train_rows`` (``data.loaders.BatchPlan``) and
    validates on the whole validation set, so the logged validation figures, the best epoch
    and early stopping are those of one process (logged with ``sync_dist`` all the same)."""

    def __init__(
        self,
        model: nn.Module,
        n_classes: int,
        settings: FitSettings,
        total_steps: int,
        class_weights: np.ndarray | None = None,
        train_rows: int = 0,
    ) -> None:
        super().__init__()
        self.train_rows = train_rows
        self.model = model
        self.n_classes = n_classes
        self.settings = settings
        self.total_steps = total_steps
        self.loss = loss_function(n_classes, class_weights, settings.label_smoothing)
        self._val_proba: list[torch.Tensor] = []
        self._val_y: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(x, lengths)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        rows = len(batch["y"])
        loss = self.loss(self(batch["x"], batch.get("lengths")), batch["y"])
        log_epoch_mean(self, "train_loss", loss, rows)
        return loss * self._share_weight(rows, batch_idx)

    def _share_weight(self, rows: int, batch_idx: int) -> float:
        """The factor on this process's mean loss that makes DDP's average of the processes'
        gradients the gradient of the global batch's mean loss, an uneven last batch
        included (1 with one process; exact for an unweighted loss)."""
        world = self.trainer.world_size
        if world == 1:
            return 1.0
        size = self.settings.batch_size
        return rows * world / min(size, self.train_rows - batch_idx * size)

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        logits = self(batch["x"], batch.get("lengths"))
        log_epoch_mean(self, "val_loss", self.loss(logits, batch["y"]), len(batch["y"]))
        self._val_proba.append(logits_to_proba(logits).detach())
        self._val_y.append(batch["y"])

    def on_validation_epoch_end(self) -> None:
        if not self._val_y:
            return
        pred = torch.cat(self._val_proba).argmax(-1)
        y = torch.cat(self._val_y)
        self._val_proba.clear()
        self._val_y.clear()
        cm = _confusion(y, pred, self.n_classes)
        self.log("val_accuracy", (pred == y).float().mean(), sync_dist=True)
        self.log("val_f1_macro", _macro_f1(cm), sync_dist=True)
        self.log("val_mcc", _mcc(cm), sync_dist=True)

    def configure_optimizers(self):  # noqa: ANN201 - Lightning's own return convention
        groups = parameter_groups(self.model, self.settings.lr, self.settings.trunk_lr_scale)
        return get_recipe(self.settings.recipe).optimizer(groups, self.settings, self.total_steps)


def log_epoch_mean(module: L.LightningModule, name: str, value: torch.Tensor, rows: int) -> None:
    """Log ``value``, a mean over ``rows`` rows, into the epoch's row-weighted mean of
    ``name`` over all processes (the same figure as one process computing it)."""
    # a float row count: Lightning averages the processes' counts in their own dtype, and an
    # integer mean would round an odd total
    module.log(name, value, on_step=False, on_epoch=True, batch_size=float(rows), sync_dist=True)


def _confusion(y: torch.Tensor, pred: torch.Tensor, n_classes: int) -> torch.Tensor:
    """The (true, predicted) count matrix."""
    idx = y * n_classes + pred
    return torch.bincount(idx, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _macro_f1(cm: torch.Tensor) -> torch.Tensor:
    """Macro F1 over the classes present in y or pred (same as scikit-learn's default)."""
    tp = cm.diag().float()
    denom = cm.sum(0).float() + cm.sum(1).float()
    present = denom > 0
    f1 = torch.where(present, 2 * tp / denom.clamp_min(1), torch.zeros_like(tp))
    return f1[present].mean()


def _mcc(cm: torch.Tensor) -> torch.Tensor:
    """Matthews correlation of a confusion matrix, any number of classes (0 when a side
    has a single class; same as scikit-learn's)."""
    cm = cm.double()
    n, correct = cm.sum(), cm.diag().sum()
    true, pred = cm.sum(1), cm.sum(0)
    cov = correct * n - (true * pred).sum()
    scale = torch.sqrt((n * n - (pred * pred).sum()) * (n * n - (true * true).sum()))
    return (cov / scale if scale > 0 else torch.zeros(())).float()
