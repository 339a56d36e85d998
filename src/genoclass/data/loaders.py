"""Batching: feature sets that turn a list of row indices into a model-ready batch.

A feature set holds the encoded rows of one split. ``SequenceFeatures`` pads each batch
only to its own longest sequence (dynamic padding) unless the model needs a fixed width,
and applies training-time augmentation when one is given.

Every epoch's randomness is a pure function of (seed, epoch): the training loader's row order
(``BatchPlan``) and, through an optional ``seed_batch(epoch, index)`` method of the feature
set, the augmentation of each batch (a pure function of (seed, epoch, batch index)). A run
resumed at an epoch boundary therefore replays exactly, and a loader with worker processes
gives the same batches as one without: each batch carries its epoch and index to whichever
process builds it.

Several training processes (DDP) see the same global batches as one process: each takes
an equal share of every training batch of that order (``process_shard``), so the row order
is a function of the seed alone, whatever the number of processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from genoclass.sequence.encoding import Crop, one_hot, tokenize

#: augmentation hook: (tokens uint8 (B, L), lengths, rng) -> (tokens, lengths)
Augment = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]
#: independent random streams derived from one (seed, epoch)
STREAMS = {"shuffle": 0, "augment": 1, "torch": 2}


def epoch_seed(seed: int, epoch: int, stream: str) -> int:
    """A 63-bit seed for one random ``stream`` of one epoch, a pure function of its inputs."""
    state = np.random.SeedSequence([seed, epoch, STREAMS[stream]]).generate_state(2, np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


def augment_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The augmentation generator of batch ``index`` of ``epoch`` of a feature set seeded
    with ``seed``."""
    return np.random.default_rng([epoch_seed(seed, epoch, "augment"), index])


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

    def seed_batch(self, epoch: int, index: int) -> None:
        """Draw the next batch's augmentation from the stream of batch ``index`` of ``epoch``."""
        self._rng = augment_rng(self.seed, epoch, index)

    def augmented(self, augment: Augment, seed: int) -> SequenceFeatures:
        """This set with training-time ``augment`` drawn from ``seed``."""
        return replace(self, augment=augment, seed=seed)

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


def process_shard() -> tuple[int, int]:
    """(rank, number of processes) of this process in a running multi-process training
    (torch.distributed initialised), else (0, 1)."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def batch_share(size: int, rank: int, world: int) -> slice | None:
    """Rank ``rank``'s rows of a global batch of ``size`` rows shared by ``world`` processes:
    ``[rank * size // world, (rank + 1) * size // world)``; None for a batch of fewer rows
    than processes (it cannot give each one a row: left out)."""
    if size < world:
        return None
    return slice(rank * size // world, (rank + 1) * size // world)


class BatchPlan(Sampler[tuple[int, int, np.ndarray]]):
    """The batches of a loader as (epoch, index, rows): the rows in order, or (``shuffle``)
    in a permutation drawn from (seed, epoch) alone. The training loop announces each epoch
    with ``set_epoch``, which also calls ``on_epoch``."""

    def __init__(
        self,
        n: int,
        batch_size: int,
        *,
        shuffle: bool,
        seed: int = 0,
        on_epoch: Callable[[int], None] | None = None,
    ) -> None:
        self.n, self.batch_size, self.shuffle, self.seed = n, batch_size, shuffle, seed
        self.epoch, self.on_epoch = 0, on_epoch

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass over the rows the one of ``epoch``."""
        self.epoch = epoch
        if self.on_epoch is not None:
            self.on_epoch(epoch)

    def __iter__(self) -> Iterator[tuple[int, int, np.ndarray]]:
        if self.shuffle:
            generator = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch, "shuffle"))
            order = torch.randperm(self.n, generator=generator).numpy()
        else:
            order = np.arange(self.n)
        rank, world = self._shard()
        for index, start in enumerate(range(0, self.n, self.batch_size)):
            rows = order[start : start + self.batch_size]
            share = batch_share(len(rows), rank, world)
            if share is None:
                return
            # each process's share its own augmentation stream (index itself with one process)
            yield self.epoch, index * world + rank, rows[share]

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + int(0 < rest and rest >= self._shard()[1])

    def _shard(self) -> tuple[int, int]:
        """This process's (rank, processes) share of every training batch: rows
        ``[r * k // P, (r + 1) * k // P)`` of a batch of k rows for rank r of P processes (a
        last batch of fewer rows than processes is left out of that epoch); an unshuffled
        loader (validation, prediction) gives every process all rows."""
        return process_shard() if self.shuffle else (0, 1)


class _Batches(Dataset):
    """A feature set as a dataset whose items are whole batches, keyed by (epoch, index,
    rows): the process that builds a batch seeds its augmentation from the key."""

    def __init__(self, features: FeatureSet) -> None:
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, key: tuple[int, int, np.ndarray]) -> dict[str, torch.Tensor]:
        epoch, index, rows = key
        seed_batch = getattr(self.features, "seed_batch", None)
        if seed_batch is not None:
            seed_batch(epoch, index)
        return self.features.batch(rows)


def make_loader(
    features: FeatureSet,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int = 0,
    on_epoch: Callable[[int], None] | None = None,
    workers: int = 0,
    pin_memory: bool = False,
) -> DataLoader:
    """A DataLoader over a feature set (see :class:`BatchPlan`); ``workers`` processes (kept
    for the whole run) build the batches when above 0, with the same result as without;
    ``pin_memory`` for copying batches to a GPU."""
    plan = BatchPlan(len(features), batch_size, shuffle=shuffle, seed=seed, on_epoch=on_epoch)
    # its own generator: creating an iterator draws a seed from it, never from torch's global
    # one (which the training loop may create more than once when it resumes)
    return DataLoader(
        _Batches(features),
        batch_size=None,
        sampler=plan,
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=pin_memory,
        generator=torch.Generator().manual_seed(seed),
    )
