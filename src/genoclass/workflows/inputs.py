"""Loading labelled inputs for a run: the data file plus optional separate test/val files,
after every option of the command was checked (``check_run``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoclass.config import TrainConfig
from genoclass.data.leakage import HASH_COLUMNS
from genoclass.data.store import MANIFEST, SequenceStore, is_store
from genoclass.errors import InputError
from genoclass.expression.pipeline import AUTO, parse_steps
from genoclass.expression.scale import check_non_negative
from genoclass.io.expression import read_expression, read_label_table
from genoclass.io.records import GROUP_COLUMN
from genoclass.io.sequences import read_sequences
from genoclass.io.textfile import file_sha256
from genoclass.models import ModelSpec, get_spec
from genoclass.sequence.augment import augmenter_from_settings
from genoclass.training.embedding import embedding_spec
from genoclass.training.recipes import get_recipe

#: input files of a run: option -> TrainConfig field
INPUT_FILES = {"--data": "data", "--test": "test", "--val": "val", "--labels": "labels"}


def check_run(config: TrainConfig) -> tuple[ModelSpec, dict[str, Any]]:
    """Check, before any work, what a training command's options name beyond their types
    and ranges (``TrainConfig`` checks those): the input files exist, and everything
    ``check_named`` checks. Returns the model's spec and its checked hyperparameters."""
    spec, hparams = check_named(config)
    if not config.data:
        raise InputError("--data is required")
    for option, name in INPUT_FILES.items():
        path = getattr(config, name)
        if path and not Path(path).exists():
            raise InputError(f"{option}: no such file or folder", path=path)
    return spec, hparams


def check_named(config: TrainConfig) -> tuple[ModelSpec, dict[str, Any]]:
    """Check the names a config gives besides files: the model and its hyperparameters, the
    recipe, the augmentation and the preprocessing pipeline; returns the model's spec and
    its checked hyperparameters."""
    spec = embedding_spec(config, get_spec(config.model))  # classical + --init: embeddings
    hparams = spec.hparams(config.model_params)
    get_recipe(config.recipe)
    augmenter_from_settings(config.augment)
    if spec.input_kind == "expression" and config.preprocess != AUTO:
        parse_steps(config.preprocess)
    return spec, hparams


@dataclass
class LabelledData:
    """One table of samples (``id``, ``label``, ``split`` + modality columns) and facts about it.

    Read from a packed sequence store, the table holds no sequences and no ids: ``store_row``
    (the row of ``store``) and the ``hash`` / ``hash_rc`` keys of each sequence stand in for
    them, and batches are read from the store as training asks for them.
    """

    table: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)
    store: SequenceStore | None = None


#: reads one file for a role ("data", "test" or "val"): (sample table, facts about the file)
FileReader = Callable[[str, str], tuple[pd.DataFrame, dict[str, Any]]]


def read_roles(config: TrainConfig, read_file: FileReader) -> LabelledData:
    """Read ``config.data`` and the optional ``--test`` / ``--val`` files into one table.

    Rows of the test/val files get that split; rows of the data file keep their own split
    column unless ``config.ignore_splits`` (e.g. S0: re-split a file that is one official split).
    """
    parts, info = [], {}
    for role, path in (("data", config.data), ("test", config.test), ("val", config.val)):
        if not path:
            continue
        table, facts = read_file(role, path)
        if role != "data" or config.ignore_splits:
            table["split"] = None if role == "data" else role
        parts.append(table.assign(_role=role))
        info[role] = facts
    table = pd.concat(parts, ignore_index=True)
    _check_ids_across_files(table, config)
    return LabelledData(table.drop(columns="_role"), {"files": info})


def _check_ids_across_files(table: pd.DataFrame, config: TrainConfig) -> None:
    """Record ids name rows in splits.parquet, so one id may not come from two input files."""
    repeated = table[table["id"].duplicated(keep=False)]
    if repeated.empty:
        return
    first = repeated[repeated["id"] == repeated["id"].iloc[0]]
    places = [
        f"{getattr(config, role)} row {row}"
        for role, row in zip(first["_role"], first["source_row"], strict=True)
    ]
    raise InputError(
        f"record id {first['id'].iloc[0]!r} occurs in more than one input file "
        f"({'; '.join(places[:2])}); ids must be unique across --data, --test and --val"
    )


