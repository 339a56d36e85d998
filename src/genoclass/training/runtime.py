"""Where and how a run computes: torch's thread count, deterministic algorithms, the
accelerator, the number of processes (devices x nodes, Lightning's strategy) and numeric
precision, set for the duration of one fit and recorded in metrics.json.

Why the thread count is a recorded setting: on small training sets the trajectory of a run
is chaotic, and the number of intra-op threads changes the order of floating-point sums,
so the same seed with one or two threads can end at visibly different test scores
(BENCHMARKS.md, "Seed and thread variance"). ``deterministic`` asks torch for deterministic
algorithms (and Lightning for its deterministic settings): a run then repeats exactly on the
same hardware, torch version and thread count; it does not make one thread count equal
another.

Several processes (``devices`` x ``num_nodes`` > 1) train one model together with
Lightning's DDP: every process runs the whole command, only rank 0 writes outputs
(``genoclass.config.is_main_process``), and each process takes an equal share of every
global batch (``data.loaders.BatchPlan``); see docs/scaling.md.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from genoclass.config import ComputeSettings
from genoclass.errors import InputError

#: the variable through which Lightning (and OpenMP) read the thread count of a process
OMP = "OMP_NUM_THREADS"


@dataclass(frozen=True)
class Runtime:
    """How a fit runs: ``threads`` intra-op threads (None: torch's default), deterministic
    algorithms, Lightning's ``accelerator``, ``devices`` processes per node on ``num_nodes``
    nodes with ``strategy``, and ``precision``."""

    threads: int | None = None
    deterministic: bool = False
    accelerator: str = "auto"
    devices: int = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32"

    @classmethod
    def of(cls, config: ComputeSettings) -> Runtime:
        """The runtime a run config (train, compare or pretrain) asks for."""
        return cls(**{f.name: getattr(config, f.name) for f in dataclasses.fields(cls)})

    def trainer_options(self) -> dict[str, Any]:
        """Lightning Trainer arguments for this runtime; an InputError for a combination this
        machine cannot run (a GPU accelerator or 16-bit precision without a CUDA GPU)."""
        device = self.device()
        if self.accelerator in ("gpu", "cuda") and device != "cuda":
            raise InputError(f"--accelerator {self.accelerator}: no CUDA GPU found")
        if self.precision == "16-mixed" and device != "cuda":
            raise InputError("--precision 16-mixed needs a CUDA GPU; use bf16-mixed on a CPU")
        return {
            "accelerator": self.accelerator,
            "devices": self.devices,
            "num_nodes": self.num_nodes,
            "strategy": self.lightning_strategy(),
            "precision": self.precision,
            "deterministic": self.deterministic,
            # every process takes its share of each global batch itself (BatchPlan) and
            # validates on the whole validation set; batch norm keeps per-process statistics
            # (Lightning's default: masked batch norm has no synchronised version)
            "use_distributed_sampler": False,
        }

    def lightning_strategy(self) -> str:
        """The strategy Lightning runs: ``ddp`` for ``auto`` with several processes (Lightning's
        own ``auto`` would spawn or fork them in some settings)."""
        several = self.devices * self.num_nodes > 1
        return "ddp" if several and self.strategy == "auto" else self.strategy

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
            "devices": self.devices,
            "num_nodes": self.num_nodes,
            "strategy": self.lightning_strategy(),
            "precision": self.precision,
            "device": torch.cuda.get_device_name() if device == "cuda" else device,
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
        }


@contextmanager
def applied(runtime: Runtime) -> Iterator[dict[str, Any]]:
    """Set ``runtime``'s thread count and determinism for the block, yield its record, and
    restore torch's previous settings afterwards (a Python caller's later work is unchanged).

    With several processes per machine and no thread count given, each process gets its
    share of the cores, as Lightning would choose; it is set here (and in OMP_NUM_THREADS,
    which keeps Lightning from choosing again) so that the record says what ran."""
    threads, omp = torch.get_num_threads(), os.environ.get(OMP)
    deterministic = torch.are_deterministic_algorithms_enabled()
    wanted = runtime.threads
    if wanted is None and runtime.devices > 1:
        wanted = max(1, (os.cpu_count() or 1) // runtime.devices)
    if wanted is not None:
        torch.set_num_threads(wanted)
        os.environ[OMP] = str(wanted)
    if runtime.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # needed by CUDA matmuls
        torch.use_deterministic_algorithms(True)
    try:
        yield runtime.record()
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
        if omp is None:
            os.environ.pop(OMP, None)
        else:
            os.environ[OMP] = omp


def wait_for_rank_zero() -> None:
    """In a multi-process run, wait until every process (rank 0 included, which writes the
    outputs) gets here; nothing to wait for in a single process."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
