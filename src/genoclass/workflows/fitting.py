"""Prepare data and fit one configuration: the step that train, tune, compare, cross-
validation and the Python API share.

``prepare`` assigns splits, fits the featurizer on the training rows and encodes every
split; ``fit_one`` builds the configured model behind the ``Classifier`` seam, fits it and
scores the asked splits. Choosing among several models is a loop over ``fit_one``::

    fits = [fit_one(c, prepare(c, get_spec(c.model), data)) for c in candidates]
    best = max(fits, key=lambda f: f.metrics("val")["mcc"])
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoclass.config import TrainConfig
from genoclass.data.checks import check_single_samples, check_training_classes, warn_few_steps
from genoclass.data.featurize import Featurizer
from genoclass.data.groups import (
    GroupSettings,
    grouping_report,
    split_balance,
    split_group_ids,
    warn_dominated,
)
from genoclass.data.leakage import HASH_COLUMNS, cross_split_duplicates
from genoclass.data.splits import SPLITS, assign_splits
from genoclass.data.store import SequenceStore
from genoclass.errors import InputError
from genoclass.evaluation.bootstrap import bootstrap_ci
from genoclass.evaluation.metrics import classification_metrics
from genoclass.models import ModelSpec, get_spec
from genoclass.models.budget import check_batch_memory
from genoclass.models.outputs import balanced_class_weights
from genoclass.models.serialize import ModelCard, meta_build
from genoclass.sequence.augment import augmenter_from_settings
from genoclass.training.classifier import Classifier, FitReport, wrap
from genoclass.training.fit import seed_everything
from genoclass.training.recipes import FitSettings
from genoclass.training.runtime import Runtime, applied
from genoclass.training.transfer import build_initial_model
from genoclass.workflows.inputs import LabelledData, with_text
from genoclass.workflows.kinds import input_kind


@dataclass
class PreparedData:
    """Split, labelled and encoded data ready for fitting."""

    table: pd.DataFrame
    classes: list[str]
    y: np.ndarray
    featurizer: Featurizer
    features: dict[str, Any]
    info: dict[str, Any]
    store: SequenceStore | None = None

    def ids(self, rows: pd.DataFrame) -> np.ndarray:
        """Record ids of some rows of ``table`` (read from the store when the table has none)."""
        if "id" in rows:
            return rows["id"].to_numpy()
        return np.array(self.store.ids(rows["store_row"].to_numpy()), dtype=object)


def fingerprint(table: pd.DataFrame, *, with_split: bool = False) -> str:
    """SHA-256 of the rows (content and labels; also their splits ``with_split``), recorded
    in model.json (training rows) and beside checkpoints (every row, to check --resume)."""
    rows = table if with_split else table.drop(columns=["split"])
    hashed = pd.util.hash_pandas_object(rows, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def training_data(table: pd.DataFrame) -> dict[str, Any]:
    """model.json's record of the training rows: their fingerprint and number."""
    train_rows = table[table["split"] == "train"]
    return {"fingerprint": fingerprint(train_rows), "n": len(train_rows)}


def require_test(prep: PreparedData) -> None:
    """A run is measured on its test split: an input error when ``prep`` has no test rows."""
    if "test" not in prep.features:
        raise InputError("no test rows: give --test or a test_size > 0")


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
    # new columns replace the caller's, never change them: no copy of the rows needed
    table = data.table.set_axis(pd.RangeIndex(len(data.table)), copy=False)
    featurizer = input_kind(spec.input_kind).featurizer(spec, config)
    if data.store is not None:
        table = _on_store(featurizer, data.store, table)
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
    featurizer = featurizer.fit(table[train_rows])
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
        augmented = getattr(features["train"], "augmented", None)
        if augmented is None:
            raise InputError(f"augmentation needs a sequence model, not {spec.name!r}")
        features["train"] = augmented(augment, config.seed)
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
    if "sequence" in table or HASH_COLUMNS[0] in table:
        info["duplicates"] = cross_split_duplicates(table)
    return PreparedData(table, classes, y, featurizer, features, info, data.store)


#: rows of a packed store that a model needing sequence text (k-mer counts, embeddings of
#: another run's trunk) may read into memory; larger stores train token / one-hot models
STORE_TEXT_ROWS = 1_000_000


