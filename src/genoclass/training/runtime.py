"""Where and how a run computes: torch's thread count, deterministic algorithms and the
accelerator, set for the duration of one fit and recorded in metrics.json.

Why the thread count is a recorded setting: on small training sets the trajectory of a run
is chaotic, and the number of intra-op threads changes the order of floating-point sums,
so the same seed with one or two threads can end at visibly different test scores
(BENCHMARKS.md, "Seed and thread variance"). ``deterministic`` asks torch for deterministic
algorithms (and Lightning for its deterministic settings): a run then repeats exactly on the
same hardware, torch version and thread count; it does not make one thread count equal
another.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from genoclass.config import TrainConfig


@dataclass(frozen=True)
class Runtime:
    """How a fit runs: ``threads`` intra-op threads (None: torch's default), deterministic
    algorithms, and Lightning's ``accelerator``."""

    threads: int | None = None
    deterministic: bool = False
    accelerator: str = "auto"

    @classmethod
    def of(cls, config: TrainConfig) -> Runtime:
        """The runtime a run config asks for."""
        return cls(config.threads, config.deterministic, config.accelerator)

    def device(self) -> str:
        """The device a fit with this accelerator uses on this machine (``cpu``, ``cuda``
        or ``mps``)."""
        if self.accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available():
            return "cuda"
        if self.accelerator in ("auto", "mps") and torch.backends.mps.is_available():
            return "mps"
        return "cpu"

    def record(self) -> dict[str, Any]:
        """What metrics.json says about where the run computed (call while applied)."""
        device = self.device()
        return {
            "threads": torch.get_num_threads(),
            "threads_option": self.threads,
            "deterministic": self.deterministic,
            "accelerator": self.accelerator,
            "device": torch.cuda.get_device_name() if device == "cuda" else device,
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
        }


@contextmanager
def applied(runtime: Runtime) -> Iterator[dict[str, Any]]:
    """Set ``runtime``'s thread count and determinism for the block, yield its record, and
    restore torch's previous settings afterwards (a Python caller's later work is unchanged)."""
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    if runtime.threads is not None:
        torch.set_num_threads(runtime.threads)
    if runtime.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # needed by CUDA matmuls
        torch.use_deterministic_algorithms(True)
    try:
        yield runtime.record()
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