def read_sequence_inputs(config: TrainConfig, *, labels_required: bool = True) -> LabelledData:
    """Read ``config.data`` (and ``--test`` / ``--val`` files) as sequences; a packed store
    (``genoclass data pack``) is opened instead (:func:`read_store_inputs`)."""
    if is_store(config.data):
        return read_store_inputs(config, labels_required=labels_required)

    def read_file(role: str, path: str) -> tuple[pd.DataFrame, dict[str, Any]]:
        data = read_sequences(
            path,
            format=config.format,
            sequence_col=config.sequence_col,
            label_col=config.label_col,
            labels_required=labels_required,
            group_col=config.group_col if role == "data" else None,
        )
        facts = {
            "path": str(path),
            "format": data.format,
            "rows": len(data.table),
            "cleaning": data.cleaning,
        }
        return data.table.copy(), facts

    return read_roles(config, read_file)


def read_store_inputs(config: TrainConfig, *, labels_required: bool = True) -> LabelledData:
    """Open the packed store ``config.data`` lazily: a table of its rows' labels, official
    splits (kept unless ``--ignore-splits``), source rows and sequence hashes, without
    reading one sequence. Separate --test / --val files, --group-col and --split-by need
    what a store does not hold and are input errors."""
    for option, value in (("--test", config.test), ("--val", config.val)):
        if value:
            raise InputError(
                f"{option} cannot be combined with a packed store: pack the rows "
                "into the store with a split column instead",
                path=config.data,
            )
    for option, value in (("--group-col", config.group_col), ("--split-by", config.split_by)):
        if value:
            raise InputError(
                f"{option} needs ids or columns a packed store does not keep", path=config.data
            )
    store = SequenceStore(config.data)
    if labels_required:
        store.y()  # every row labelled (an error names the first unlabelled one)
    table = store.table()
    if config.ignore_splits:
        table["split"] = None
    table["store_row"] = np.arange(len(store), dtype=np.int64)
    hashes = np.asarray(store.hashes)
    table[HASH_COLUMNS[0]], table[HASH_COLUMNS[1]] = hashes[:, 0], hashes[:, 1]
    facts = {
        "path": str(config.data),
        "format": "store",
        "rows": len(store),
        "manifest_sha256": file_sha256(store.path / MANIFEST),
        "source": store.manifest.get("source"),
        "cleaning": store.manifest.get("cleaning"),
    }
    return LabelledData(table, {"files": {"data": facts}}, store=store)


def with_text(table: pd.DataFrame, store: SequenceStore) -> pd.DataFrame:
    """Rows of a packed store's table with their ids and sequences read from the store, as
    a sequence file's table has them (one Python string per row: for modest row counts)."""
    rows = table["store_row"].to_numpy()
    ids = table["id"] if "id" in table else store.ids(rows)
    return table.assign(id=ids, sequence=store.sequences(rows))


def read_expression_inputs(config: TrainConfig, *, labels_required: bool = True) -> LabelledData:
    """Read expression matrices (``config.data`` and optional ``--test`` / ``--val``) into one
    sample table: ``id``, ``label``, ``split``, ``source_row`` and one float32 column per gene;
    ``--labels`` (a table joined on sample id) serves every file, and ``--group-col`` names
    a column of it (e.g. patient)."""

    def read_file(role: str, path: str) -> tuple[pd.DataFrame, dict[str, Any]]:
        data = read_expression(
            path,
            labels=config.labels,
            label_col=config.label_col,
            orientation=config.orientation,
            missing=config.missing,
            labels_required=labels_required,
        )
        n = len(data.matrix)
        check_non_negative(
            config.preprocess,
            data.matrix.to_numpy(),
            list(data.matrix.index),
            list(data.matrix.columns),
            path,
        )
        meta = pd.DataFrame(
            {
                "id": data.matrix.index.to_numpy(dtype=object),
                "label": [None] * n if data.labels is None else data.labels.to_numpy(),
                "split": [None] * n,
                "source_row": range(1, n + 1),
            }
        )
        if config.group_col:
            meta[GROUP_COLUMN] = _sample_column(config, meta["id"])
        return pd.concat([meta, data.matrix.reset_index(drop=True)], axis=1), data.info

    return read_roles(config, read_file)


def _sample_column(config: TrainConfig, ids: pd.Series) -> pd.Series:
    """Values of the ``--labels`` table's ``--group-col`` column for the given sample ids."""
    if not config.labels:
        raise InputError("--group-col on expression data reads the --labels table; pass --labels")
    column = read_label_table(config.labels, config.group_col)["label"]
    return column.reindex(ids.to_numpy()).to_numpy()
