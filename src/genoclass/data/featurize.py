"""Featurizers turn a table of samples into a FeatureSet for a model's input kind.

A featurizer is fitted on training rows only; its state goes into model.json so that
``predict`` and ``evaluate`` encode new data exactly as training did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from genoclass.data.loaders import FeatureSet, encode_sequences
from genoclass.data.store import SequenceStore
from genoclass.errors import InputError


class Featurizer(Protocol):
    """Fit on training rows, then encode any table; serialisable to JSON."""

    input_length: int

    def fit(self, table: pd.DataFrame) -> Featurizer: ...

    def transform(self, table: pd.DataFrame, y: np.ndarray | None) -> FeatureSet: ...

    def state(self) -> dict[str, Any]: ...


@dataclass
class SequenceFeaturizer:
    """Token or one-hot encoding with a maximum length taken from training when unset.

    With a packed ``store`` (not part of the saved state), tables without sequences are
    accepted: their ``store_row`` column names the rows, and ``transform`` gives a
    :class:`~genoclass.data.store.StoreFeatures` that reads each batch from the store."""

    input_kind: str = "tokens"
    max_len: int | None = None
    crop: str = "right"
    fixed_length: bool = False
    input_length: int = 0
    store: SequenceStore | None = field(default=None, repr=False, compare=False)

    def fit(self, table: pd.DataFrame) -> SequenceFeaturizer:
        """Fix the input length: ``max_len`` or the longest training sequence."""
        if "sequence" in table:
            longest = int(table["sequence"].str.len().max())
        else:
            longest = int(self._store().lengths[table["store_row"].to_numpy()].max())
        self.input_length = int(self.max_len) if self.max_len else longest
        return self

    def transform(self, table: pd.DataFrame, y: np.ndarray | None) -> FeatureSet:
        """Encode the table's sequences (cropped to input_length)."""
        if "sequence" not in table:
            return self._store().features(
                table["store_row"].to_numpy(),
                y=y,
                input_kind=self.input_kind,
                max_len=self.input_length,
                crop=self.crop,
                fixed_width=self.input_length if self.fixed_length else None,
            )
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

    def _store(self) -> SequenceStore:
        if self.store is None:
            raise InputError("the data hold no sequences and no packed store to read them from")
        return self.store

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SequenceFeaturizer:
        """The fitted featurizer saved by ``state()``."""
        keys = ("input_kind", "max_len", "crop", "fixed_length", "input_length")
        return cls(*(state[k] for k in keys))
