"""What a neural model costs, found before any real memory is allocated: the model is built
on PyTorch's ``meta`` device (shapes only, no storage), its parameters are counted and one
batch is run through it to add up the activations every layer produces.

Limits: at most ``MAX_PARAMETERS`` parameters (2 GB of float32 weights); one training batch
of the widest input may produce at most ``batch_memory_gb`` of layer outputs (the
activations autograd keeps for the backward pass; the real peak is of the same order).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from genoclass.errors import InputError
from genoclass.models.registry import ModelSpec

#: most parameters a model may have (500 million: 2 GB of float32 weights)
MAX_PARAMETERS = 500_000_000


def meta_model(build: Callable[[], nn.Module], name: str) -> nn.Module:
    """``build()`` run on the meta device; settings it cannot be built with and models above
    ``MAX_PARAMETERS`` are input errors naming ``name``."""
    try:
        with torch.device("meta"):
            model = build()
    except InputError:
        raise
    except (ValueError, RuntimeError, TypeError, ZeroDivisionError, OverflowError) as exc:
        raise InputError(f"cannot build {name} with these settings: {exc}") from exc
    n = sum(p.numel() for p in model.parameters())
    if n > MAX_PARAMETERS:
        raise InputError(
            f"{name} would have {n:,} parameters ({n * 4 / 1e9:.1f} GB), above the limit of "
            f"{MAX_PARAMETERS:,}; choose smaller hyperparameters"
        )
    return model


def example_input(input_kind: str, batch: int, width: int) -> torch.Tensor:
    """A meta-device batch of ``batch`` inputs ``width`` wide for a model's input kind."""
    if input_kind == "tokens":
        return torch.ones((batch, width), dtype=torch.long, device="meta")
    if input_kind == "onehot":
        return torch.ones((batch, 4, width), device="meta")
    return torch.ones((batch, width), device="meta")


def activation_bytes(model: nn.Module, x: torch.Tensor) -> int | None:
    """Bytes of every layer output of one forward pass of meta ``model`` on meta ``x`` (None
    when the model cannot run on the meta device)."""
    total = 0

    def count(module: nn.Module, inputs: Any, output: Any) -> None:
        nonlocal total
        if isinstance(output, torch.Tensor):
            total += output.numel() * output.element_size()

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(count) for m in leaves]
    try:
        with torch.no_grad():
            model.train()(x)
    except (RuntimeError, NotImplementedError, TypeError, ValueError):
        return None
    finally:
        for hook in hooks:
            hook.remove()
    return total


def check_batch_memory(
    spec: ModelSpec,
    model: nn.Module,
    *,
    batch_size: int,
    width: int,
    limit_gb: float,
    window: dict[str, int] | None = None,
    what: str = "",
) -> None:
    """Refuse, before anything is allocated, a training batch whose layer outputs would
    exceed ``limit_gb``: ``batch_size`` inputs ``width`` wide (or their windows, when the
    model is applied to windows); ``what`` describes the width for the message."""
    rows, size = batch_size, width
    if window:
        size = window["size"]
        rows = batch_size * (1 + math.ceil(max(width - size, 0) / window["stride"]))
    inner = getattr(model, "inner", model)  # a windowed model: measure the model inside
    needed = activation_bytes(inner, example_input(spec.input_kind, rows, size))
    if needed is None or needed <= limit_gb * 1e9:
        return
    fixed = "padded to the fixed input width; " if spec.fixed_length else ""
    raise InputError(
        f"{spec.name}: one training batch ({batch_size} x {width:,} positions{what}; {fixed}"
        f"about {needed / 1e9:.1f} GB of activations) exceeds the {limit_gb:g} GB per-batch "
        "limit (batch_memory_gb); crop with --max-len, lower --batch-size or use --window"
    )
