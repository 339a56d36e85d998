"""Raw records as the format readers hand them over, before the alphabet is checked.

Every reader returns one or more :class:`RawRecords`, one per file it read (or per
folder, for layouts with a file per sequence), so that cleaning errors can name the
file and the row, record or file number inside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from genoclass.errors import InputError

#: Column order of every sequence table.
COLUMNS = ["id", "sequence", "label", "split", "source_row"]
#: Column holding the values of a user's ``--group-col`` (gene, patient, ...) when asked for.
GROUP_COLUMN = "group"

#: Spellings of split names accepted in split columns and file names.
SPLIT_NAMES = {"train": "train", "val": "val", "valid": "val", "dev": "val", "test": "test"}


@dataclass(frozen=True)
class ReadOptions:
    """What the caller asked for: column names and whether every sequence needs a label."""

    sequence_col: str = "sequence"
    label_col: str = "label"
    labels_required: bool = True
    group_col: str | None = None


@dataclass
class RawRecords:
    """Uncleaned sequences of one source with ids, labels, splits and numbers.

    ``unit`` is what ``numbers`` count in the source ("row", "record" or "file");
    ``files`` lists the file of each sequence for layouts that hold one sequence a file.
    """

    path: str
    unit: str
    frame: pd.DataFrame
    files: list[str] | None = field(default=None)


def make_records(
    path: str | Path,
    unit: str,
    *,
    ids: list[str],
    sequences: list[str],
    labels: list[str | None],
    numbers: np.ndarray,
    split: str | None | list[str | None] = None,
    files: list[str] | None = None,
    extra: dict[str, list[str | None]] | None = None,
) -> RawRecords:
    """Bundle parallel lists of one source into :class:`RawRecords` (``extra``: more columns,
    such as a group column)."""
    splits = split if isinstance(split, list) else [split] * len(ids)
    frame = pd.DataFrame(
        {
            "id": pd.Series(ids, dtype=object),
            "sequence": pd.Series(sequences, dtype=object),
            "label": pd.Series(labels, dtype=object),
            "split": pd.Series(splits, dtype=object),
            "source_row": np.asarray(numbers, dtype=np.int64),
            **{name: pd.Series(values, dtype=object) for name, values in (extra or {}).items()},
        }
    )
    return RawRecords(str(path), unit, frame, files)


def require_labels(
    labels: pd.Series,
    numbers: np.ndarray,
    *,
    path: str | Path,
    where: Callable[[int], str],
    reason: str = "missing label",
) -> None:
    """Raise :class:`InputError` at the first missing or empty label.

    ``where`` turns the user-facing number of the offending entry into the place named
    in the message, e.g. ``row 2 (line 3)``.
    """
    missing = labels.isna() | (labels.fillna("").astype(str).str.strip() == "")
    bad = np.flatnonzero(missing.to_numpy())
    if bad.size:
        raise InputError(reason, path=path, where=where(int(numbers[bad[0]])))


def base_name(path: str | Path) -> str:
    """File name without any extension (``train.csv.gz`` -> ``train``)."""
    return Path(path).name.split(".")[0]
