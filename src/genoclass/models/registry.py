"""The model registry: a name maps to its builder, input kind and typed hyperparameters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from genoclass.config import Bounds
from genoclass.errors import InputError

InputKind = Literal["tokens", "onehot", "expression", "kmer"]
Family = Literal["neural", "classical"]

#: bounds shared by many models' hyperparameters
DROPOUT = Bounds("float", 0, 1, open_high=True)
WIDTH = Bounds("int", 1, 4096)
UNITS = Bounds("int", 1, 65536)
KERNEL = Bounds("int", 1, 101)
SEED = Bounds("int", 0, 2**32 - 1)
#: what a hyperparameter registered only by its default may take (types from the default)
GENERIC_INT = Bounds("int", 0, 10**6)
GENERIC_FLOAT = Bounds("float", -1e6, 1e6)


@dataclass(frozen=True)
class Param:
    """One hyperparameter: name, default, allowed values and a one-line meaning. ``trunk``
    is False for one that does not change what a trained trunk computes (it shapes only the
    head, or regularises in training only), so it may differ from a run given to --init."""

    name: str
    default: Any
    bounds: Bounds
    meaning: str = ""
    trunk: bool = True

    def check(self, value: Any, label: str = "--param ") -> Any:
        """``value`` converted to this parameter's type, or InputError naming it and its
        allowed range (``label`` says where the value came from)."""
        return self.bounds.check(value, f"{label}{self.name}")


def dropout_param(default: float, where: str = "before the output layer") -> Param:
    """The usual ``dropout`` hyperparameter (applied ``where``, in training only)."""
    return Param("dropout", default, DROPOUT, f"dropout {where} (training only)", trunk=False)


def embed_param(default: int, unit: str = "base token") -> Param:
    """The usual ``embed_dim`` hyperparameter: width of each ``unit``'s learnt vector."""
    return Param("embed_dim", default, WIDTH, f"width of the learnt vector of each {unit}")


def kmer_param(default: int) -> Param:
    """``k`` of a model that learns one vector per k-mer (4**k + 1 of them, so k <= 10)."""
    return Param("k", default, Bounds("int", 1, 10), "k-mer length (4**k + 1 learnt vectors)")


def with_defaults(params: Iterable[Param], **defaults: Any) -> tuple[Param, ...]:
    """``params`` with some defaults replaced: a preset of a model registered under its own
    name (same builder and bounds). A name not among ``params`` is a programming error."""
    params = tuple(params)
    unknown = set(defaults) - {p.name for p in params}
    if unknown:
        raise ValueError(f"no such parameters: {sorted(unknown)}")
    return tuple(replace(p, default=defaults.get(p.name, p.default)) for p in params)


def inferred_param(name: str, default: Any) -> Param:
    """A parameter known only by its default: its type from the default, generic bounds."""
    if isinstance(default, bool):
        bounds = Bounds("bool")
    elif isinstance(default, int):
        bounds = GENERIC_INT
    elif isinstance(default, float):
        bounds = GENERIC_FLOAT
    elif isinstance(default, str):
        bounds = Bounds("str")
    elif isinstance(default, (list, tuple)) and all(isinstance(v, int) for v in default):
        bounds = Bounds("ints", 0, 10**6)
    else:
        bounds = Bounds("any")
    return Param(name, default, bounds)


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
    explained by in-silico mutagenesis only. ``params`` types and bounds every
    hyperparameter (``defaults`` is their name -> default mapping). ``meta_build`` is False
    for a model that cannot be built on the meta device (e.g. one whose architecture is read
    from a folder by another library): its size is then not estimated before building.
    """

    name: str
    description: str
    family: Family
    input_kind: InputKind
    builder: Callable[..., Any]
    defaults: dict[str, Any] = field(default_factory=dict)
    fixed_length: bool = False
    gradients: bool = True
    params: tuple[Param, ...] = ()
    meta_build: bool = True

    def param(self, name: str) -> Param:
        """The typed spec of hyperparameter ``name`` (inferred from its default if needed)."""
        for p in self.params:
            if p.name == name:
                return p
        return inferred_param(name, self.defaults[name])

    def check(self, values: dict[str, Any], *, label: str = "--param ") -> dict[str, Any]:
        """``values`` each checked against its type and bounds (no defaults added); an
        unknown name or a bad value is an input error (``label`` names the source)."""
        unknown = sorted(map(str, set(values) - set(self.defaults)))
        if unknown:
            raise InputError(
                f"unknown hyperparameter(s) {unknown} for model {self.name!r}; "
                f"known: {sorted(self.defaults)}"
            )
        return {k: self.param(k).check(v, label) for k, v in values.items()}

    def hparams(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults merged with ``overrides`` (checked as in ``check``)."""
        return {**self.defaults, **self.check(dict(overrides or {}))}


_REGISTRY: dict[str, ModelSpec] = {}


def register(
    name: str,
    description: str,
    *,
    family: Family = "neural",
    input_kind: InputKind = "tokens",
    defaults: dict[str, Any] | None = None,
    params: Iterable[Param] | None = None,
    fixed_length: bool = False,
    gradients: bool = True,
    meta_build: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering a model builder under ``name``; hyperparameters are given as
    typed ``params`` (preferred) or as ``defaults`` (types inferred, generic bounds)."""
    if params is not None and defaults is not None:
        raise ValueError(f"model {name!r}: give params or defaults, not both")
    typed = tuple(params or (inferred_param(k, v) for k, v in (defaults or {}).items()))

    def wrap(builder: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = ModelSpec(
            name,
            description,
            family,
            input_kind,
            builder,
            {p.name: p.default for p in typed},
            fixed_length,
            gradients,
            typed,
            meta_build,
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
