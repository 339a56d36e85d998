"""The ``train`` job: read, split, encode, fit, evaluate and write the run directory."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoclass.atomic import write_table_atomic
from genoclass.config import TrainConfig
from genoclass.data.checks import check_single_samples, check_training_classes, warn_few_steps
from genoclass.data.expression_features import ExpressionFeaturizer
from genoclass.data.featurize import Featurizer, SequenceFeaturizer
from genoclass.data.groups import (
    GroupSettings,
    grouping_report,
    split_balance,
    split_group_ids,
    warn_dominated,
)
from genoclass.data.leakage import cross_split_duplicates
from genoclass.data.loaders import SequenceFeatures
from genoclass.data.splits import SPLITS, assign_splits
from genoclass.errors import InputError
from genoclass.evaluation.bootstrap import bootstrap_ci
from genoclass.evaluation.metrics import classification_metrics, predictions_frame
from genoclass.models import ModelSpec
from genoclass.models.budget import check_batch_memory
from genoclass.models.heads import balanced_class_weights
from genoclass.models.serialize import ModelCard, build_model, meta_build, save_model
from genoclass.reporting.run_report import write_run_report
from genoclass.sequence.augment import augmenter_from_settings
from genoclass.sequence.kmers import KmerFeaturizer
from genoclass.training.fit import (
    FitSettings,
    count_parameters,
    fit_model,
    predict_any,
    seed_everything,
)
from genoclass.workflows.inputs import READERS, LabelledData, check_run
from genoclass.workflows.rundir import CHECKPOINTS, staged_directory, write_json, write_yaml

#: model input kind -> featurizer factory (before fitting)
FEATURIZER_FACTORIES: dict[str, Callable[[ModelSpec, TrainConfig], Featurizer]] = {
    "tokens": lambda spec, c: SequenceFeaturizer("tokens", c.max_len, c.crop, spec.fixed_length),
    "onehot": lambda spec, c: SequenceFeaturizer("onehot", c.max_len, c.crop, spec.fixed_length),
    "kmer": lambda spec, c: KmerFeaturizer(spec.hparams(c.model_params)["k"]),
    "expression": lambda spec, c: ExpressionFeaturizer(
        c.preprocess, c.missing == "impute-median", neural=spec.family == "neural"
    ),
}


@dataclass
class PreparedData:
    """Split, labelled and encoded data ready for fitting."""

    table: pd.DataFrame
    classes: list[str]
    y: np.ndarray
    featurizer: Featurizer
    features: dict[str, Any]
    info: dict[str, Any]


def fingerprint(table: pd.DataFrame, *, with_split: bool = False) -> str:
    """SHA-256 of the rows (content and labels; also their splits ``with_split``), recorded
    in model.json (training rows) and beside checkpoints (every row, to check --resume)."""
    rows = table if with_split else table.drop(columns=["split"])
    hashed = pd.util.hash_pandas_object(rows, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def split_groups(table: pd.DataFrame, config: TrainConfig) -> np.ndarray | None:
    """Group ids keeping duplicates, similar sequences (``--dedup``) and user groups
    (``--group-col``, ``--split-by``) on one side of every split; None when none is asked."""
    settings = GroupSettings(
        config.dedup, config.similarity, config.kmer, config.group_col, config.split_by
    )
    return split_group_ids(table, settings)


def prepare(config: TrainConfig, spec: ModelSpec, data: LabelledData) -> PreparedData:
    """Assign splits, index labels, fit the featurizer on training rows, check that a
    training batch fits the memory limit, encode every split."""
    table = data.table.reset_index(drop=True)
    check_single_samples(table, config.data)
    groups = split_groups(table, config)
    table["split"] = assign_splits(
        table,
        test_size=config.test_size,
        val_size=config.val_size,
        seed=config.seed if config.split_seed is None else config.split_seed,
        groups=groups,
    ).to_numpy()
    classes = sorted(table["label"].unique())
    if len(classes) < 2:
        raise InputError(f"need at least two classes, found {classes}", path=config.data)
    files = {"test": config.test or config.data, "val": config.val or config.data}
    check_training_classes(table, files)
    y = table["label"].map({c: i for i, c in enumerate(classes)}).to_numpy(np.int64)
    train_rows = (table["split"] == "train").to_numpy()
    featurizer = FEATURIZER_FACTORIES[spec.input_kind](spec, config).fit(table[train_rows])
    if spec.family == "neural":
        _check_batch_fits(config, spec, classes, featurizer.input_length, table[train_rows])
        warn_few_steps(int(train_rows.sum()), config.batch_size, config.epochs)
    features = {}
    for split in SPLITS:
        rows = (table["split"] == split).to_numpy()
        if rows.any():
            features[split] = featurizer.transform(table[rows], y[rows])
    augment = augmenter_from_settings(config.augment)
    if augment is not None:  # training rows only; validation and test stay untouched
        if not isinstance(features["train"], SequenceFeatures):
            raise InputError(f"augmentation needs a sequence model, not {spec.name!r}")
        features["train"] = replace(features["train"], augment=augment, seed=config.seed)
    info = dict(data.info)
    describe = getattr(featurizer, "summary", None)  # featurizers may report what fitting did
    if describe is not None:
        info.update(describe())
    info["dedup"] = config.dedup
    if groups is not None:
        info["grouping"] = grouping_report(groups, table["label"].to_numpy())
        warn_dominated(info["grouping"])
        info["split_balance"] = split_balance(table["label"].to_numpy(), table["split"].to_numpy())
    info["class_counts"] = {
        s: table.loc[table["split"] == s, "label"].value_counts().sort_index().to_dict()
        for s in SPLITS
    }
    if "sequence" in table:
        info["duplicates"] = cross_split_duplicates(table)
    return PreparedData(table, classes, y, featurizer, features, info)


def _check_batch_fits(
    config: TrainConfig, spec: ModelSpec, classes: list[str], width: int, train: pd.DataFrame
) -> None:
    """Refuse, before encoding or allocating anything, a model whose training batch of the
    widest input would exceed ``config.batch_memory_gb`` (see ``models.budget``)."""
    card = ModelCard(
        spec.name,
        spec.hparams(config.model_params),
        classes,
        width,
        extra=_window_extra(config, spec),
    )
    model = meta_build(card)
    if model is None:  # a model whose size only its own loader knows
        return
    what = ""
    if "sequence" in train and len(train):
        longest = train["sequence"].str.len().idxmax()
        what = f" (longest training sequence id {train.at[longest, 'id']!r})"
    check_batch_memory(
        spec,
        model,
        batch_size=min(config.batch_size, max(len(train), 1)),
        width=width,
        limit_gb=config.batch_memory_gb,
        window=card.extra.get("window"),
        what=what,
    )


def split_metrics(
    y: np.ndarray, proba: np.ndarray, classes: list[str], *, seed: int, with_ci: bool
) -> dict[str, Any]:
    """Metrics of one split; the test split also gets bootstrap 95 % intervals."""
    metrics = classification_metrics(y, proba, classes)
    if with_ci:
        metrics["ci95"] = bootstrap_ci(y, proba, seed=seed)
    return metrics


def run_training(
    config: TrainConfig,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    data: LabelledData | None = None,
) -> Path:
    """Train ``config.model`` on ``config.data`` and write the run directory ``config.out``;
    ``data`` (already read, e.g. one cross-validation fold with its splits) skips reading."""
    if not config.out:
        raise InputError("--out is required")
    spec, hparams = check_run(config)
    if data is None:
        data = READERS[spec.input_kind](config)
    prep = prepare(config, spec, data)
    counts = {s: len(f) for s, f in prep.features.items()}
    if "test" not in counts:
        raise InputError("no test rows: give --test or a test_size > 0")
    dup = prep.info.get("duplicates", {})
    print(
        f"data: {counts.get('train', 0)} train / {counts.get('val', 0)} val / {counts['test']} test"
        f"; classes {prep.classes}"
        + (
            f"; cross-split duplicates: {dup.get('total_cross_split_exact', 0)} exact, "
            f"{dup.get('total_cross_split_rc', 0)} reverse-complement"
            if dup
            else ""
        )
    )
    if "grouping" in prep.info:
        grouping, balance = prep.info["grouping"], prep.info["split_balance"]["splits"]
        print(
            f"split groups: {grouping['groups']} (largest {grouping['largest_group']} rows); "
            "class proportions per split differ from the overall ones by at most "
            f"{max(s['max_deviation'] for s in balance.values()):.3f}"
        )
    train_table = prep.table[prep.table["split"] == "train"]
    card = ModelCard(
        name=spec.name,
        hparams=hparams,
        classes=prep.classes,
        input_length=prep.featurizer.input_length,
        input=prep.featurizer.state(),
        training_data={"fingerprint": fingerprint(train_table), "n": len(train_table)},
        extra=_window_extra(config, spec),
    )
    out = Path(config.out)
    with staged_directory(out, overwrite=overwrite, resume=resume) as stage:
        seed_everything(config.seed)
        model = build_model(card)
        y_train = prep.features["train"].y
        weights = (
            balanced_class_weights(y_train, len(prep.classes)) if config.class_weights else None
        )
        history, epochs_run, best_epoch, seconds = None, None, None, 0.0
        if spec.family == "neural":
            result = fit_model(
                model,
                prep.features["train"],
                prep.features.get("val"),
                len(prep.classes),
                _fit_settings(config, progress),
                class_weights=weights,
                checkpoint_dir=stage / CHECKPOINTS,
                resume=resume,
                identity=_command_identity(config, hparams, prep.table),
            )
            history, epochs_run, best_epoch, seconds = (
                result.history,
                result.epochs_run,
                result.best_epoch,
                result.train_seconds,
            )
        else:
            seconds = _fit_classical(model, prep.features["train"], weights)
        metrics = {
            "task": "binary" if len(prep.classes) == 2 else "multiclass",
            "classes": prep.classes,
            "model": spec.name,
        }
        start = time.perf_counter()
        proba = {"test": predict_any(model, prep.features["test"])}
        inference_seconds = time.perf_counter() - start
        if "val" in counts:
            proba["val"] = predict_any(model, prep.features["val"])
        for split, p in proba.items():
            metrics[split] = split_metrics(
                prep.features[split].y, p, prep.classes, seed=config.seed, with_ci=split == "test"
            )
        test_rows = prep.table[prep.table["split"] == "test"]
        metrics.update(
            n_train=counts.get("train", 0),
            n_val=counts.get("val", 0),
            n_test=counts["test"],
            epochs_run=epochs_run,
            best_epoch=best_epoch,
            train_seconds=round(seconds, 3),
            # model time on the encoded test rows (reading and tokenising excluded)
            inference_seq_per_s=round(counts["test"] / max(inference_seconds, 1e-9), 1),
            params=count_parameters(model),
            data=prep.info,
        )
        save_model(model, card, stage / "model")
        write_yaml(stage / "config.yaml", config.to_dict())
        write_json(stage / "metrics.json", metrics)
        predictions = predictions_frame(
            test_rows["id"].to_numpy(), prep.features["test"].y, proba["test"], prep.classes
        )
        write_table_atomic(predictions, stage / "predictions.parquet")
        split_cols = [c for c in ("id", "source_row", "label", "split") if c in prep.table]
        write_table_atomic(prep.table[split_cols], stage / "splits.parquet")
        if history is not None:
            write_table_atomic(history, stage / "history.csv")
        write_run_report(stage)
    return out


#: settings that may change between an interrupted run and its --resume (paths may move:
#: the data's fingerprint is compared instead)
RESUME_NEUTRAL = ("out", "data", "test", "val", "labels", "batch_memory_gb")


def _command_identity(
    config: TrainConfig, hparams: dict[str, Any], table: pd.DataFrame
) -> dict[str, Any]:
    """What makes two training commands the same run: settings, hyperparameters and every
    row with its split (a --resume must match it)."""
    settings = {k: v for k, v in config.to_dict().items() if k not in RESUME_NEUTRAL}
    return {**settings, "hparams": hparams, "data_fingerprint": fingerprint(table, with_split=True)}


def _window_extra(config: TrainConfig, spec: ModelSpec) -> dict[str, Any]:
    """``{"window": {"size", "stride"}}`` when a neural model is applied to windows."""
    if not config.window:
        return {}
    if spec.family != "neural" or spec.input_kind not in ("tokens", "onehot"):
        raise InputError(f"--window needs a neural sequence model, not {spec.name!r}")
    stride = config.window_stride or max(config.window // 2, 1)
    return {"window": {"size": int(config.window), "stride": int(stride)}}


def _fit_settings(config: TrainConfig, progress: bool) -> FitSettings:
    """Training-loop settings taken from the run config."""
    return FitSettings(
        epochs=config.epochs,
        batch_size=config.batch_size,
        recipe=config.recipe,
        lr=config.lr,
        weight_decay=config.weight_decay,
        patience=config.patience,
        grad_clip=config.grad_clip,
        label_smoothing=config.label_smoothing,
        seed=config.seed,
        progress=progress,
    )


def _fit_classical(model: Any, train: Any, weights: np.ndarray | None) -> float:
    """Fit a classical model on the training matrix; returns seconds taken."""
    start = time.perf_counter()
    sample_weight = None if weights is None else weights[train.y]
    model.fit(train.x, train.y, sample_weight=sample_weight)
    return time.perf_counter() - start
