"""Exact resume: the checkpoint of the last finished epoch, written atomically, with a record
of the command that made it.

A resumed run is bit-identical to an uninterrupted one because every epoch's randomness
is a pure function of (seed, epoch): the row order and augmentation (``data.loaders``) and
torch's global generator (dropout), re-seeded as each epoch starts (``reseed_torch``). The
checkpoint holds everything else that changes during training (weights, optimiser and
schedule state, early-stopping and history state, the epoch counter), so resuming from it
— after a kill between epochs or in the middle of one — replays the remaining epochs as
they would have run. ``run.json`` beside it records the settings and data fingerprint of the
command; ``--resume`` with a different command, or a damaged checkpoint, is an InputError.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from genoclass.atomic import atomic_path, write_text_atomic
from genoclass.config import is_main_process
from genoclass.data.loaders import epoch_seed, process_shard
from genoclass.errors import InputError

CHECKPOINT = "last.ckpt"
IDENTITY = "run.json"


class LastCheckpoint(Callback):
    """Saves ``last.ckpt`` atomically after every epoch (validation included); of several
    processes, rank 0 writes it (every process takes part in Lightning's save)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if not trainer.is_global_zero:
            trainer.save_checkpoint(self.path)  # writes nothing on this rank
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path, mode=0o600) as temp:
            trainer.save_checkpoint(temp)


def reseed_torch(seed: int, epoch: int) -> None:
    """Seed torch's global generator (dropout, k-mer dropout) for ``epoch`` of a run; each
    process of a multi-process run gets its own stream (rank 0's is the one-process one)."""
    torch.manual_seed(epoch_seed(seed, epoch, "torch") + process_shard()[0])


def resume_checkpoint(directory: Path, identity: dict[str, Any], resume: bool) -> Path | None:
    """The checkpoint to resume from (None: start afresh). Without ``resume`` the command's
    ``identity`` is recorded for a later resume; with it, a checkpoint of a different
    command or one that cannot be read is an InputError that says what to do."""
    ckpt, record = directory / CHECKPOINT, directory / IDENTITY
    if not (resume and ckpt.exists()):
        if not is_main_process():  # rank 0 records the command
            return None
        directory.mkdir(parents=True, exist_ok=True)
        write_text_atomic(record, json.dumps(identity, indent=1, sort_keys=True, default=str))
        return None
    saved = _read_identity(record)
    differences = describe_differences(saved, identity)
    if differences:
        raise InputError(
            f"--resume: the checkpoint was made by a different command ({differences}); "
            "rerun with the same settings, or delete this folder to start over",
            path=directory.parent,
        )
    try:
        torch.load(ckpt, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to read means a damaged file
        raise InputError(
            f"--resume: checkpoint {CHECKPOINT} is truncated or damaged ({type(exc).__name__}), "
            "e.g. by a full disk; free space, then delete this folder to start over",
            path=directory.parent,
        ) from None
    return ckpt


def _read_identity(record: Path) -> dict[str, Any]:
    try:
        saved = json.loads(record.read_text())
    except (OSError, ValueError):
        saved = None
    if not isinstance(saved, dict):
        raise InputError(
            f"--resume: the checkpoint has no readable record of its command ({IDENTITY}); "
            "delete this folder to start over",
            path=record.parent.parent,
        )
    return saved


def describe_differences(saved: dict[str, Any], now: dict[str, Any]) -> str:
    """``key saved (now: new)`` for every setting that differs, comma-separated."""
    plain = json.loads(json.dumps(now, default=str))
    keys = sorted(set(saved) | set(plain))
    return ", ".join(
        f"{k} {saved.get(k)!r} (now {plain.get(k)!r})" for k in keys if saved.get(k) != plain.get(k)
    )
