"""Saving and loading models as ``weights.safetensors`` + ``model.json``: never pickle.

Loading reads numbers and JSON only, so a model from an untrusted source cannot run code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy
import safetensors.torch
from torch import nn

from genoclass import __version__
from genoclass.errors import InputError
from genoclass.models.heads import n_outputs
from genoclass.models.registry import get_spec
from genoclass.models.windowed import WindowedClassifier

WEIGHTS = "weights.safetensors"
META = "model.json"


@dataclass
class ModelCard:
    """Everything needed to rebuild a model and feed it inputs like those it was trained on."""

    name: str
    hparams: dict[str, Any]
    classes: list[str]
    input_length: int
    input: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    training_data: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    genoclass_version: str = __version__

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)


def build_model(card: ModelCard) -> Any:
    """A fresh (untrained) model instance for ``card``."""
    spec = get_spec(card.name)
    if spec.family != "neural":
        return spec.builder(card.n_classes, **card.hparams)
    window = card.extra.get("window")  # {"size", "stride"}: model applied to windows
    length = window["size"] if window else card.input_length
    model = spec.builder(n_outputs(card.n_classes), length, **card.hparams)
    return WindowedClassifier(model, window["size"], window["stride"]) if window else model


def save_model(model: Any, card: ModelCard, directory: Path) -> None:
    """Write weights and model.json into ``directory`` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    meta = dict(card.__dict__)
    if isinstance(model, nn.Module):
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        safetensors.torch.save_file(state, str(directory / WEIGHTS))
    else:
        arrays, state_meta = model.get_state()
        safetensors.numpy.save_file(
            {k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(directory / WEIGHTS)
        )
        meta["state"] = state_meta
    meta["family"] = get_spec(card.name).family
    (directory / META).write_text(json.dumps(meta, indent=2, default=_jsonable))


def load_model(directory: Path) -> tuple[Any, ModelCard]:
    """Rebuild the model saved in ``directory`` and return it (eval mode) with its card."""
    meta_path = Path(directory) / META
    if not meta_path.exists():
        raise InputError("not a saved genoclass model (no model.json)", path=directory)
    meta = json.loads(meta_path.read_text())
    state_meta = meta.pop("state", None)
    meta.pop("family", None)
    card = ModelCard(**meta)
    model = build_model(card)
    weights = str(Path(directory) / WEIGHTS)
    if isinstance(model, nn.Module):
        model.load_state_dict(safetensors.torch.load_file(weights))
        model.eval()
    else:
        model.set_state(safetensors.numpy.load_file(weights), state_meta)
    return model, card


def _jsonable(value: Any) -> Any:
    """JSON fallback for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
