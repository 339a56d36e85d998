"""Loading labelled inputs for a run: the data file plus optional separate test/val files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from genoclass.config import TrainConfig
from genoclass.io.expression import read_expression
from genoclass.io.sequences import read_sequences


@dataclass
class LabelledData:
    """One table of samples (``id``, ``label``, ``split`` + modality columns) and facts about it."""

    table: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)


def read_sequence_inputs(config: TrainConfig, *, labels_required: bool = True) -> LabelledData:
    """Read ``config.data`` (and ``--test`` / ``--val`` files) as sequences."""
    parts, info = [], {"files": {}, "cleaning": {}}
    for role, path in (("data", config.data), ("test", config.test), ("val", config.val)):
        if not path:
            continue
        data = read_sequences(
            path,
            format=config.format,
            sequence_col=config.sequence_col,
            label_col=config.label_col,
            labels_required=labels_required,
        )
        table = data.table.copy()
        if role != "data":
            table["split"] = role
        elif config.ignore_splits:  # e.g. S0: re-split a file that is one official split
            table["split"] = None
        parts.append(table)
        info["files"][role] = {"path": str(path), "format": data.format, "rows": len(table)}
        info["cleaning"][role] = data.cleaning
    table = pd.concat(parts, ignore_index=True)
    return LabelledData(table, info)


def read_expression_inputs(config: TrainConfig, *, labels_required: bool = True) -> LabelledData:
    """Read expression matrices (``config.data`` and optional ``--test`` / ``--val``) into one
    sample table: ``id``, ``label``, ``split``, ``source_row`` and one float32 column per gene;
    ``--labels`` (a table joined on sample id) serves every file."""
    parts, info = [], {"files": {}}
    for role, path in (("data", config.data), ("test", config.test), ("val", config.val)):
        if not path:
            continue
        data = read_expression(
            path,
            labels=config.labels,
            label_col=config.label_col,
            orientation=config.orientation,
            missing=config.missing,
            labels_required=labels_required,
        )
        n = len(data.matrix)
        meta = pd.DataFrame(
            {
                "id": data.matrix.index.to_numpy(dtype=object),
                "label": [None] * n if data.labels is None else data.labels.to_numpy(),
                "split": [None if role == "data" else role] * n,
                "source_row": range(1, n + 1),
            }
        )
        parts.append(pd.concat([meta, data.matrix.reset_index(drop=True)], axis=1))
        info["files"][role] = data.info
    table = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return LabelledData(table, info)


#: model input kind -> reader of labelled inputs for it
READERS: dict[str, Callable[..., LabelledData]] = {
    "tokens": read_sequence_inputs,
    "onehot": read_sequence_inputs,
    "kmer": read_sequence_inputs,
    "expression": read_expression_inputs,
}
