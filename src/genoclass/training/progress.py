"""Progress display: Lightning's bar on a terminal, one line per epoch in logs and CI; for
loops over batches outside training (``batch_progress``), a bar on a terminal and one line
per few batches with the time left in logs."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

import lightning as L
from lightning.pytorch.callbacks import Callback, TQDMProgressBar
from tqdm import tqdm

T = TypeVar("T")


class EpochLines(Callback):
    """Prints ``epoch i/N  train_loss  val_loss  val_accuracy  seconds`` after each epoch."""

    def on_train_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        m = trainer.callback_metrics
        parts = [f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}"]
        for key in ("train_loss", "val_loss", "val_accuracy"):
            value = float(m[key]) if key in m else math.nan
            if not math.isnan(value):
                parts.append(f"{key} {value:.4f}")
        parts.append(f"{time.perf_counter() - self._start:.1f}s")
        print("  ".join(parts), flush=True)


def progress_callback() -> Callback:
    """A progress bar when stdout is a terminal, else one printed line per epoch."""
    return TQDMProgressBar(leave=True) if sys.stdout.isatty() else EpochLines()


def batch_progress(items: Iterable[T], total: int, label: str, every: int = 20) -> Iterator[T]:
    """``items`` (``total`` batches) passed through while showing progress: a bar when stdout
    is a terminal, else ``label: batch i/N (p %), s elapsed, ETA s`` every ``every`` batches
    and after the last one."""
    if sys.stdout.isatty():
        yield from tqdm(items, total=total, desc=label, unit="batch")
        return
    start = time.perf_counter()
    for i, item in enumerate(items, 1):
        yield item
        if i % every == 0 or i == total:
            elapsed = time.perf_counter() - start
            eta = elapsed / i * max(total - i, 0)
            print(
                f"{label}: batch {i}/{total} ({100 * i / max(total, 1):.0f} %), "
                f"{elapsed:.1f}s elapsed, ETA {eta:.0f}s",
                flush=True,
            )
