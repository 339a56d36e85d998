"""One seam for every model: a ``Classifier`` fits, predicts, counts and saves itself.

Neural and classical models differ in how they are trained and stored; the rest of
genoclass asks that question nowhere else. A classifier is made from a ``ModelCard``
(``new_classifier``) or a saved model folder (``load_classifier``); the family of the
registered model picks the class (``FAMILIES``, one entry per family).

Neural classifiers also offer what transfer learning needs (trunk + head, docs/design.md):
``load_trunk`` copies every weight outside the ``head`` from another model,
``freeze_trunk`` stops the trunk from training, and ``FitSettings.trunk_lr_scale`` gives
the trunk its own learning rate.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from genoclass.data.loaders import FeatureSet
from genoclass.errors import InputError
from genoclass.models.registry import get_spec
from genoclass.models.serialize import ModelCard, build_model, load_model, save_model
from genoclass.training.fit import fit_model, predict_proba, trunk_features
from genoclass.training.recipes import FitSettings
from genoclass.training.transfer import (
    Transfer,
    base_model,
    has_trunk,
    load_trunk,
    set_trunk_frozen,
    trunk_state,
)


@dataclass
class FitReport:
    """What fitting did: per-epoch history, epochs run, best epoch and why the fit stopped
    (neural models only, ``training.fit.FitResult``; None for models fitted in one step) and
    the wall time in seconds."""

    history: pd.DataFrame | None
    epochs_run: int | None
    best_epoch: int | None
    train_seconds: float
    stop_reason: str | None = None


class Classifier(ABC):
    """A model with its card: ``fit``, ``predict_proba``, ``n_parameters``, ``save``."""

    family: ClassVar[str]
    #: set when the model starts from an earlier run (``--init``): trunk rate, freezing and
    #: the origin of the initial weights (a classical model on embeddings: the origin only)
    transfer: Transfer | None = None

    def __init__(self, model: Any, card: ModelCard) -> None:
        self.model = model
        self.card = card

    @property
    def classes(self) -> list[str]:
        """Class names, in the order of the probability columns."""
        return self.card.classes

    @abstractmethod
    def fit(
        self,
        train: FeatureSet,
        val: FeatureSet | None,
        settings: FitSettings,
        *,
        class_weights: np.ndarray | None = None,
        checkpoint_dir: Path | None = None,
        resume: bool = False,
        identity: dict[str, Any] | None = None,
    ) -> FitReport:
        """Fit on ``train`` (``val`` picks the best epoch where the model has epochs);
        ``checkpoint_dir``, ``resume`` and ``identity`` serve interrupted neural runs."""

    @abstractmethod
    def predict_proba(self, features: FeatureSet) -> np.ndarray:
        """(n, C) class probabilities of every row of ``features``, in order."""

    @abstractmethod
    def n_parameters(self) -> int:
        """Trainable parameters (neural) or stored numbers (classical)."""

    def save(self, directory: Path) -> None:
        """Write the model folder (weights.safetensors + model.json)."""
        save_model(self.model, self.card, directory)

    def no_trunk(self) -> str | None:
        """Why this model has no trunk to compute features with, or None when it has one."""
        return f"model {self.card.name!r} is a classical model (it has no learnt trunk)"

    def embeddings(self, features: FeatureSet, batch_size: int = 256) -> Iterator[np.ndarray]:
        """The (B, dim) float32 trunk features of every row of ``features``, in order, one
        batch at a time; an InputError (``no_trunk``) for a model without a trunk."""
        raise InputError(f"no sequence embeddings: {self.no_trunk()}")


class NeuralClassifier(Classifier):
    """A registered ``nn.Module`` trained by the Lightning loop (``training.fit``)."""

    family = "neural"

    def fit(
        self,
        train: FeatureSet,
        val: FeatureSet | None,
        settings: FitSettings,
        *,
        class_weights: np.ndarray | None = None,
        checkpoint_dir: Path | None = None,
        resume: bool = False,
        identity: dict[str, Any] | None = None,
    ) -> FitReport:
        result = fit_model(
            self.model,
            train,
            val,
            self.card.n_classes,
            settings,
            class_weights=class_weights,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            identity=identity,
            transfer=self.transfer,
        )
        return FitReport(
            result.history,
            result.epochs_run,
            result.best_epoch,
            result.train_seconds,
            result.stop_reason,
        )

    def predict_proba(self, features: FeatureSet) -> np.ndarray:
        return predict_proba(self.model, features)

    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.model.parameters() if p.requires_grad))

    def no_trunk(self) -> str | None:
        spec = get_spec(self.card.name)
        if has_trunk(spec):
            return None
        return f"model {self.card.name!r} takes {spec.input_kind} input (not a sequence trunk)"

    def embeddings(self, features: FeatureSet, batch_size: int = 256) -> Iterator[np.ndarray]:
        if self.no_trunk() is not None:
            return super().embeddings(features, batch_size)
        return trunk_features(self.model, features, batch_size)

    @property
    def feature_dim(self) -> int:
        """Width of the trunk's pooled features."""
        return int(base_model(self.model).feature_dim)

    def trunk_state(self) -> dict[str, torch.Tensor]:
        """Every weight outside the head (``training.transfer.trunk_state``)."""
        return trunk_state(self.model)

    def load_trunk(self, state: Mapping[str, torch.Tensor], *, source: str | Path) -> None:
        """Copy another model's trunk weights into this one (``training.transfer.load_trunk``:
        a tensor that does not fit is an input error naming ``source``)."""
        load_trunk(self.model, state, source=source)

    def freeze_trunk(self, frozen: bool = True) -> None:
        """Stop (or, with ``frozen=False``, restart) training every parameter outside the head
        (``training.transfer.set_trunk_frozen``)."""
        set_trunk_frozen(self.model, frozen)


class ClassicalClassifier(Classifier):
    """A registered classical model (``fit(X, y, sample_weight)``, ``predict_proba(X)``,
    ``get_state``/``set_state``) that reads the feature matrix ``features.x``."""

    family = "classical"

    def fit(
        self,
        train: FeatureSet,
        val: FeatureSet | None,
        settings: FitSettings,
        *,
        class_weights: np.ndarray | None = None,
        checkpoint_dir: Path | None = None,
        resume: bool = False,
        identity: dict[str, Any] | None = None,
    ) -> FitReport:
        start = time.perf_counter()
        sample_weight = None if class_weights is None else class_weights[train.y]
        self.model.fit(train.x, train.y, sample_weight=sample_weight)
        return FitReport(None, None, None, time.perf_counter() - start)

    def predict_proba(self, features: FeatureSet) -> np.ndarray:
        return self.model.predict_proba(features.x)

    def n_parameters(self) -> int:
        arrays, _ = self.model.get_state()
        return int(sum(np.asarray(a).size for a in arrays.values()))


#: model family -> its Classifier class
FAMILIES: dict[str, type[Classifier]] = {
    c.family: c for c in (NeuralClassifier, ClassicalClassifier)
}


def wrap(model: Any, card: ModelCard) -> Classifier:
    """``model`` (built or loaded for ``card``) behind the Classifier seam of its family."""
    return FAMILIES[get_spec(card.name).family](model, card)


def new_classifier(card: ModelCard) -> Classifier:
    """A fresh, untrained classifier for ``card`` (built as ``models.serialize.build_model``)."""
    return wrap(build_model(card), card)


def load_classifier(directory: str | Path) -> Classifier:
    """The classifier saved in the model folder ``directory`` (checked as
    ``models.serialize.load_model``), in evaluation mode."""
    model, card = load_model(Path(directory))
    return wrap(model, card)
