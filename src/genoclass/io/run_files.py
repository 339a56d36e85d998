"""The names of the files in a run directory, spelt once.

A run directory (written by ``genoclass train``) holds ``config.yaml`` (the resolved
settings), ``metrics.json``, ``model/`` (``model.json`` + ``weights.safetensors``),
``predictions.parquet`` (test split), ``splits.parquet`` (every row's split),
``history.csv`` (neural models), ``report.html`` and, while training, ``checkpoints/``.
Every module that reads or writes one of them asks ``RunFiles`` for its path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from genoclass.errors import InputError


class RunFiles:
    """Paths of the files of the run directory ``root`` (the names are class attributes)."""

    CONFIG = "config.yaml"
    METRICS = "metrics.json"
    MODEL = "model"
    PREDICTIONS = "predictions.parquet"
    SPLITS = "splits.parquet"
    HISTORY = "history.csv"
    REPORT = "report.html"
    CHECKPOINTS = "checkpoints"
    EXPLAIN = "explain"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"RunFiles({str(self.root)!r})"

    @property
    def config(self) -> Path:
        """The resolved settings of the run (YAML)."""
        return self.root / self.CONFIG

    @property
    def metrics(self) -> Path:
        """Metrics of every split and facts about the run (JSON)."""
        return self.root / self.METRICS

    @property
    def model(self) -> Path:
        """The saved model folder (model.json + weights.safetensors)."""
        return self.root / self.MODEL

    @property
    def predictions(self) -> Path:
        """Test-split predictions (Parquet)."""
        return self.root / self.PREDICTIONS

    @property
    def splits(self) -> Path:
        """Every row's id, label and split (Parquet)."""
        return self.root / self.SPLITS

    @property
    def history(self) -> Path:
        """Per-epoch training history of a neural model (CSV)."""
        return self.root / self.HISTORY

    @property
    def report(self) -> Path:
        """The self-contained HTML report."""
        return self.root / self.REPORT

    @property
    def checkpoints(self) -> Path:
        """Scratch checkpoints of an unfinished run (removed when it finishes)."""
        return self.root / self.CHECKPOINTS

    @property
    def explain(self) -> Path:
        """The default explain directory."""
        return self.root / self.EXPLAIN

    def finished(self) -> bool:
        """Whether the run finished (its metrics were written)."""
        return self.metrics.is_file()

    def read_metrics(self) -> dict[str, Any]:
        """metrics.json as a mapping; a missing or damaged file is an input error."""
        path = self.metrics
        if not path.is_file():
            raise InputError("not a run directory: metrics.json is missing", path=path)
        try:
            metrics = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            where = f"line {err.lineno}"
            raise InputError(f"invalid JSON ({err.msg})", path=path, where=where) from err
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read metrics: {exc}", path=path) from None
        if not isinstance(metrics, dict):
            raise InputError("metrics must be a JSON object", path=path)
        return metrics
