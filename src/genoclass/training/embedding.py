"""Classical models on frozen embeddings: ``train --model logistic_regression --init RUN_DIR``.

A classical model given ``--init`` is fitted on the trunk features of the earlier neural
sequence run (S3's feature extraction): the ``EmbeddingFeaturizer`` encodes sequences the
way that run did, passes them through its frozen trunk and hands the (n, feature_dim)
matrix to the classical model. The run is self-contained: the trunk's model folder is
copied into the run's model folder (``model/trunk/``), model.json's ``input`` block names
it, and the origin (folder + SHA-256 of the weights, as for neural ``--init``) is recorded.
Only classical models that read a dense numeric matrix take embeddings (logistic
regression, SVM, random forest: registry input kind ``expression``); a k-mer model counts
k-mers and cannot.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoclass.config import TrainConfig
from genoclass.data.featurize import SequenceFeaturizer
from genoclass.data.loaders import ArrayFeatures
from genoclass.errors import InputError
from genoclass.models.registry import ModelSpec
from genoclass.training.classifier import Classifier, load_classifier
from genoclass.training.transfer import model_folder

#: the input kind of a classical model fitted on a trunk's features
EMBEDDING = "embedding"
#: the trunk's model folder inside the run's model folder
TRUNK_FOLDER = "trunk"
#: sequences per trunk batch while embedding
BATCH_SIZE = 256


def embedding_spec(config: TrainConfig, spec: ModelSpec) -> ModelSpec:
    """``spec`` itself, or for a classical model given ``--init`` the same model reading
    the embedding input kind; the options that only mean something for a neural model
    (``--transfer finetune``, ``--trunk-lr-scale``, ``--unfreeze-after``) are an InputError."""
    if config.init is None or spec.family != "classical":
        return spec
    if spec.input_kind != "expression":
        raise InputError(
            f"--init with {spec.name!r}: only classical models that read a numeric matrix "
            "(logistic_regression, svm, random_forest) can be fitted on a trunk's features"
        )
    given = {
        "--transfer finetune": config.transfer == "finetune",
        "--trunk-lr-scale": config.trunk_lr_scale is not None,
        "--unfreeze-after": config.unfreeze_after is not None,
    }
    wrong = [flag for flag, set_ in given.items() if set_]
    if wrong:
        raise InputError(
            f"{', '.join(wrong)}: a classical model cannot train a trunk; with --init it is "
            "fitted on the frozen trunk's features (--transfer features, the default here)"
        )
    return dataclasses.replace(spec, input_kind=EMBEDDING)


@dataclass
class EmbeddingFeaturizer:
    """Sequences -> the features of a frozen neural trunk (``trunk``, loaded from its model
    folder ``source``), encoded as the trunk's run encoded them (``sequence``)."""

    trunk: Classifier
    source: Path
    sequence: SequenceFeaturizer
    input_kind: str = EMBEDDING

    @classmethod
    def from_run(cls, run_dir: str | Path) -> EmbeddingFeaturizer:
        """The featurizer of the run (or model folder) ``run_dir``; a model without a trunk
        is an InputError naming the folder."""
        folder = model_folder(Path(run_dir))
        trunk = load_classifier(folder)
        reason = trunk.no_trunk()
        if reason is not None:
            raise InputError(f"--init: {reason}; give a neural sequence run", path=folder)
        sequence = SequenceFeaturizer.from_state(trunk.card.input)
        return cls(trunk, folder, sequence)

    @classmethod
    def from_state(cls, state: dict[str, Any], folder: Path | None) -> EmbeddingFeaturizer:
        """The featurizer saved by ``state()`` in the model folder ``folder`` (its trunk is
        ``folder/trunk``, checked as any model folder)."""
        if folder is None:
            raise InputError("an embedding model needs its model folder (model/trunk)")
        return cls.from_run(folder / TRUNK_FOLDER)

    @property
    def input_length(self) -> int:
        """The trunk's input length."""
        return self.sequence.input_length

    def fit(self, table: pd.DataFrame) -> EmbeddingFeaturizer:
        """Nothing to fit: the trunk is frozen."""
        return self

    def transform(self, table: pd.DataFrame, y: np.ndarray | None) -> ArrayFeatures:
        """The (n, feature_dim) trunk features of the table's sequences."""
        encoded = self.sequence.transform(table, y)
        chunks = list(self.trunk.embeddings(encoded, BATCH_SIZE))
        return ArrayFeatures(np.concatenate(chunks) if chunks else np.zeros((0, 0)), y)

    def state(self) -> dict[str, Any]:
        """JSON-able description stored in model.json (the trunk's encoding with it)."""
        return {
            "featurizer": EMBEDDING,
            "input_kind": EMBEDDING,
            "trunk": TRUNK_FOLDER,
            "trunk_model": self.trunk.card.name,
            "trunk_input": self.sequence.state(),
            "input_length": self.input_length,
        }

    def save(self, folder: Path) -> None:
        """Copy the trunk's model folder into ``folder/trunk`` (the run stays usable when
        the earlier run is moved or deleted)."""
        target = folder / TRUNK_FOLDER
        if target.resolve() == self.source.resolve():
            return  # saving a run loaded from this very folder
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self.source, target, ignore=shutil.ignore_patterns(".*"))
