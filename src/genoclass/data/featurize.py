"""Featurizers turn a table of samples into a FeatureSet for a model's input kind.

A featurizer is fitted on training rows only; its state goes into model.json so that
``predict`` and ``evaluate`` encode new data exactly as training did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from genoclass.data.loaders import FeatureSet, encode_sequences


class Featurizer(Protocol):
    """Fit on training rows, then encode any table; serialisable to JSON."""

    input_length: int

    def fit(self, table: pd.DataFrame) -> Featurizer: ...

    def transform(self, table: pd.DataFrame, y: np.ndarray | None) -> FeatureSet: ...

    def state(self) -> dict[str, Any]: ...


@dataclass
class SequenceFeaturizer:
    """Token or one-hot encoding with a maximum length taken from training when unset."""

    input_kind: str = "tokens"
    max_len: int | None = None
    crop: str = "right"
    fixed_length: bool = False
    input_length: int = 0

    def fit(self, table: pd.DataFrame) -> SequenceFeaturizer:
        """Fix the input length: ``max_len`` or the longest training sequence."""
        longest = int(table["sequence"].str.len().max())
        self.input_length = int(self.max_len) if self.max_len else longest
        return self

    def transform(self, table: pd.DataFrame, y: np.ndarray | None) -> FeatureSet:
        """Encode the table's sequences (cropped to input_length)."""
        return encode_sequences(
            table["sequence"].tolist(),
            y,
            input_kind=self.input_kind,
            max_len=self.input_length,
            crop=self.crop,
            fixed_width=self.input_length if self.fixed_length else None,
        )

    def state(self) -> dict[str, Any]:
        """JSON-able description stored in model.json."""
        return {
            "featurizer": "sequence",
            "input_kind": self.input_kind,
            "max_len": self.max_len,
            "crop": self.crop,
            "fixed_length": self.fixed_length,
            "input_length": self.input_length,
            "alphabet": "A1 C2 G3 T4 N5 pad0",
            "one_hot_N": "0.25 on each base",
            "padding": "right, zeros",
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SequenceFeaturizer:
        """The fitted featurizer saved by ``state()``."""
        keys = ("input_kind", "max_len", "crop", "fixed_length", "input_length")
        return cls(*(state[k] for k in keys))
