"""Self-supervised pretraining of a model's trunk: masked-span nucleotide reconstruction.

Objective. Spans of ``span`` bases are hidden (replaced by N) until about ``mask_rate`` of
each window's A/C/G/T bases are hidden; a small per-position decoder (two 1x1 convolutions)
predicts the hidden bases from the trunk's ``position_features`` and the loss is the
cross-entropy over hidden positions only. Why: a 15 % rate is BERT's; spans rather than
single bases, because a convolutional trunk can restore a lone base from the k-mer
statistics of its immediate neighbours, while restoring a 4-base gap needs wider context
(the motif-level structure a classifier wants). The reference point is the unigram
baseline (entropy of the hidden bases' frequencies): a trunk that learnt nothing cannot go
below it.

Data stream in windows of ``window`` bases every ``stride`` bases (the last window of a
record ends at its end; records shorter than a window are one window) from any number of
FASTA / CSV / TSV / Parquet files or folders, chunk by chunk (io.stream), so a genome FASTA
is never held as Python strings. Labels are ignored. Training windows pass through a
seeded shuffle buffer; every ``VAL_EVERY``-th window (up to ``VAL_WINDOWS``) is held out
for validation and never trained on.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pandas as pd
import torch
from lightning.pytorch.callbacks import Callback
from torch import nn

from genoclass.config import SEED, Bounds, ComputeSettings, check_fields, plain_precision, setting
from genoclass.data.leakage import SubstringIndex
from genoclass.data.loaders import batch_share, epoch_seed, process_shard
from genoclass.data.store import SequenceStore, is_store
from genoclass.errors import InputError
from genoclass.io.stream import CHUNK_BYTES, SequenceStream
from genoclass.sequence.encoding import ONE_HOT_TABLE, residue_tokens
from genoclass.training.checkpoint import (
    CHECKPOINT,
    LastCheckpoint,
    reseed_torch,
    resume_checkpoint,
)
from genoclass.training.fit import lightning_fit
from genoclass.training.module import log_epoch_mean
from genoclass.training.progress import progress_callback
from genoclass.training.runtime import Runtime

#: every VAL_EVERY-th window is held out for validation, up to VAL_WINDOWS of them
VAL_EVERY = 50
VAL_WINDOWS = 2000
#: windows gathered before a shuffle (bounds memory: SHUFFLE_WINDOWS x window bytes)
SHUFFLE_WINDOWS = 20_000
N_TOKEN = 5


@dataclass
class PretrainConfig(ComputeSettings):
    """Every setting of a pretraining run (checked on construction like TrainConfig; the
    compute settings, ``batch_size`` included, are TrainConfig's)."""

    data: list[str] = setting([], Bounds("any"))
    model: str = setting("fast_accurate_cnn", Bounds("str"))
    model_params: dict[str, Any] = setting({}, Bounds("mapping"), flag="--param")
    window: int = setting(200, Bounds("int", 8, 100_000))
    stride: int = setting(100, Bounds("int", 1, 100_000))
    mask_rate: float = setting(0.15, Bounds("float", 0, 0.9, open_low=True))
    span: int = setting(4, Bounds("int", 1, 100))
    epochs: int = setting(1, Bounds("int", 1, 100_000))
    lr: float = setting(1e-3, Bounds("float", 0, 10, open_low=True))
    seed: int = setting(42, SEED)
    format: str = setting("auto", Bounds("str"))
    sequence_col: str = setting("sequence", Bounds("str"))
    #: sequence files (e.g. a target task's validation and test splits) never to pretrain on
    exclude: list[str] = setting([], Bounds("any"))
    out: str = setting("", Bounds("str"))

    def __post_init__(self) -> None:
        self.precision = plain_precision(self.precision)
        check_fields(self)
        self.check_processes()
        if not self.data or not all(isinstance(p, str) for p in self.data):
            raise InputError("--data needs one or more files or folders")
        if not all(isinstance(p, str) for p in self.exclude):
            raise InputError("--exclude takes files or folders of sequences")

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (for YAML)."""
        return dataclasses.asdict(self)


def window_blocks(
    paths: list[str],
    window: int,
    stride: int,
    *,
    fmt: str = "auto",
    sequence_col: str = "sequence",
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(n, window) uint8 token windows (right-padded with 0) and their lengths, block by
    block, from every source in order (see the module docstring for where windows start),
    reading about ``chunk_bytes`` of text at a time."""
    for path in paths:
        if is_store(path):
            yield from _store_windows(SequenceStore(path), window, stride, chunk_bytes)
            continue
        stream = SequenceStream(
            path,
            format=fmt,
            sequence_col=sequence_col,
            whole_records=False,
            chunk_bytes=chunk_bytes,
        )
        record = _RecordWindows(window, stride)
        for chunk in stream:
            tokens = residue_tokens(chunk.residues)
            last = len(chunk) - 1
            for i in range(len(chunk)):
                if not (i == 0 and chunk.continues):
                    record = _RecordWindows(window, stride)
                piece = tokens[chunk.offsets[i] : chunk.offsets[i + 1]]
                block = record.add(piece, closed=not (chunk.open and i == last))
                if len(block[0]):
                    yield block


def _store_windows(
    store: SequenceStore, window: int, stride: int, chunk_bytes: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The windows of every row of a packed store (each row a record), reading about
    ``chunk_bytes`` tokens at a time."""
    for tokens, lengths in store.token_blocks(chunk_bytes):
        for row, n in zip(tokens, lengths, strict=True):
            block = _RecordWindows(window, stride).add(row[:n], closed=True)
            if len(block[0]):
                yield block


def read_sequences_of(paths: list[str]) -> list[str]:
    """Every sequence of the files or folders ``paths`` (any streamable format or a packed
    store; labels ignored), as text."""
    out: list[str] = []
    for path in source_paths(paths):
        if is_store(path):
            store = SequenceStore(path)
            out += store.sequences(np.arange(len(store)))
            continue
        for chunk in SequenceStream(path):
            text, ends = bytes(chunk.residues).decode(), chunk.offsets.tolist()
            out += [text[a:b] for a, b in zip(ends[:-1], ends[1:], strict=True)]
    return out


def excluded_index(config: PretrainConfig) -> SubstringIndex | None:
    """The sequences of the ``exclude`` files, indexed (None when there are none)."""
    return SubstringIndex(read_sequences_of(config.exclude)) if config.exclude else None


def screened_windows(
    config: PretrainConfig, index: SubstringIndex | None
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The corpus's windows block by block, each block with the mask of windows holding a
    sequence of ``index`` (``excluded_index``; either strand) and the ids of those found."""
    for tokens, lengths in window_blocks(
        config.data, config.window, config.stride, fmt=config.format,
        sequence_col=config.sequence_col,
    ):  # fmt: skip
        if index is None:
            yield tokens, lengths, np.zeros(len(tokens), dtype=bool), np.zeros(0, dtype=np.int64)
        else:
            yield tokens, lengths, *index.search(tokens, lengths)


def exclusion_counts(config: PretrainConfig) -> dict[str, Any]:
    """What ``--exclude`` removed: excluded sequences, how many occur in the corpus and the
    windows dropped out of all windows (one pass over the corpus)."""
    index = excluded_index(config)
    seen = np.zeros(index.n if index is not None else 0, dtype=bool)
    dropped = total = 0
    for tokens, _, hit, found in screened_windows(config, index):
        seen[found] = True
        dropped, total = dropped + int(hit.sum()), total + len(tokens)
    return {
        "files": config.exclude,
        "sequences": len(seen),
        "found_in_corpus": int(seen.sum()),
        "windows_dropped": dropped,
        "windows": total,
    }


def corpus_occurrences(
    paths: list[str], sequences: list[str], *, fmt: str = "auto", sequence_col: str = "sequence"
) -> np.ndarray:
    """Per sequence: does it occur, on either strand, inside a record of the corpus
    ``paths``? (The corpus is read in overlapping windows long enough to hold any of them.)"""
    index = SubstringIndex(sequences)
    seen = np.zeros(len(sequences), dtype=bool)
    if not index.longest:
        return seen
    width = max(1024, 2 * index.longest)
    for tokens, lengths in window_blocks(
        paths, width, width - index.longest + 1, fmt=fmt, sequence_col=sequence_col
    ):
        seen[index.search(tokens, lengths)[1]] = True
    return seen


class _RecordWindows:
    """Windows of one record that arrives in pieces: regular windows every ``stride``
    bases, then (when it closes) one ending at its end unless the last one did; a record
    shorter than a window is one short window. Keeps only the bases later windows need."""

    def __init__(self, window: int, stride: int) -> None:
        self.window, self.stride = window, stride
        self.buffer = np.zeros(0, dtype=np.uint8)
        self.offset = 0  # record position of buffer[0]
        self.next = 0  # record position of the next regular window
        self.end = -1  # record position where the last window emitted ends

    def add(self, piece: np.ndarray, *, closed: bool) -> tuple[np.ndarray, np.ndarray]:
        """The windows complete once ``piece`` is appended (and the record ``closed``)."""
        buf = np.concatenate([self.buffer, piece])
        total = self.offset + len(buf)
        starts = list(range(self.next, total - self.window + 1, self.stride))
        if starts:
            self.next, self.end = starts[-1] + self.stride, starts[-1] + self.window
        if closed and self.end < total:
            starts.append(max(total - self.window, 0))
        out = np.zeros((len(starts), self.window), dtype=np.uint8)
        lengths = np.zeros(len(starts), dtype=np.int64)
        for j, start in enumerate(starts):
            row = buf[start - self.offset : start - self.offset + self.window]
            out[j, : len(row)], lengths[j] = row, len(row)
        cut = min(self.next, max(total - self.window, 0)) - self.offset
        self.buffer, self.offset = buf[max(cut, 0) :], self.offset + max(cut, 0)
        return out, lengths


class WindowStream(torch.utils.data.IterableDataset):
    """Batches {"x": tokens int64 (B, window), "lengths"} of training windows (shuffled in
    buffers, reseeded per epoch) or of the held-out validation windows (fixed order)."""

    def __init__(self, config: PretrainConfig, role: str) -> None:
        self.config, self.role, self.epoch = config, role, 0
        self.excluded = excluded_index(config)  # read once, screened every pass

    def windows(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """This role's windows, block by block (without those holding an excluded
        sequence)."""
        index = 0
        for tokens, lengths, hit, _ in screened_windows(self.config, self.excluded):
            if hit.any():  # no copy of the block when nothing is excluded
                tokens, lengths = tokens[~hit], lengths[~hit]
            if not len(tokens):
                continue
            ids = index + np.arange(len(tokens))
            index += len(tokens)
            held = (ids % VAL_EVERY == 0) & (ids < VAL_EVERY * VAL_WINDOWS)
            keep = held if self.role == "val" else ~held
            if keep.any():
                yield tokens[keep], lengths[keep]
            if self.role == "val" and index >= VAL_EVERY * VAL_WINDOWS:
                return

    def _global_batches(self) -> Iterator[dict[str, torch.Tensor]]:
        rng = np.random.default_rng(epoch_seed(self.config.seed, self.epoch, "shuffle"))
        size = self.config.batch_size
        tokens_parts: list[np.ndarray] = []
        length_parts: list[np.ndarray] = []
        for tokens, lengths in self.windows():
            tokens_parts.append(tokens)
            length_parts.append(lengths)
            if sum(len(t) for t in tokens_parts) >= SHUFFLE_WINDOWS:
                tokens, lengths = self._mixed(tokens_parts, length_parts, rng)
                full = len(tokens) // size * size
                yield from _batches(tokens[:full], lengths[:full], size)
                tokens_parts, length_parts = [tokens[full:]], [lengths[full:]]
        if tokens_parts:
            yield from _batches(*self._mixed(tokens_parts, length_parts, rng), size)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        """The batches of one pass; with several processes each trains on its share of every
        training batch (as ``data.loaders.BatchPlan``), and every process validates on
        all validation windows."""
        rank, world = process_shard()
        if self.role != "train" or world == 1:
            yield from self._global_batches()
            return
        for batch in self._global_batches():
            share = batch_share(len(batch["x"]), rank, world)
            if share is not None:
                yield {key: value[share] for key, value in batch.items()}

    def _mixed(
        self, tokens: list[np.ndarray], lengths: list[np.ndarray], rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """The buffered windows joined, in a random order for training."""
        joined, joined_lengths = np.concatenate(tokens), np.concatenate(lengths)
        if self.role != "train":
            return joined, joined_lengths
        order = rng.permutation(len(joined))
        return joined[order], joined_lengths[order]


def _batches(
    tokens: np.ndarray, lengths: np.ndarray, size: int
) -> Iterator[dict[str, torch.Tensor]]:
    """Consecutive batches of ``size`` windows (the last one may be smaller)."""
    for s in range(0, len(tokens), size):
        yield {
            "x": torch.from_numpy(tokens[s : s + size].astype(np.int64)),
            "lengths": torch.from_numpy(lengths[s : s + size]),
        }


def span_mask(
    tokens: torch.Tensor, rate: float, span: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """(B, L) bool mask of hidden positions: spans of ``span`` bases starting at random
    positions (start probability rate / span), restricted to A/C/G/T bases."""
    starts = torch.rand(tokens.shape, generator=generator).to(tokens.device) < rate / span
    covered = nn.functional.max_pool1d(
        nn.functional.pad(starts.float()[:, None, :], (span - 1, 0)), span, stride=1
    )[:, 0, :]
    return (covered > 0) & (tokens >= 1) & (tokens <= 4)


class PretrainModule(L.LightningModule):
    """Trunk (``model.position_features``) + per-position decoder, trained to restore the
    hidden bases of each batch; validation uses one fixed mask per batch position."""

    def __init__(self, model: nn.Module, input_kind: str, config: PretrainConfig) -> None:
        super().__init__()
        if not hasattr(model, "position_features"):
            raise InputError(
                f"model {config.model!r} has no per-position features (it pools inside its "
                "trunk), so it cannot be pretrained by masked reconstruction"
            )
        self.model, self.input_kind, self.config = model, input_kind, config
        self.train_stream: WindowStream | None = None  # its epoch follows the trainer's
        width = _position_width(model, input_kind, config.window)
        self.decoder = nn.Sequential(nn.Conv1d(width, 64, 1), nn.GELU(), nn.Conv1d(64, 4, 1))
        self.loss = nn.CrossEntropyLoss()
        self._freeze_unreached()

    def _freeze_unreached(self) -> None:
        """Stop the gradients of the parameters reconstruction never reaches (the head, a
        norm of the pooled features): they stay as built, as they did before, and several
        processes (DDP) need not search for them at every step. Found by one backward pass
        in evaluation mode (no running statistics change, no random numbers drawn)."""
        training, window = self.training, self.config.window
        self.eval()
        tokens = torch.ones(1, window, dtype=torch.long)
        mask = torch.zeros(1, window, dtype=torch.bool)
        mask[0, 0] = True
        self.masked_loss({"x": tokens, "lengths": torch.tensor([window])}, mask).backward()
        for param in self.parameters():
            if param.grad is None:
                param.requires_grad_(False)
        self.zero_grad(set_to_none=True)
        self.train(training)

    def masked_loss(self, batch: dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the decoder's predictions at the hidden positions."""
        tokens = batch["x"]
        hidden = tokens.masked_fill(mask, N_TOKEN)
        logits = self.decoder(
            self.model.position_features(_encode(hidden, self.input_kind), batch["lengths"])
        )
        if not mask.any():
            return logits.sum() * 0.0
        return self.loss(logits.transpose(1, 2)[mask], tokens[mask] - 1)

    def on_train_epoch_start(self) -> None:
        reseed_torch(self.config.seed, self.current_epoch)  # masks repeat on --resume
        if self.train_stream is not None:
            self.train_stream.epoch = self.current_epoch

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        mask = span_mask(batch["x"], self.config.mask_rate, self.config.span)
        loss = self.masked_loss(batch, mask)
        log_epoch_mean(self, "train_loss", loss, len(batch["x"]))
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        generator = torch.Generator().manual_seed(self.config.seed + batch_idx)
        mask = span_mask(batch["x"], self.config.mask_rate, self.config.span, generator)
        loss = self.masked_loss(batch, mask)
        log_epoch_mean(self, "val_loss", loss, int(mask.sum().clamp_min(1)))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.parameters(), lr=self.config.lr, weight_decay=1e-2)


def _encode(tokens: torch.Tensor, input_kind: str) -> torch.Tensor:
    """Model input of token rows: the tokens, or one-hot (B, 4, L) for one-hot models."""
    if input_kind == "tokens":
        return tokens
    return torch.from_numpy(ONE_HOT_TABLE).to(tokens.device)[tokens].transpose(1, 2)


def _position_width(model: nn.Module, input_kind: str, window: int) -> int:
    """Channels of ``model.position_features`` (probed on one window of N)."""
    probe = torch.full((1, min(window, 64)), N_TOKEN, dtype=torch.long)
    with torch.no_grad():
        was = model.training
        out = model.eval().position_features(_encode(probe, input_kind))
        model.train(was)
    return int(out.shape[1])


def unigram_baseline(stream: WindowStream) -> tuple[float, int]:
    """Entropy (nats) of the base frequencies of the stream's windows — the loss of a
    predictor that knows only how common each base is — and the number of windows."""
    counts = np.zeros(6, dtype=np.int64)
    n = 0
    for tokens, _ in stream.windows():
        counts += np.bincount(tokens.ravel(), minlength=6)
        n += len(tokens)
    p = counts[1:5] / max(counts[1:5].sum(), 1)
    return (float(-(p[p > 0] * np.log(p[p > 0])).sum()) if p.sum() else math.nan), n


def source_paths(paths: list[str]) -> list[str]:
    """The sources as given, each checked to exist (InputError naming a missing one)."""
    for p in paths:
        if not Path(p).exists():
            raise InputError("no such file or folder", path=p)
    return paths


class _LossHistory(Callback):
    """One row per epoch: training and validation masked-reconstruction loss (kept in
    checkpoints, so a resumed run has its whole history)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        m = trainer.callback_metrics
        self.rows.append(
            {
                "epoch": trainer.current_epoch + 1,
                **{k: float(m[k]) if k in m else math.nan for k in ("train_loss", "val_loss")},
            }
        )

    def state_dict(self) -> dict[str, Any]:
        return {"rows": self.rows}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rows = list(state["rows"])


def fit_pretraining(
    module: PretrainModule,
    val: WindowStream,
    *,
    checkpoint_dir: Path,
    identity: dict[str, Any],
    resume: bool,
    progress: bool,
) -> tuple[pd.DataFrame, float]:
    """Train ``module`` on its training stream for ``config.epochs`` epochs (checkpoint
    after each, for --resume); returns the per-epoch loss history and seconds taken."""
    history = _LossHistory()
    callbacks: list[Callback] = [history, LastCheckpoint(checkpoint_dir / CHECKPOINT)]
    bar = progress_callback() if progress else None
    if bar is not None:
        callbacks.append(bar)
    resume_from = resume_checkpoint(checkpoint_dir, identity, resume)
    seconds = lightning_fit(
        module,
        torch.utils.data.DataLoader(module.train_stream, batch_size=None),
        torch.utils.data.DataLoader(val, batch_size=None),
        epochs=module.config.epochs,
        callbacks=callbacks,
        bar=bar,
        grad_clip=1.0,
        resume_from=resume_from,
        runtime=Runtime.of(module.config),
    )
    return pd.DataFrame(history.rows, columns=["epoch", "train_loss", "val_loss"]), seconds