def _on_store(featurizer: Featurizer, store: SequenceStore, table: pd.DataFrame) -> pd.DataFrame:
    """Let ``featurizer`` read a packed store's rows lazily when it can (token and one-hot
    models); otherwise add the sequences and ids to the table, for a store of at most
    :data:`STORE_TEXT_ROWS` rows (an input error beyond)."""
    if hasattr(featurizer, "store"):
        featurizer.store = store
        return table
    if len(table) > STORE_TEXT_ROWS:
        raise InputError(
            f"a model reading sequence text (not tokens or one-hot) trains on packed stores "
            f"of at most {STORE_TEXT_ROWS:,} rows; this one has {len(table):,}: choose a "
            "token or one-hot model (genoclass models) or train on the source file",
            path=store.path,
        )
    return with_text(table, store)


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


def _window_extra(config: TrainConfig, spec: ModelSpec) -> dict[str, Any]:
    """``{"window": {"size", "stride"}}`` when a neural model is applied to windows."""
    if not config.window:
        return {}
    if spec.family != "neural" or spec.input_kind not in ("tokens", "onehot"):
        raise InputError(f"--window needs a neural sequence model, not {spec.name!r}")
    stride = config.window_stride or max(config.window // 2, 1)
    return {"window": {"size": int(config.window), "stride": int(stride)}}


def model_card(config: TrainConfig, prep: PreparedData, **facts: Any) -> ModelCard:
    """The card of ``config.model`` fitted on ``prep`` (``facts``: further card fields such
    as ``training_data``)."""
    spec = get_spec(config.model)
    return ModelCard(
        name=spec.name,
        hparams=spec.hparams(config.model_params),
        classes=prep.classes,
        input_length=prep.featurizer.input_length,
        input=prep.featurizer.state(),
        extra=_window_extra(config, spec),
        **facts,
    )


@dataclass
class FittedModel:
    """One fitted configuration: the classifier, what fitting did, the data it was fitted
    on, and the class probabilities of each scored split with the model time of the test
    split."""

    classifier: Classifier
    report: FitReport
    prep: PreparedData
    proba: dict[str, np.ndarray] = field(default_factory=dict)
    test_seconds: float = 0.0
    runtime: dict[str, Any] = field(default_factory=dict)

    def metrics(self, split: str, *, seed: int = 0, with_ci: bool = False) -> dict[str, Any]:
        """Metrics of ``split`` (``ci95`` bootstrap intervals ``with_ci``)."""
        y = self.prep.features[split].y
        return split_metrics(y, self.proba[split], self.prep.classes, seed=seed, with_ci=with_ci)


def fit_one(
    config: TrainConfig,
    prep: PreparedData,
    *,
    splits: tuple[str, ...] = ("test", "val"),
    progress: bool = False,
    card: ModelCard | None = None,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
    identity: dict[str, Any] | None = None,
    max_seconds: float | None = None,
) -> FittedModel:
    """Build ``config.model`` (seeded by ``config.seed``), fit it on ``prep``'s training
    split (validation picks the best epoch), and score those of ``splits`` that ``prep``
    holds, with ``config``'s threads, determinism and accelerator (``training.runtime``).
    With ``config.init`` the model starts from that run's trunk
    (``training.transfer.build_initial_model``); ``checkpoint_dir``, ``resume`` and
    ``identity`` make an interrupted fit resumable; a neural fit stops at the end of the
    epoch that spends ``max_seconds`` (default: ``config.time_budget``)."""
    seed_everything(config.seed)
    card = card or model_card(config, prep)
    model, transfer = build_initial_model(config, card)  # from scratch unless --init
    classifier = wrap(model, card)
    if transfer is not None:
        classifier.transfer = transfer
    train = prep.features["train"]
    weights = balanced_class_weights(train.y, len(prep.classes)) if config.class_weights else None
    settings = FitSettings.from_config(config, progress=progress)
    if max_seconds is None and config.time_budget is not None:
        max_seconds = config.time_budget * 60
    settings.max_seconds = max_seconds
    with applied(Runtime.of(config)) as runtime:
        report = classifier.fit(
            train,
            prep.features.get("val"),
            settings,
            class_weights=weights,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            identity=identity,
        )
        fitted = FittedModel(classifier, report, prep, runtime=runtime)
        score_splits(fitted, splits)
    return fitted


def score_splits(fitted: FittedModel, splits: tuple[str, ...]) -> None:
    """Add to ``fitted`` the class probabilities of those of ``splits`` its data holds (and
    the model time of the test split), under the caller's runtime settings."""
    for split in (s for s in splits if s in fitted.prep.features):
        start = time.perf_counter()
        fitted.proba[split] = fitted.classifier.predict_proba(fitted.prep.features[split])
        if split == "test":
            fitted.test_seconds = time.perf_counter() - start
