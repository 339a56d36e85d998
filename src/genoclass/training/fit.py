"""Fit a neural model with Lightning: best-on-validation weights, early stopping, resume."""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pandas as pd
import torch
from lightning.pytorch.callbacks import Callback
from torch import nn

from genoclass.data.loaders import FeatureSet, make_loader
from genoclass.models.outputs import logits_to_proba
from genoclass.training.checkpoint import (
    CHECKPOINT,
    LastCheckpoint,
    reseed_torch,
    resume_checkpoint,
)
from genoclass.training.ema import WeightAverage
from genoclass.training.module import ClassifierModule
from genoclass.training.progress import EpochLines, progress_callback
from genoclass.training.recipes import FitSettings, get_recipe
from genoclass.training.runtime import Runtime
from genoclass.training.transfer import Transfer

# Lightning's start-up chatter (GPU/TPU availability, tips) is not useful to our users
logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
logging.getLogger("lightning.fabric").setLevel(logging.WARNING)

#: history.csv's columns (val_mcc, added later, last so that older columns keep their place)
HISTORY_COLUMNS = [
    "epoch",
    "train_loss",
    "val_loss",
    "val_accuracy",
    "val_f1_macro",
    "lr",
    "val_mcc",
]


@dataclass
class FitResult:
    """Outcome of training: per-epoch history, epochs run, best epoch, wall time and why the
    fit stopped (``stop_reason``: ``epochs`` when every epoch ran, else ``early_stopping``,
    ``max_steps`` or ``time_budget``)."""

    history: pd.DataFrame
    epochs_run: int
    best_epoch: int
    train_seconds: float
    stop_reason: str = "epochs"


class _StopWatch(Callback):
    """Stops the fit at the end of the epoch at which ``max_seconds`` of wall-clock time
    (counted from this callback's creation) are spent, when given; records whether it did
    (``fired``) and the optimiser steps taken (``steps``)."""

    def __init__(self, max_seconds: float | None) -> None:
        self.max_seconds = max_seconds
        self.start = time.perf_counter()
        self.fired = False
        self.steps = 0

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if self.max_seconds is None:
            return
        spent = time.perf_counter() - self.start >= self.max_seconds
        # every process stops when any one has spent the budget (their clocks differ)
        if trainer.strategy.reduce_boolean_decision(spent, all=False):
            trainer.should_stop = self.fired = True

    def on_train_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.steps = trainer.global_step

    def reason(self, epochs_run: int, settings: FitSettings) -> str:
        """Why a fit of ``settings`` that ran ``epochs_run`` epochs stopped."""
        if epochs_run >= settings.epochs:
            return "epochs"
        if self.fired:
            return "time_budget"
        if settings.max_steps is not None and self.steps >= settings.max_steps:
            return "max_steps"
        return "early_stopping"


