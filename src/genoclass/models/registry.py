"""The model registry: a name maps to its builder, input kind and default hyperparameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from genoclass.errors import InputError

InputKind = Literal["tokens", "onehot", "expression", "kmer"]
Family = Literal["neural", "classical"]


@dataclass(frozen=True)
class ModelSpec:
    """How to build one registered model.

    Neural builders are called as ``builder(n_outputs, input_length, **hparams)`` and
    return a ``torch.nn.Module`` whose ``forward(x, lengths=None)`` gives logits.
    Classical builders are called as ``builder(n_classes, **hparams)`` and return an
    object with ``fit(X, y)``, ``predict_proba(X)``, ``get_state() -> (arrays, meta)``
    and ``set_state(arrays, meta)`` (arrays of numbers + JSON, never pickle).
    ``fixed_length`` models need every input padded to ``input_length``. ``gradients`` is
    False for models that look up k-mer identities: their input has no gradient, so they are
    explained by in-silico mutagenesis only.
    """

    name: str
    description: str
    family: Family
    input_kind: InputKind
    builder: Callable[..., Any]
    defaults: dict[str, Any] = field(default_factory=dict)
    fixed_length: bool = False
    gradients: bool = True

    def hparams(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults merged with ``overrides``; an unknown name is an input error."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.defaults))
        if unknown:
            raise InputError(
                f"unknown hyperparameter(s) {unknown} for model {self.name!r}; "
                f"known: {sorted(self.defaults)}"
            )
        return {**self.defaults, **overrides}


_REGISTRY: dict[str, ModelSpec] = {}


def register(
    name: str,
    description: str,
    *,
    family: Family = "neural",
    input_kind: InputKind = "tokens",
    defaults: dict[str, Any] | None = None,
    fixed_length: bool = False,
    gradients: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering a model builder under ``name``."""

    def wrap(builder: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = ModelSpec(
            name,
            description,
            family,
            input_kind,
            builder,
            dict(defaults or {}),
            fixed_length,
            gradients,
        )
        return builder

    return wrap


def get_spec(name: str) -> ModelSpec:
    """The spec registered under ``name``; an unknown name lists the known ones."""
    if name not in _REGISTRY:
        raise InputError(f"unknown model {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def available() -> list[ModelSpec]:
    """All registered specs, sorted by name."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
