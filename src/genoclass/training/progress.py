"""Progress display: Lightning's bar on a terminal, one line per epoch in logs and CI."""

from __future__ import annotations

import math
import sys
import time

import lightning as L
from lightning.pytorch.callbacks import Callback, TQDMProgressBar


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
