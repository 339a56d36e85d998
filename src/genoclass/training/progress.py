"""Progress display, one policy for every long job: a live tqdm bar when stdout is a
terminal; in logs and CI, printed lines on stdout (one per epoch, one per fold, run or
trial, and periodic ones for many short steps) with the elapsed time and an ETA."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TypeVar

import lightning as L
from lightning.pytorch.callbacks import Callback, TQDMProgressBar
from tqdm import tqdm

T = TypeVar("T")


class EpochLines(Callback):
    """Prints ``epoch i/N  train_loss  val_loss  val_accuracy  seconds  ETA`` after each
    epoch (the ETA of the remaining epochs at the mean epoch time so far), and within an
    epoch that runs long a line every ``every`` seconds: ``epoch i/N  batch j/M  elapsed
    ETA`` (the ETA of the epoch)."""

    def __init__(self, every: float = 30.0) -> None:
        self.every = every

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._run_start, self._epochs_done = time.perf_counter(), 0

    def on_train_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._start = self._printed = time.perf_counter()

    def on_train_batch_end(
        self, trainer: L.Trainer, module: L.LightningModule, *args: object
    ) -> None:
        now = time.perf_counter()
        if now - self._printed < self.every:
            return
        self._printed = now
        done, total = args[-1] + 1, trainer.num_training_batches  # args: outputs, batch, index
        parts = [f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}"]
        elapsed = now - self._start
        if math.isfinite(total) and total > 0:
            parts += [f"batch {done}/{int(total)}", f"elapsed {duration(elapsed)}"]
            parts.append(f"ETA {duration(elapsed / done * (total - done))}")
        else:
            parts += [f"batch {done}", f"elapsed {duration(elapsed)}"]
        print("  ".join(parts), flush=True)

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        m = trainer.callback_metrics
        epoch, epochs = trainer.current_epoch + 1, trainer.max_epochs
        parts = [f"epoch {epoch}/{epochs}"]
        for key in ("train_loss", "val_loss", "val_accuracy"):
            value = float(m[key]) if key in m else math.nan
            if not math.isnan(value):
                parts.append(f"{key} {value:.4f}")
        now = time.perf_counter()
        parts.append(f"{now - self._start:.1f}s")
        self._epochs_done += 1
        if epochs is not None and 0 < epoch < epochs:
            per_epoch = (now - self._run_start) / self._epochs_done
            parts.append(f"ETA {duration(per_epoch * (epochs - epoch))}")
        print("  ".join(parts), flush=True)


def progress_callback() -> Callback:
    """A progress bar when stdout is a terminal, else one printed line per epoch."""
    return TQDMProgressBar(leave=True) if sys.stdout.isatty() else EpochLines()


def duration(seconds: float) -> str:
    """``"42s"``, ``"3m05s"`` or ``"2h07m"``: a duration as a person reads it."""
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Steps:
    """Progress through ``total`` steps called ``desc``: a tqdm bar on a terminal, else a
    line ``DESC i/N  NOTE  elapsed 1m05s  ETA 2m10s`` on stdout after a step, at most one
    per ``every`` seconds and only after every ``every_steps``-th step (the last step
    always prints). Use as a context manager."""

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        every: float = 0.0,
        every_steps: int = 1,
        leave: bool = True,
    ) -> None:
        self.total, self.desc, self.done = max(total, 0), desc, 0
        self.every, self.every_steps = every, max(every_steps, 1)
        self._start = self._printed = time.perf_counter()
        self._bar = (
            tqdm(total=self.total, desc=desc, file=sys.stdout, leave=leave, dynamic_ncols=True)
            if sys.stdout.isatty()
            else None
        )

    def step(self, note: str = "") -> None:
        """One step done; ``note`` says what it was or what it gave."""
        self.done += 1
        if self._bar is not None:
            self._bar.set_postfix_str(note, refresh=False)
            self._bar.update(1)
            return
        now = time.perf_counter()
        due = self.done % self.every_steps == 0 and now - self._printed >= self.every
        if self.done < self.total and not due:
            return
        self._printed = now
        print(self.line(note, now - self._start), flush=True)

    def line(self, note: str, elapsed: float) -> str:
        """The printed line after ``self.done`` steps taking ``elapsed`` seconds."""
        parts = [f"{self.desc} {self.done}/{self.total}", note, f"elapsed {duration(elapsed)}"]
        if 0 < self.done < self.total:
            parts.append(f"ETA {duration(elapsed / self.done * (self.total - self.done))}")
        return "  ".join(p for p in parts if p)

    def set_total(self, total: int) -> None:
        """Change the number of steps (e.g. once the first step has told how many)."""
        self.total = max(total, 0)
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.refresh()

    def write(self, text: str) -> None:
        """Print a line without breaking the bar."""
        if self._bar is not None:
            self._bar.write(text, file=sys.stdout)
        else:
            print(text, flush=True)

    def __enter__(self) -> Steps:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()


def progress(
    items: Iterable[T],
    total: int,
    desc: str,
    *,
    every: float = 0.0,
    every_steps: int = 1,
    leave: bool = True,
) -> Iterator[T]:
    """``items`` with progress (``Steps``): one step per item, counted once it is done."""
    with Steps(total, desc, every=every, every_steps=every_steps, leave=leave) as steps:
        for item in items:
            yield item
            steps.step()
