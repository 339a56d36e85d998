"""Training settings and optimisation recipes: one registry entry per recipe.

A recipe decides the optimiser and its schedule (from parameter groups), the callbacks it
adds to the loop (e.g. early stopping) and whether gradients are clipped. Adding a recipe
is one ``register_recipe(Recipe(...))`` call; ``--recipe NAME`` then selects it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping

from genoclass.config import TrainConfig, default_of
from genoclass.errors import InputError
from genoclass.training.runtime import Runtime


@dataclass
class FitSettings:
    """What the training loop needs beyond the model and data (defaults: ``TrainConfig``'s).

    ``trunk_lr_scale`` multiplies the learning rate of every parameter outside the model's
    ``head`` (fine-tuning a transferred trunk more gently than a new head).
    """

    epochs: int = default_of("epochs")
    batch_size: int = default_of("batch_size")
    recipe: str = default_of("recipe")
    lr: float = default_of("lr")
    weight_decay: float = default_of("weight_decay")
    patience: int = default_of("patience")
    grad_clip: float = default_of("grad_clip")
    label_smoothing: float = default_of("label_smoothing")
    warmup: float = default_of("warmup")
    lr_floor: float = default_of("lr_floor")
    ema: float | None = default_of("ema")
    seed: int = default_of("seed")
    progress: bool = True
    trunk_lr_scale: float = 1.0
    #: threads, determinism, accelerator, processes and precision (``training.runtime``)
    runtime: Runtime = Runtime()
    workers: int = default_of("workers")
    max_steps: int | None = default_of("max_steps")
    #: stop at the end of the epoch at which this many wall-clock seconds of fitting are spent
    max_seconds: float | None = None

    @classmethod
    def from_config(cls, config: TrainConfig, *, progress: bool = False) -> FitSettings:
        """The loop settings of a run config (every field both share)."""
        shared = {f.name for f in dataclasses.fields(TrainConfig)}
        values = {
            f.name: getattr(config, f.name)
            for f in dataclasses.fields(cls)
            if f.name in shared and getattr(config, f.name) is not None
        }
        return cls(**values, progress=progress, runtime=Runtime.of(config))


#: (parameter groups, settings, total optimiser steps) -> Lightning's configure_optimizers value
OptimizerFactory = Callable[[list[dict[str, Any]], FitSettings, int], Any]


@dataclass(frozen=True)
class Recipe:
    """One optimisation recipe (see the module docstring)."""

    name: str
    description: str
    optimizer: OptimizerFactory
    callbacks: Callable[[FitSettings, bool], list[Callback]] = lambda settings, has_val: []
    clips_gradients: bool = False


RECIPES: dict[str, Recipe] = {}


def register_recipe(recipe: Recipe) -> Recipe:
    """Add ``recipe`` to the registry (a name registered twice is a programming error)."""
    if recipe.name in RECIPES:
        raise ValueError(f"recipe {recipe.name!r} registered twice")
    RECIPES[recipe.name] = recipe
    return recipe


def get_recipe(name: str) -> Recipe:
    """The recipe registered as ``name``; an unknown name lists the known ones."""
    if name not in RECIPES:
        raise InputError(f"unknown --recipe {name!r}; available: {', '.join(sorted(RECIPES))}")
    return RECIPES[name]


def _onecycle(groups: list[dict], settings: FitSettings, steps: int) -> dict[str, Any]:
    opt = torch.optim.AdamW(groups, lr=settings.lr, weight_decay=settings.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[g["lr"] for g in groups], total_steps=max(steps, 1)
    )
    return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def warmup_cosine_factor(step: int, total: int, warmup: float, floor: float) -> float:
    """The learning rate of optimiser step ``step`` (0-based) of ``total`` as a share of the
    peak: a linear rise over the first ``warmup`` share of the steps (the first step at
    1 / warm-up steps, the last warm-up step at the peak), then a cosine from the peak down
    to ``floor`` at the last step."""
    warm = math.ceil(warmup * total)
    if step < warm:
        return (step + 1) / warm
    decay_steps = max(total - warm - 1, 1)
    progress = min((step - warm) / decay_steps, 1.0)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def _warmup_cosine(groups: list[dict], settings: FitSettings, steps: int) -> dict[str, Any]:
    opt = torch.optim.AdamW(groups, lr=settings.lr, weight_decay=settings.weight_decay)
    factor = functools.partial(
        warmup_cosine_factor, total=max(steps, 1), warmup=settings.warmup, floor=settings.lr_floor
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def _early_stopping(settings: FitSettings, has_val: bool) -> list[Callback]:
    return [EarlyStopping("val_loss", patience=settings.patience, mode="min")] if has_val else []


register_recipe(
    Recipe(
        "onecycle",
        "AdamW + OneCycleLR per step + gradient clipping (S0)",
        _onecycle,
        clips_gradients=True,
    )
)
register_recipe(
    Recipe(
        "early_stopping",
        "Adam at a constant rate; stop when validation loss stalls for --patience epochs (S1)",
        lambda groups, settings, steps: torch.optim.Adam(groups, lr=settings.lr),
        _early_stopping,
    )
)
register_recipe(
    Recipe(
        "warmup_cosine",
        "AdamW with weight decay, linear warm-up over --warmup of the steps, cosine decay to "
        "lr_floor x the peak, gradient clipping",
        _warmup_cosine,
        clips_gradients=True,
    )
)
