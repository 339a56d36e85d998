"""Checks of a labelled sample table that no reader can make alone: every class must be
learnable, i.e. have more than one sample and at least one training row after splitting;
and a neural model should get more than a step or two per epoch."""

from __future__ import annotations

import math
import warnings

import pandas as pd

from genoclass.errors import InputError, InputWarning

#: optimiser steps per epoch below which training warns that the batch is too large for the
#: data (expression sets of 40-130 training samples in batches of 64 get 1-2; BENCHMARKS.md)
MIN_STEPS_PER_EPOCH = 3


def _row(table: pd.DataFrame, index: int) -> str:
    """A row as the user knows it: its id and its row or record number in its file."""
    return f"id {table.at[index, 'id']!r} (row {table.at[index, 'source_row']})"


def check_single_samples(table: pd.DataFrame, path: str | None = None) -> None:
    """A class with one sample can be trained on or tested, never both: an InputError."""
    counts = table["label"].value_counts()
    single = sorted(counts.index[counts == 1])
    if single:
        index = table.index[table["label"] == single[0]][0]
        more = f" (and {len(single) - 1} more such class(es))" if len(single) > 1 else ""
        raise InputError(
            f"class {single[0]!r} has a single sample, {_row(table, index)}{more}: it cannot "
            "be both trained on and tested; add samples of it or remove it",
            path=path,
        )


def check_training_classes(table: pd.DataFrame, files: dict[str, str | None]) -> None:
    """Every class must have training rows: a class only in the test (or validation) split,
    e.g. one that occurs only in ``--test``, could never be predicted. ``files`` maps a split
    to the file its rows came from, for the message."""
    trained = set(table.loc[table["split"] == "train", "label"])
    absent = sorted(set(table["label"]) - trained)
    if not absent:
        return
    rows = table[table["label"] == absent[0]]
    split = rows["split"].iloc[0]
    raise InputError(
        f"class {absent[0]!r} occurs only in the {split} split ({len(rows)} row(s), first "
        f"{_row(rows, rows.index[0])}), never in training: the model could not learn it; "
        "add training samples of it or remove it",
        path=files.get(split),
    )


def warn_few_steps(n_train: int, batch_size: int, epochs: int) -> None:
    """An InputWarning when ``n_train`` training rows in batches of ``batch_size`` give
    fewer than ``MIN_STEPS_PER_EPOCH`` optimiser steps per epoch, naming a batch size that
    gives enough."""
    steps = math.ceil(n_train / batch_size)
    if n_train >= MIN_STEPS_PER_EPOCH and steps < MIN_STEPS_PER_EPOCH:
        warnings.warn(
            InputWarning(
                f"{n_train} training rows in batches of {batch_size} give {steps} optimiser "
                f"step(s) per epoch ({steps * epochs} in all), too few for a neural model to "
                f"learn much: pass --batch-size {n_train // MIN_STEPS_PER_EPOCH} or less"
            ),
            stacklevel=2,
        )
