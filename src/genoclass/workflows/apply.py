"""A trained run as a Python object, and the ``evaluate``, ``predict`` and ``embed`` jobs
built on it.

``TrainedRun.load(run_dir)`` reads a run directory written by ``train`` (every file
checked); ``predict_proba`` / ``predict`` / ``evaluate`` / ``embed`` take data in any form that
``run_input`` converts: a list or array of sequences, a DataFrame (a sequence table or a
samples x genes frame), a packed sequence store (``genoclass data pack``; also given as
its folder), or a file or folder read the way the training data were read. A new form of
data is one ``register_input_converter`` call.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from genoclass.atomic import check_output_file, write_tables_atomic
from genoclass.config import TrainConfig, config_from_mapping, read_yaml_mapping
from genoclass.data.featurize import Featurizer, SequenceFeaturizer
from genoclass.data.loaders import FeatureSet
from genoclass.data.store import SequenceStore, is_store
from genoclass.errors import InputError
from genoclass.evaluation.metrics import predictions_frame
from genoclass.interpret.explainers import (
    ExplainOptions,
    ExpressionExplanation,
    SequenceExplanation,
    chosen_classes,
    resolve_methods,
)
from genoclass.io.expression import RESERVED_COLUMNS
from genoclass.io.run_files import RunFiles
from genoclass.io.sequences import sequence_table
from genoclass.io.textfile import file_sha256
from genoclass.models.serialize import META, WEIGHTS, ModelCard
from genoclass.training.classifier import Classifier, load_classifier
from genoclass.training.export import OnnxPredictor, export_onnx
from genoclass.training.progress import progress as show_progress
from genoclass.workflows.fitting import split_metrics
from genoclass.workflows.inputs import with_text
from genoclass.workflows.kinds import featurizer_from_state, input_kind


@dataclass
class TrainedRun:
    """A trained classifier with the settings it was trained with and, when it was saved,
    its run directory and metrics."""

    classifier: Classifier
    config: TrainConfig
    directory: Path | None = None
    metrics: dict[str, Any] | None = None
    _featurizer: Featurizer | None = field(default=None, repr=False)

    @classmethod
    def load(cls, run_dir: str | Path) -> TrainedRun:
        """The run saved in ``run_dir``; everything in it is checked (config.yaml's
        settings, model.json and the weights, the input encoding)."""
        files = RunFiles(run_dir)
        if not files.config.is_file():
            raise InputError("not a genoclass run directory (no config.yaml)", path=files.root)
        config = config_from_mapping(read_yaml_mapping(files.config, "run config"), files.config)
        classifier = load_classifier(files.model)
        featurizer = _checked_featurizer(classifier.card, files.model / META)
        metrics = files.read_metrics() if files.finished() else None
        return cls(classifier, config, files.root, metrics, featurizer)

    @property
    def card(self) -> ModelCard:
        """The model card (name, hyperparameters, classes, input encoding, provenance)."""
        return self.classifier.card

    @property
    def classes(self) -> list[str]:
        """Class names, in the order of ``predict_proba``'s columns."""
        return self.card.classes

    @property
    def model(self) -> Any:
        """The underlying model (a torch module or a classical model)."""
        return self.classifier.model

    @property
    def featurizer(self) -> Featurizer:
        """The fitted featurizer that encodes new data as training data were encoded."""
        if self._featurizer is None:
            folder = None if self.directory is None else RunFiles(self.directory).model
            self._featurizer = featurizer_from_state(self.card.input, folder)
        return self._featurizer

    def predictor(self, engine: str = "torch") -> Any:
        """What computes this run's probabilities: ``torch`` (the classifier) or ``onnx``
        (its export, ``genoclass export``); see ``ENGINES``."""
        if engine not in ENGINES:
            raise InputError(f"unknown engine {engine!r}; use one of {sorted(ENGINES)}")
        return ENGINES[engine](self)

    def export_onnx(self, out: str | Path | None = None) -> tuple[Path, dict[str, Any]]:
        """Export this run's neural sequence model to ONNX at ``out`` (default
        ``RUN/model/model.onnx``, where ``--engine onnx`` looks); returns the path and what
        the export check measured (``training.export``)."""
        featurizer = self.featurizer
        if self.classifier.family != "neural" or not isinstance(featurizer, SequenceFeaturizer):
            raise InputError(
                f"ONNX export takes neural sequence models, not {self.card.name!r}",
                path=self.directory,
            )
        if out is None:
            if self.directory is None:
                raise InputError("give an output file: this run has no directory")
            out = RunFiles(self.directory).model / ONNX_FILE
        metadata = {
            "classes": json.dumps(self.classes),
            "model": json.dumps(self.card.name),
            "weights_sha256": json.dumps(self._weights_sha256()),
        }
        check = export_onnx(
            self.model,
            out,
            input_kind=featurizer.input_kind,
            input_length=featurizer.input_length,
            fixed_length=featurizer.fixed_length,
            metadata=metadata,
        )
        return Path(out), check

    def _weights_sha256(self) -> str | None:
        if self.directory is None:
            return None
        return file_sha256(RunFiles(self.directory).model / WEIGHTS)

    def inputs(
        self, data: Any, *, labels_required: bool | None = False, **options: Any
    ) -> RunInput:
        """``data`` converted for this run (see ``run_input``)."""
        return run_input(self, data, labels_required=labels_required, **options)

    def predict_proba(self, data: Any, **options: Any) -> np.ndarray:
        """(n, C) class probabilities of every sample of ``data``, columns in ``classes``
        order."""
        return self.classifier.predict_proba(self.inputs(data, **options).features)

    def predict(self, data: Any, **options: Any) -> np.ndarray:
        """The most probable class name of every sample of ``data``."""
        return np.asarray(self.classes, dtype=object)[self.predict_proba(data, **options).argmax(1)]

    def evaluate(self, data: Any, **options: Any) -> dict[str, Any]:
        """Metrics (with bootstrap 95 % intervals) on labelled ``data``."""
        given = self.inputs(data, labels_required=True, **options)
        proba = self.classifier.predict_proba(given.features)
        return split_metrics(given.y, proba, self.classes, seed=self.config.seed, with_ci=True)

    def embedding_batches(
        self, data: Any, *, batch_size: int = 256, progress: bool = False, **options: Any
    ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        """(rows, features) of every batch of ``data``, in order, computed as the iterator
        is read: the rows' ``id`` and, when every row has one, ``label`` (as text: the data
        may be another task's), and their trunk features (the pooled representation the
        model's head sees). A packed store read whole is read chunk by chunk, ids included
        (``input_chunks``). A model without a trunk (classical or expression models) is an
        InputError naming the run, raised before any data are read."""
        reason = self.classifier.no_trunk()
        if reason is not None:
            raise InputError(f"cannot embed: {reason}", path=self.directory or "this run")
        sizes, labelled, chunks = input_chunks(self, data, labels_required=None, **options)
        pairs = _embedded(self.classifier, chunks, labelled, batch_size)
        if progress:
            total = sum(-(-n // batch_size) for n in sizes)
            pairs = show_progress(pairs, total, "embed batch", every_steps=20)
        return pairs

    def embed(self, data: Any, *, batch_size: int = 256, **options: Any) -> np.ndarray:
        """(n, dim) float32 trunk features of every sample of ``data`` (see
        ``embedding_batches``), rows in the order of the data."""
        chunks = [e for _, e in self.embedding_batches(data, batch_size=batch_size, **options)]
        return np.concatenate(chunks) if chunks else np.zeros((0, 0), np.float32)

    def explain(
        self, data: Any, *, labels: Any = None, **options: Any
    ) -> SequenceExplanation | ExpressionExplanation:
        """Explain the model on every sample of labelled ``data`` (``labels`` for data
        given in Python; ``options`` as ``ExplainOptions``: methods, classes,
        max_examples ...) and return the arrays and tables in memory; ``genoclass explain``
        writes them with a page."""
        options = ExplainOptions(**options)
        methods = resolve_methods(self.card.name, options.methods)
        given = self.inputs(data, labels_required=True, labels=labels)
        targets = chosen_classes(self.classes, options.classes)
        kind = input_kind(self.card.input["input_kind"])
        return kind.explainer(
            self.classifier,
            self.featurizer,
            given.table,
            given.y,
            targets,
            replace(options, methods=methods),
        )


#: the ONNX export of a run, in its model folder (``genoclass export``)
ONNX_FILE = "model.onnx"


def _onnx_predictor(run: TrainedRun) -> OnnxPredictor:
    """The run's ONNX export, refused when it was exported from other weights or classes."""
    if run.directory is None:
        raise InputError("the onnx engine needs a saved run directory with its export")
    path = RunFiles(run.directory).model / ONNX_FILE
    if not path.is_file():
        raise InputError(
            f"no ONNX export; run: genoclass export --model {run.directory}", path=path
        )
    predictor = OnnxPredictor(path, threads=torch.get_num_threads())
    if predictor.meta("weights_sha256") != run._weights_sha256():
        raise InputError("exported from other weights than the run's; export again", path=path)
    if predictor.meta("classes") != run.classes:
        raise InputError("its classes differ from the run's; export again", path=path)
    return predictor


#: engine name -> what computes a run's probabilities (``TrainedRun.predictor``)
ENGINES: dict[str, Callable[[TrainedRun], Any]] = {
    "torch": lambda run: run.classifier,
    "onnx": _onnx_predictor,
}


def _checked_featurizer(card: ModelCard, path: Path) -> Featurizer:
    """The input encoding saved in model.json, rebuilt and checked against the model's
    input length."""
    try:
        featurizer = featurizer_from_state(card.input, path.parent)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"input encoding cannot be rebuilt ({exc!r})", path=path) from None
    if featurizer.input_length != card.input_length:
        raise InputError(
            f"input encoding length {featurizer.input_length} does not match input_length "
            f"{card.input_length}",
            path=path,
        )
    return featurizer


@dataclass
class RunInput:
    """Data ready for a run's model: the sample table, its label indices (None when
    unlabelled) and the encoded features."""

    table: pd.DataFrame
    y: np.ndarray | None
    features: FeatureSet


#: (run, data, labels_required, options) -> the data as the run's model input
Converter = Callable[[TrainedRun, Any, bool | None, dict[str, Any]], RunInput]
#: ordered (python types, converter); the first whose types match the data is used
INPUT_CONVERTERS: list[tuple[tuple[type, ...], Converter]] = []


def register_input_converter(types: tuple[type, ...], converter: Converter) -> None:
    """Accept data of ``types`` wherever a run takes data (checked before earlier entries)."""
    INPUT_CONVERTERS.insert(0, (types, converter))


def run_input(
    run: TrainedRun, data: Any, *, labels_required: bool | None = False, **options: Any
) -> RunInput:
    """``data`` in any registered form (``INPUT_CONVERTERS``) as the run's model input.
    ``labels_required`` True makes unlabelled samples an error; with labels, a class the
    model never saw is an error naming the row; None keeps the labels as text only (``y``
    None: the data of another task, as ``embed`` takes them). Options: ``split`` keeps the
    rows the run recorded in that split (files), ``labels`` gives the labels of in-memory
    data, and file reading options (format, sequence_col, label_col ...)."""
    for types, converter in INPUT_CONVERTERS:
        if isinstance(data, types):
            return converter(run, data, labels_required, options)
    known = ", ".join(t.__name__ for types, _ in INPUT_CONVERTERS for t in types)
    raise InputError(f"cannot read data of type {type(data).__name__}; give one of {known}")


def table_input(
    run: TrainedRun, table: pd.DataFrame, labels_required: bool | None, source: str | Path
) -> RunInput:
    """A sample table (sequence or expression) encoded by the run's featurizer (labels as
    ``run_input`` says)."""
    if labels_required and not labelled_table(table):
        raise InputError("these data need a label for every sample", path=source)
    indexed = labelled_table(table) and labels_required is not None
    y = label_indices(table, run.classes, source) if indexed else None
    return RunInput(table, y, run.featurizer.transform(table, y))


def labelled_table(table: pd.DataFrame) -> bool:
    """Whether every row of a non-empty sample table has a label."""
    return bool(len(table)) and "label" in table and bool(table["label"].notna().all())


def _from_file(run: TrainedRun, path: Any, labels_required: bool | None, options: dict) -> RunInput:
    """A file or folder read the way the training data were read; a packed sequence store
    (``genoclass data pack``) is read in batches."""
    if is_store(path) and options.get("split") is None:
        return _from_store(run, SequenceStore(path), labels_required, options)
    table = read_for_run(run, path, labels_required=labels_required, **options)
    return table_input(run, table, labels_required, path)


def _from_store(
    run: TrainedRun, store: SequenceStore, labels_required: bool | None, options: dict
) -> RunInput:
    """A packed sequence store: token and one-hot models read its rows batch by batch (no
    sequence text in memory); other input kinds count the store's sequences."""
    return store_rows_input(run, store, np.arange(len(store)), labels_required)


def store_rows_input(
    run: TrainedRun, store: SequenceStore, rows: np.ndarray, labels_required: bool | None = False
) -> RunInput:
    """Rows ``rows`` of a packed store as the run's model input (labels as ``run_input``
    says, when every one of them has one; ``labels_required`` True makes a missing one an
    error naming the row)."""
    codes = np.asarray(store.labels)[rows]
    labelled = bool(len(rows)) and bool((codes >= 0).all())
    if labels_required and not labelled:
        store.y()  # the error names the first unlabelled row
    y = None
    if labelled and labels_required is not None:
        index = {c: i for i, c in enumerate(run.classes)}
        unknown = sorted({store.classes[c] for c in np.unique(codes)} - set(index))
        if unknown:
            reason = f"label not among the classes {run.classes}"
            raise InputError(reason, path=store.path, value=unknown[0])
        y = np.array([index.get(c, -1) for c in store.classes], dtype=np.int64)[codes]
    names = np.asarray(store.classes + [None], dtype=object)[codes]  # code -1: no label
    table = pd.DataFrame(
        {
            "id": store.ids(rows),
            "label": names,
            "split": np.asarray(store.split_names())[rows],
            "source_row": np.asarray(store.array("source_rows"))[rows],
        }
    )
    featurizer = run.featurizer
    if not isinstance(featurizer, SequenceFeaturizer):
        sequences = table.assign(sequence=store.sequences(rows))
        return RunInput(table, y, featurizer.transform(sequences, y))
    on_store = dataclasses.replace(featurizer, store=store)
    return RunInput(table, y, on_store.transform(pd.DataFrame({"store_row": rows}), y))


def _from_frame(
    run: TrainedRun, frame: pd.DataFrame, required: bool | None, options: dict
) -> RunInput:
    """A sequence table (``sequence_col`` column) or a samples x genes frame (sample ids
    as index); ``label_col`` or ``labels`` give labels."""
    label_col = options.get("label_col") or run.config.label_col
    labels = options.get("labels")
    if labels is None and label_col in frame:
        labels = frame[label_col].to_numpy()
    if run.card.input.get("input_kind") != "expression":
        sequence_col = options.get("sequence_col") or run.config.sequence_col
        if sequence_col not in frame:
            raise InputError(f"the DataFrame has no {sequence_col!r} column of sequences")
        ids = frame["id"].astype(str).tolist() if "id" in frame else None
        table = sequence_table(frame[sequence_col].tolist(), labels, ids)
        return table_input(run, table, required, "DataFrame")
    genes = frame.drop(columns=[c for c in (label_col, *RESERVED_COLUMNS) if c in frame])
    n = len(frame)
    meta = pd.DataFrame(
        {
            "id": frame.index.astype(str).to_numpy(dtype=object),
            "label": [None] * n if labels is None else [str(v) for v in labels],
            "split": [None] * n,
            "source_row": range(1, n + 1),
        }
    )
    table = pd.concat([meta, genes.reset_index(drop=True).astype(np.float32)], axis=1)
    return table_input(run, table, required, "DataFrame")


def _from_sequences(run: TrainedRun, seqs: Any, required: bool | None, options: dict) -> RunInput:
    """A list, tuple, array or Series of sequence strings."""
    if run.card.input.get("input_kind") == "expression":
        raise InputError("an expression model takes a samples x genes DataFrame, not a list")
    table = sequence_table(list(seqs), options.get("labels"))
    return table_input(run, table, required, "sequences given in Python")


register_input_converter((list, tuple, np.ndarray, pd.Series), _from_sequences)
register_input_converter((pd.DataFrame,), _from_frame)
register_input_converter((str, os.PathLike), _from_file)
register_input_converter((SequenceStore,), _from_store)


def read_for_run(
    run: TrainedRun,
    path: str | Path,
    *,
    split: str | None = None,
    labels_required: bool | None,
    **columns: Any,
) -> pd.DataFrame:
    """Read ``path`` the way the run's training data was read; ``split`` keeps only the rows
    the run recorded in that split (matched by id)."""
    overrides = {k: v for k, v in columns.items() if v is not None}
    config = TrainConfig(
        **{
            **run.config.to_dict(),
            "data": str(path),
            "test": None,
            "val": None,
            "labels": None,  # the training labels table does not label new data
            **overrides,
        }
    )
    kind = input_kind(run.card.input["input_kind"])
    data = kind.reader(config, labels_required=labels_required)
    table = data.table
    if split is not None:
        if run.directory is None:
            raise InputError("split needs a saved run directory (it records the splits)")
        recorded = pd.read_parquet(RunFiles(run.directory).splits)
        chosen = recorded["split"] == split
        # a run trained on this store names its rows by store row, any other run by id
        key = "store_row" if "store_row" in recorded and "store_row" in table else "id"
        if key not in table:  # a store's ids only: sequences are read for the kept rows below
            table = table.assign(id=data.store.ids(table["store_row"].to_numpy()))
        table = table[table[key].isin(set(recorded.loc[chosen, key]))].reset_index(drop=True)
        if table.empty:
            raise InputError(f"no rows of split {split!r} of this run found", path=path)
    if data.store is not None and "sequence" not in table:
        table = with_text(table, data.store)
    return table


def label_indices(table: pd.DataFrame, classes: Sequence[str], path: str | Path) -> np.ndarray:
    """Label indices; a label the model never saw is an input error naming the row."""
    index = {c: i for i, c in enumerate(classes)}
    unknown = ~table["label"].isin(index)
    if unknown.any():
        row = table.loc[unknown].iloc[0]
        raise InputError(
            f"label not among the model's classes {list(classes)}",
            path=path,
            where=f"row {row.get('source_row', '?')}",
            value=row["label"],
        )
    return table["label"].map(index).to_numpy(np.int64)


def evaluate_run(
    run_dir: str | Path, data: str | Path, *, split: str | None = None, **columns: Any
) -> dict[str, Any]:
    """Metrics (with bootstrap intervals) of a saved run on labelled data."""
    run = TrainedRun.load(run_dir)
    given = run.inputs(data, labels_required=True, split=split, **columns)
    metrics = split_metrics(
        given.y,
        run.classifier.predict_proba(given.features),
        run.classes,
        seed=run.config.seed,
        with_ci=True,
    )
    return {
        "model": run.card.name,
        "data": str(data),
        "split": split,
        "n": len(given.y),
        "classes": run.classes,
        "metrics": metrics,
    }


#: rows predicted at a time from a packed store (memory holds one chunk of ids and
#: probabilities, whatever the store's size)
PREDICT_CHUNK_ROWS = 65_536


def input_chunks(
    run: TrainedRun,
    data: Any,
    *,
    labels_required: bool | None = False,
    chunk_rows: int | None = None,
    **options: Any,
) -> tuple[list[int], bool, Iterator[RunInput]]:
    """``data`` as the run's input in pieces, each read when the iterator reaches it: a
    packed store read whole (no ``split``) in chunks of at most ``chunk_rows`` (default
    ``PREDICT_CHUNK_ROWS``) rows, other data in one piece (``run_input``). Returns the
    sizes of the pieces, whether every row has a label, and the pieces."""
    if isinstance(data, (str, os.PathLike)) and is_store(data) and options.get("split") is None:
        data = SequenceStore(data)
    if isinstance(data, SequenceStore):
        store, step = data, chunk_rows or PREDICT_CHUNK_ROWS
        starts = range(0, max(len(store), 1), step)
        sizes = [min(step, len(store) - start) for start in starts]
        labelled = bool(len(store)) and bool((np.asarray(store.labels) >= 0).all())
        return (
            sizes,
            labelled,
            (
                store_rows_input(run, store, np.arange(start, start + n), labels_required)
                for start, n in zip(starts, sizes, strict=True)
            ),
        )
    given = run.inputs(data, labels_required=labels_required, **options)
    return [len(given.table)], labelled_table(given.table), iter([given])


def predict_chunks(
    run_dir: str | Path,
    data: Any,
    *,
    split: str | None = None,
    chunk_rows: int | None = None,
    engine: str = "torch",
    **columns: Any,
) -> Iterator[pd.DataFrame]:
    """Predictions of the trained run ``run_dir`` for every row of ``data`` (id, true label
    if known, predicted label, per-class probabilities), as frames of at most
    ``chunk_rows`` (default ``PREDICT_CHUNK_ROWS``) rows for a packed store (read chunk by
    chunk) and one frame otherwise; ``engine`` as ``TrainedRun.predictor``."""
    run = TrainedRun.load(run_dir)
    predictor = run.predictor(engine)
    _, _, chunks = input_chunks(run, data, chunk_rows=chunk_rows, split=split, **columns)
    return (_predictions(run, predictor, given) for given in chunks)


def _predictions(run: TrainedRun, predictor: Any, given: RunInput) -> pd.DataFrame:
    proba = predictor.predict_proba(given.features)
    if not len(given.table):
        proba = np.zeros((0, len(run.classes)))
    return predictions_frame(given.table["id"].to_numpy(), given.y, proba, run.classes)


def predict_run(
    run_dir: str | Path,
    data: str | Path,
    out: str | Path,
    *,
    split: str | None = None,
    engine: str = "torch",
    **columns: Any,
) -> dict[str, Any]:
    """``predict_chunks`` written chunk by chunk, atomically, to ``out`` (Parquet for a
    ``.parquet`` name, else CSV; its folder must exist); returns the rows written and,
    when every row has a known label, the accuracy."""
    check_output_file(out, "--out")
    tally = {"rows": 0, "labelled": 0, "correct": 0}

    def counted(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for frame in frames:
            known = frame["true_label"].notna()
            tally["labelled"] += int(known.sum())
            tally["correct"] += int((frame["true_label"] == frame["predicted_label"])[known].sum())
            yield frame

    tally["rows"] = write_tables_atomic(
        counted(predict_chunks(run_dir, data, split=split, engine=engine, **columns)), out
    )
    result: dict[str, Any] = {"rows": tally["rows"]}
    if tally["rows"] and tally["labelled"] == tally["rows"]:
        result["accuracy"] = tally["correct"] / tally["rows"]
    return result


def embed_run(
    run_dir: str | Path,
    data: str | Path,
    out: str | Path,
    *,
    split: str | None = None,
    batch_size: int = 256,
    progress: bool = False,
    **columns: Any,
) -> tuple[int, int]:
    """Write the trunk features of the run ``run_dir`` for every row of ``data`` (``split``:
    only the rows the run recorded there; "all" or None: every row) to the Parquet file
    ``out`` (its folder must exist), batch by batch (one row group each) and atomically:
    columns ``id``, ``label`` (when every row has one) and ``emb_0`` ... ``emb_{dim-1}``
    (float32). Returns the rows and the width written."""
    check_output_file(out, "--out")
    run = TrainedRun.load(run_dir)
    batches = run.embedding_batches(
        data,
        batch_size=batch_size,
        progress=progress,
        split=None if split == "all" else split,
        **columns,
    )
    width = [0]

    def frames() -> Iterator[pd.DataFrame]:
        for facts, batch in batches:
            width[0] = batch.shape[1]
            emb = pd.DataFrame(batch.astype(np.float32, copy=False)).add_prefix("emb_")
            yield pd.concat([facts, emb], axis=1)
        if not width[0]:  # no rows: a file with the id column only
            yield pd.DataFrame({"id": pd.Series([], dtype=str)})

    rows = write_tables_atomic(frames(), out)
    return rows, width[0]


def _embedded(
    classifier: Classifier, chunks: Iterator[RunInput], labelled: bool, batch_size: int
) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """Each batch of trunk features of every piece of the data, with its rows' id (and
    label when ``labelled``) as text."""
    for given in chunks:
        facts = pd.DataFrame({"id": given.table["id"].astype(str).to_numpy(dtype=object)})
        if labelled:
            facts["label"] = given.table["label"].astype(str).to_numpy(dtype=object)
        start = 0
        for batch in classifier.embeddings(given.features, batch_size):
            yield facts.iloc[start : start + len(batch)].reset_index(drop=True), batch
            start += len(batch)
