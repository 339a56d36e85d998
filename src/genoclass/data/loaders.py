"""Batching: feature sets that turn a list of row indices into a model-ready batch.

A feature set holds the encoded rows of one split. ``SequenceFeatures`` pads each batch
only to its own longest sequence (dynamic padding) unless the model needs a fixed width,
and applies training-time augmentation when one is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch.utils.data import DataLoader

from genoclass.sequence.encoding import Crop, one_hot, tokenize

#: augmentation hook: (tokens uint8 (B, L), lengths, rng) -> (tokens, lengths)
Augment = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


class FeatureSet(Protocol):
    """Anything that can produce a batch dictionary for a list of row indices."""

    def __len__(self) -> int: ...

    def batch(self, rows: Sequence[int]) -> dict[str, torch.Tensor]: ...


@dataclass
class SequenceFeatures:
    """Token-encoded sequences of one split, batched as tokens or one-hot."""

    tokens: np.ndarray
    lengths: np.ndarray
    y: np.ndarray | None
    input_kind: str = "tokens"
    fixed_width: int | None = None
    augment: Augment | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, rows: Sequence[int]) -> dict[str, torch.Tensor]:
        """Model-ready batch for ``rows``: x, lengths and (when labelled) y."""
        rows = np.asarray(rows)
        return model_batch(
            self.tokens[rows],
            self.lengths[rows],
            None if self.y is None else self.y[rows],
            input_kind=self.input_kind,
            fixed_width=self.fixed_width,
            augment=self.augment,
            rng=self._rng,
        )


def model_batch(
    tokens: np.ndarray,
    lengths: np.ndarray,
    y: np.ndarray | None,
    *,
    input_kind: str,
    fixed_width: int | None = None,
    augment: Augment | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """The batch dictionary of right-padded uint8 token rows: augmented (when given), padded
    or cut to ``fixed_width`` or else to the longest row, as int64 tokens or one-hot."""
    if augment is not None:
        tokens, lengths = augment(tokens, lengths, rng)
    width = fixed_width or max(int(lengths.max(initial=1)), 1)
    if tokens.shape[1] < width:
        tokens = np.pad(tokens, ((0, 0), (0, width - tokens.shape[1])))
    tokens = tokens[:, :width]
    x = (
        torch.from_numpy(one_hot(tokens))
        if input_kind == "onehot"
        else (torch.from_numpy(tokens.astype(np.int64)))
    )
    out = {"x": x, "lengths": torch.from_numpy(np.minimum(lengths, width).astype(np.int64))}
    if y is not None:
        out["y"] = torch.from_numpy(y)
    return out


def encode_sequences(
    seqs: Sequence[str],
    y: np.ndarray | None,
    *,
    input_kind: str,
    max_len: int | None,
    crop: Crop = "right",
    fixed_width: int | None = None,
) -> SequenceFeatures:
    """Tokenise sequences (vectorised) into a SequenceFeatures set."""
    tokens, lengths = tokenize(seqs, max_len=max_len, crop=crop)
    return SequenceFeatures(tokens, lengths, y, input_kind=input_kind, fixed_width=fixed_width)


def make_loader(
    features: FeatureSet, batch_size: int, *, shuffle: bool, seed: int = 0
) -> DataLoader:
    """A DataLoader over a feature set; shuffling is seeded."""
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        range(len(features)),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        collate_fn=features.batch,
    )
