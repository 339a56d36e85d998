"""Featurizers turn a table of samples into a FeatureSet for a model's input kind.

A featurizer is fitted on training rows only; its state goes into model.json so that
``predict`` and ``evaluate`` encode new data exactly as training did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch

from genoclass.data.loaders import FeatureSet, encode_sequences
from genoclass.sequence.kmers import KmerFeaturizer


class Featurizer(Protocol):
    """Fit on training rows, then encode any table; serialisable to JSON."""

    input_length: int

    def fit(self, table: pd.DataFrame) -> Featurizer: ...

    def transform(self, table: pd.DataFrame, y: np.ndarray | None) -> FeatureSet: ...

    def state(self) -> dict[str, Any]: ...


@dataclass
class ArrayFeatures:
    """A dense numeric matrix (samples x features) with optional labels."""

    x: np.ndarray
    y: np.ndarray | None

    def __len__(self) -> int:
        return len(self.x)

    def batch(self, rows: Any) -> dict[str, torch.Tensor]:
        """Model-ready batch of the given rows."""
        rows = np.asarray(rows)
        out = {"x": torch.from_numpy(np.ascontiguousarray(self.x[rows], dtype=np.float32))}
        if self.y is not None:
            out["y"] = torch.from_numpy(self.y[rows])
        return out


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


#: featurizer name -> constructor from its saved state
FEATURIZERS: dict[str, Callable[[dict[str, Any]], Featurizer]] = {
    "sequence": lambda s: SequenceFeaturizer(
        s["input_kind"], s["max_len"], s["crop"], s["fixed_length"], s["input_length"]
    ),
    "kmer": lambda s: KmerFeaturizer(s["k"], s["input_length"]),
    "expression": lambda s: _expression_featurizer(s),
}


def _expression_featurizer(state: dict[str, Any]) -> Featurizer:
    # imported here: the expression featurizer itself builds on this module
    from genoclass.data.expression_features import ExpressionFeaturizer

    return ExpressionFeaturizer.from_state(state)


def featurizer_from_state(state: dict[str, Any]) -> Featurizer:
    """Rebuild a fitted featurizer from the state saved in model.json."""
    return FEATURIZERS[state["featurizer"]](state)
