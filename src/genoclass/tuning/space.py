"""Search spaces from YAML: which hyperparameters to vary, over which values, in which order.

```yaml
model: expr_cnn            # optional; else --model
fixed: {dropout: 0.25}     # optional model or training settings held constant
params:                    # in order: ordered-grid varies them one at a time in this order
  output_activation: [softmax, softplus, softsign, swish]
  dense_units: [32, 64, 128, 256]
  lr: {low: 1.0e-4, high: 1.0e-2, log: true}   # a range: tpe only
```
A name that is a model hyperparameter goes to the model; one that is a training-loop
setting (``TrainConfig``'s "fit" group: ``lr``, ``batch_size``, ``epochs``, ``recipe``...)
goes to the training loop.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genoclass.config import TrainConfig, read_yaml_mapping, settings_in
from genoclass.errors import InputError
from genoclass.models.registry import ModelSpec

#: training settings a search space may vary besides the model's hyperparameters
TRAINING_KEYS = settings_in("fit")


@dataclass
class SearchSpace:
    """An ordered mapping of hyperparameter -> list of values (or a numeric range)."""

    params: dict[str, list[Any] | dict[str, Any]]
    fixed: dict[str, Any] = field(default_factory=dict)
    model: str | None = None

    def values(self, name: str) -> list[Any]:
        """The listed values of ``name``; a range is an input error (grids need lists)."""
        values = self.params[name]
        if not isinstance(values, list):
            raise InputError(f"hyperparameter {name!r} is a range; grid strategies need a list")
        return values

    def grid_size(self) -> int:
        """Number of combinations of a full grid."""
        size = 1
        for name in self.params:
            size *= len(self.values(name))
        return size


def load_space(path: str | Path) -> SearchSpace:
    """Read and check a search-space YAML file (see the module docstring)."""
    loaded = read_yaml_mapping(path, "search space")
    if not isinstance(loaded, dict) or not isinstance(loaded.get("params"), dict):
        raise InputError("search space needs a 'params' mapping of name: values", path=path)
    unknown = sorted(set(loaded) - {"model", "fixed", "params"})
    if unknown:
        raise InputError(f"unknown key(s) {unknown}; use model, fixed, params", path=path)
    for name, values in loaded["params"].items():
        ok_list = isinstance(values, list) and len(values) > 0
        ok_range = isinstance(values, dict) and {"low", "high"} <= set(values)
        if not (ok_list or ok_range):
            raise InputError(
                f"hyperparameter {name!r} needs a non-empty list or {{low, high}}", path=path
            )
    return SearchSpace(dict(loaded["params"]), dict(loaded.get("fixed") or {}), loaded.get("model"))


def check_space_values(space: SearchSpace, spec: ModelSpec, path: str | Path) -> None:
    """Every listed value (and range end) of the space is a valid value of its model
    hyperparameter (the registry's bounds) or training setting (TrainConfig's bounds); an
    unknown name or a bad value is an InputError naming the space file."""
    settings = {f.name: f for f in dataclasses.fields(TrainConfig) if f.name in TRAINING_KEYS}
    for name, values in space.params.items():
        if name in settings:
            check = settings[name].metadata["bounds"].check
        elif name in spec.defaults:
            check = spec.param(name).bounds.check
        else:
            raise InputError(
                f"{name!r} is neither a hyperparameter of {spec.name!r} nor a training "
                f"setting {TRAINING_KEYS}",
                path=path,
            )
        listed = values if isinstance(values, list) else [values["low"], values["high"]]
        try:
            for value in listed:
                check(value, name)
        except InputError as exc:
            raise InputError(exc.reason, path=path) from None


def encode(value: Any) -> Any:
    """A value Optuna can store as a categorical choice (lists and mappings as JSON text)."""
    return json.dumps(value) if isinstance(value, (list, dict, tuple)) else value


def decode(value: Any) -> Any:
    """Inverse of ``encode``."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value