class _HistoryAndBest(Callback):
    """Records one history row per epoch and keeps the weights of the best val_loss epoch
    (those ``weights()`` returns; default: the model's own)."""

    def __init__(self, weights: Callable[[], dict[str, torch.Tensor]] | None = None) -> None:
        self.weights = weights
        self.rows: list[dict[str, float]] = []
        self.best_loss = math.inf
        self.best_epoch = -1
        self.best_state: dict[str, torch.Tensor] | None = None

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        m = trainer.callback_metrics
        row = {
            "epoch": trainer.current_epoch + 1,
            "lr": trainer.optimizers[0].param_groups[0]["lr"],
        }
        for key in HISTORY_COLUMNS:
            row.setdefault(key, float(m[key]) if key in m else float("nan"))
        self.rows.append(row)
        score = row["val_loss"] if not math.isnan(row["val_loss"]) else row["train_loss"]
        if score < self.best_loss:
            self.best_loss, self.best_epoch = score, row["epoch"]
            weights = self.weights or module.model.state_dict
            self.best_state = copy.deepcopy(weights())

    def state_dict(self) -> dict[str, Any]:
        return {  # ``weights`` is rebuilt with the callback, not saved
            "rows": self.rows,
            "best_loss": self.best_loss,
            "best_epoch": self.best_epoch,
            "best_state": self.best_state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so splits, initialisation and augmentation repeat."""
    L.seed_everything(seed, workers=True, verbose=False)


def fit_model(
    model: nn.Module,
    train: FeatureSet,
    val: FeatureSet | None,
    n_classes: int,
    settings: FitSettings,
    *,
    class_weights: np.ndarray | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
    identity: dict[str, Any] | None = None,
    transfer: Transfer | None = None,
) -> FitResult:
    """Train ``model`` in place and load the weights of its best validation epoch (a fit
    stopped by ``settings.max_seconds`` keeps its best epoch so far).

    Checkpoints for ``resume`` go to ``checkpoint_dir/last.ckpt`` (Lightning's format; they
    are scratch files removed by the caller, never part of a saved model) with ``identity``
    (the command's settings and data fingerprint) beside them; resuming replays exactly
    (``training.checkpoint``). A ``transfer`` (model started from an earlier run) gives
    the trunk its learning-rate factor and freezes it as its mode says.
    """
    recipe = get_recipe(settings.recipe)
    steps = math.ceil(len(train) / settings.batch_size) * settings.epochs
    steps = min(steps, settings.max_steps or steps)
    if transfer is not None:
        settings = dataclasses.replace(settings, trunk_lr_scale=transfer.trunk_lr_scale)
    module = ClassifierModule(model, n_classes, settings, steps, class_weights, len(train))
    averager = None if settings.ema is None else WeightAverage(model, settings.ema)
    tracker = _HistoryAndBest(averager.averaged_state if averager else None)
    watch = _StopWatch(settings.max_seconds)
    callbacks: list[Callback] = [tracker, watch] + ([transfer.callback()] if transfer else [])
    callbacks += [averager] if averager else []
    progress = progress_callback() if settings.progress else None
    if progress is not None:
        callbacks.append(progress)
    callbacks.extend(recipe.callbacks(settings, val is not None))
    resume_from = None
    if checkpoint_dir is not None:
        resume_from = resume_checkpoint(checkpoint_dir, identity or {}, resume)
        callbacks.append(LastCheckpoint(checkpoint_dir / CHECKPOINT))
    # page-locked batches only when training runs on a CUDA GPU
    workers = {"workers": settings.workers, "pin_memory": settings.runtime.device() == "cuda"}
    train_loader = make_loader(
        train,
        settings.batch_size,
        shuffle=True,
        seed=settings.seed,
        on_epoch=functools.partial(reseed_torch, settings.seed),
        **workers,
    )
    val_loader = None
    if val is not None:
        val_loader = make_loader(val, settings.batch_size * 4, shuffle=False, **workers)
    seconds = lightning_fit(
        module,
        train_loader,
        val_loader,
        epochs=settings.epochs,
        callbacks=callbacks,
        bar=progress,
        grad_clip=settings.grad_clip if recipe.clips_gradients else None,
        resume_from=resume_from,
        runtime=settings.runtime,
        max_steps=settings.max_steps,
    )
    if tracker.best_state is not None:
        model.load_state_dict(tracker.best_state)
    history = pd.DataFrame(tracker.rows, columns=HISTORY_COLUMNS)
    epochs_run = len(tracker.rows)
    reason = watch.reason(epochs_run, settings)
    return FitResult(history, epochs_run, tracker.best_epoch, seconds, reason)


def lightning_fit(
    module: L.LightningModule,
    train_loader: Any,
    val_loader: Any,
    *,
    epochs: int,
    callbacks: list[Callback],
    bar: Callback | None,
    grad_clip: float | None,
    resume_from: Path | None,
    runtime: Runtime | None = None,
    max_steps: int | None = None,
) -> float:
    """Run Lightning's fit with genoclass's trainer settings (no logger, no Lightning
    checkpoints, ``bar`` as progress display) from ``resume_from`` if given, on ``runtime``'s
    accelerator, processes and precision (``training.runtime``), for at most ``max_steps``
    optimiser steps when given; returns the seconds it took."""
    trainer = L.Trainer(
        **(runtime or Runtime()).trainer_options(),
        max_epochs=epochs,
        max_steps=max_steps or -1,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        enable_progress_bar=bar is not None and not isinstance(bar, EpochLines),
        gradient_clip_val=grad_clip,
        callbacks=callbacks,
        num_sanity_val_steps=0,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*weights_only.*")
        warnings.filterwarnings("ignore", ".*IterableDataset.*")
        warnings.filterwarnings("ignore", ".*no `val_dataloader`.*")  # no validation split
        # a frozen trunk is kept in eval mode on purpose (training.transfer.TrunkFreezer)
        warnings.filterwarnings("ignore", ".*module\\(s\\) in eval mode at the start of training.*")
        trainer.fit(
            module,
            train_loader,
            val_loader,
            ckpt_path=None if resume_from is None else str(resume_from),
            weights_only=True,
        )
    return time.perf_counter() - start


@torch.no_grad()
def predict_proba(model: nn.Module, features: FeatureSet, batch_size: int = 256) -> np.ndarray:
    """(n, C) class probabilities of ``model`` on every row of ``features``, in order."""
    model.eval()
    out = [
        logits_to_proba(model(b["x"], b.get("lengths"))).numpy()
        for b in make_loader(features, batch_size, shuffle=False)
    ]
    return np.concatenate(out) if out else np.zeros((0, 0))


def trunk_features(
    model: nn.Module, features: FeatureSet, batch_size: int = 256
) -> Iterator[np.ndarray]:
    """The (B, feature_dim) float32 trunk features (``model.features``: the pooled
    representation its head sees) of every row of ``features``, in order, one batch at a
    time."""
    model.eval()
    with torch.inference_mode():
        for b in make_loader(features, batch_size, shuffle=False):
            yield model.features(b["x"], b.get("lengths")).float().numpy()
