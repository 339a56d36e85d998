"""Atomic output directories: everything is written to ``<out>.partial`` and renamed at the end."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from genoclass.atomic import write_text_atomic
from genoclass.config import is_main_process
from genoclass.errors import InputError
from genoclass.io.run_files import RunFiles

CHECKPOINTS = RunFiles.CHECKPOINTS


def partial_path(out: Path) -> Path:
    """The staging directory of ``out``."""
    return out.with_name(out.name + ".partial")


def refuse_existing(out: Path, *, overwrite: bool) -> None:
    """An input error when the output directory ``out`` exists and may not be replaced."""
    if out.exists() and not overwrite:
        raise InputError("output directory exists; pass --overwrite to replace it", path=out)


@contextmanager
def staged_directory(out: Path, *, overwrite: bool = False, resume: bool = False) -> Iterator[Path]:
    """Yield a staging directory that becomes ``out`` only if the block succeeds.

    On failure the staging directory is removed, unless it holds training checkpoints: those
    are kept so that ``--resume`` can continue the interrupted run. In a process other than
    rank 0 of a multi-process run the path is yielded untouched (only rank 0 writes; the
    others read the checkpoints it wrote there to resume).
    """
    out = Path(out)
    if not is_main_process():
        yield partial_path(out)
        return
    refuse_existing(out, overwrite=overwrite)
    stage = partial_path(out)
    if stage.exists() and not resume:
        shutil.rmtree(stage)
    stage.mkdir(parents=True, exist_ok=True)
    try:
        yield stage
    except BaseException:
        if not (stage / CHECKPOINTS).exists():
            shutil.rmtree(stage, ignore_errors=True)
        raise
    shutil.rmtree(stage / CHECKPOINTS, ignore_errors=True)
    if out.exists():
        shutil.rmtree(out)
    os.replace(stage, out)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temp file + rename)."""
    write_text_atomic(path, json.dumps(data, indent=2, default=_plain))


def write_yaml(path: Path, data: Any, *, comment: str | None = None) -> None:
    """Write YAML atomically (temp file + rename), after a ``# comment`` line when given."""
    plain = json.loads(json.dumps(data, default=_plain))
    header = f"# {comment}\n" if comment else ""
    write_text_atomic(path, header + yaml.safe_dump(plain, sort_keys=False))


def _plain(value: Any) -> Any:
    """JSON fallback for numpy scalars/arrays and paths."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
