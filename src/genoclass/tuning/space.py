"""Search spaces from YAML: which hyperparameters to vary, over which values, in which order.

```yaml
model: expr_cnn            # optional; else --model
fixed: {dropout: 0.25}     # optional model or training settings held constant
params:                    # in order: ordered-grid varies them one at a time in this order
  output_activation: [softmax, softplus, softsign, swish]
  dense_units: [32, 64, 128, 256]
  lr: {low: 1.0e-4, high: 1.0e-2, log: true}   # a range: tpe only
```
A name that is a model hyperparameter goes to the model; one that is a training setting
(``lr``, ``batch_size``, ``epochs``, ``weight_decay``) goes to the training loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from genoclass.errors import InputError

#: training settings a search space may vary besides the model's hyperparameters
TRAINING_KEYS = ("lr", "batch_size", "epochs", "weight_decay")


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
    try:
        loaded = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read search space: {exc}", path=path) from exc
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


def encode(value: Any) -> Any:
    """A value Optuna can store as a categorical choice (lists and mappings as JSON text)."""
    return json.dumps(value) if isinstance(value, (list, dict, tuple)) else value


def decode(value: Any) -> Any:
    """Inverse of ``encode``."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value
