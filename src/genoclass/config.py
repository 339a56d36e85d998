"""Run configuration: one typed dataclass, filled from defaults, a YAML file and CLI flags."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from genoclass.errors import InputError


@dataclass
class TrainConfig:
    """Every setting of a training run; the resolved copy is written to config.yaml."""

    data: str = ""
    test: str | None = None
    val: str | None = None
    labels: str | None = None
    format: str = "auto"
    sequence_col: str = "sequence"
    label_col: str = "label"
    model: str = "fast_accurate_cnn"
    model_params: dict[str, Any] = field(default_factory=dict)
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-2
    recipe: str = "onecycle"
    patience: int = 3
    grad_clip: float = 1.0
    label_smoothing: float = 0.0
    class_weights: bool = False
    seed: int = 42
    split_seed: int | None = None
    ignore_splits: bool = False
    max_len: int | None = None
    crop: str = "right"
    test_size: float = 0.2
    val_size: float = 0.1
    dedup: str = "none"
    similarity: float = 0.8
    kmer: int = 9
    group_col: str | None = None
    split_by: str | None = None
    augment: dict[str, float] = field(default_factory=dict)
    window: int | None = None
    window_stride: int | None = None
    orientation: str = "auto"
    missing: str = "reject"
    preprocess: str = "log2cpm"
    cv: int = 0
    cv_seeds: int = 1
    out: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (for YAML)."""
        return dataclasses.asdict(self)


RECIPES = ("onecycle", "early_stopping")


def load_config(path: str | Path | None, overrides: dict[str, Any]) -> TrainConfig:
    """Build a TrainConfig from an optional YAML file, then CLI overrides (non-None wins).

    Unknown YAML keys are input errors naming the file and the key.
    """
    values: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"cannot read config: {exc}", path=path) from exc
        if not isinstance(loaded, dict):
            raise InputError("config must be a mapping of setting: value", path=path)
        known = {f.name for f in dataclasses.fields(TrainConfig)}
        unknown = sorted(set(loaded) - known)
        if unknown:
            raise InputError(f"unknown setting(s) {unknown}; known: {sorted(known)}", path=path)
        values.update(loaded)
    values.update({k: v for k, v in overrides.items() if v is not None})
    config = TrainConfig(**values)
    if config.recipe not in RECIPES:
        raise InputError(f"unknown recipe {config.recipe!r}; use one of {RECIPES}")
    return config
