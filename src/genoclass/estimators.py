"""scikit-learn estimators around genoclass models: ``SequenceClassifier`` (a list or array
of DNA sequences) and ``ExpressionClassifier`` (a samples x genes matrix or DataFrame).

Both are ordinary scikit-learn classifiers: ``fit(X, y)``, ``predict``, ``predict_proba``,
``score``, ``classes_``, ``get_params`` / ``set_params``, cloneable, usable in ``Pipeline``,
``GridSearchCV`` and ``cross_val_score``. Their parameters are the registered model's name,
its hyperparameters (``params``) and training settings named as in ``TrainConfig`` (None:
genoclass's default). Bad input raises ``ValueError`` (scikit-learn's convention) carrying
genoclass's one-line message.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from genoclass.api import fit_in_memory
from genoclass.config import TrainConfig, default_of
from genoclass.errors import InputError
from genoclass.io.sequences import sequence_table
from genoclass.models import get_spec

#: estimator parameters that are not TrainConfig settings
OWN_PARAMS = ("params", "progress")


@contextmanager
def _as_value_error() -> Iterator[None]:
    """Re-raise genoclass's input errors as ValueError, as scikit-learn callers expect."""
    try:
        yield
    except InputError as exc:
        raise ValueError(str(exc)) from exc


class _GenoclassClassifier(ClassifierMixin, BaseEstimator):
    """What both estimators share: settings -> TrainConfig, label coding, fit and predict."""

    def _config(self) -> TrainConfig:
        """The training config of the current parameters (unset ones: TrainConfig's
        defaults; validation hold-out 0.1 for neural models, none for classical ones)."""
        names = [n for n in inspect.signature(type(self).__init__).parameters if n != "self"]
        settings = {n: getattr(self, n) for n in names if n not in OWN_PARAMS}
        settings = {k: v for k, v in settings.items() if v is not None}
        if "val_size" not in settings and get_spec(self.model).family == "classical":
            settings["val_size"] = 0.0
        return TrainConfig(model_params=dict(self.params or {}), **settings)

    def _table(self, X: Any, labels: list[str] | None = None) -> pd.DataFrame:
        raise NotImplementedError

    def _checked(self, X: Any, y: Any = None, *, fitting: bool = False) -> tuple[Any, Any]:
        """``X`` (and ``y``) checked and converted the way the estimator reads them."""
        raise NotImplementedError

    def fit(self, X: Any, y: Any) -> _GenoclassClassifier:
        """Train on samples ``X`` with class labels ``y`` (any hashable values)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        X, y = self._checked(X, y, fitting=True)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"need at least two classes, y has 1 class: {classes.tolist()}")
        width = len(str(len(classes) - 1))  # zero-padded codes sort like the classes
        with _as_value_error():
            table = self._table(X, [f"{c:0{width}d}" for c in codes])
            if len(table) != len(y):
                raise ValueError(f"X has {len(table)} samples but y has {len(y)}")
            self.run_ = fit_in_memory(table, self._config())
        self.classes_ = classes
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n, n_classes) class probabilities, columns in ``classes_`` order."""
        check_is_fitted(self, "run_")
        X, _ = self._checked(X)
        with _as_value_error():
            features = self.run_.featurizer.transform(self._table(X), None)
            return self.run_.classifier.predict_proba(features)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of every sample."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]


class SequenceClassifier(_GenoclassClassifier):
    """A registered sequence model (``genoclass models``: tokens, one-hot or k-mer input)
    trained on a list or 1-D array of DNA sequences (text, cleaned as in files)."""

    def __init__(
        self,
        model: str = default_of("model"),
        params: dict[str, Any] | None = None,
        *,
        epochs: int | None = None,
        batch_size: int | None = None,
        lr: float | None = None,
        recipe: str | None = None,
        patience: int | None = None,
        weight_decay: float | None = None,
        label_smoothing: float | None = None,
        warmup: float | None = None,
        ema: float | None = None,
        class_weights: bool | None = None,
        max_len: int | None = None,
        crop: str | None = None,
        val_size: float | None = None,
        seed: int | None = None,
        progress: bool = False,
    ) -> None:
        self.model = model
        self.params = params
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.recipe = recipe
        self.patience = patience
        self.weight_decay = weight_decay
        self.label_smoothing = label_smoothing
        self.warmup = warmup
        self.ema = ema
        self.class_weights = class_weights
        self.max_len = max_len
        self.crop = crop
        self.val_size = val_size
        self.seed = seed
        self.progress = progress

    def _checked(self, X: Any, y: Any = None, *, fitting: bool = False) -> tuple[Any, Any]:
        seqs = np.asarray(X, dtype=object)
        if seqs.ndim == 2 and seqs.shape[1] == 1:  # one text column (e.g. from a Pipeline)
            seqs = seqs[:, 0]
        if seqs.ndim != 1:
            raise ValueError(f"X must be a list of sequences (text), got shape {seqs.shape}")
        return seqs, None if y is None else column_or_1d(y, warn=True)

    def _table(self, X: Any, labels: list[str] | None = None) -> pd.DataFrame:
        return sequence_table(list(X), labels)


class ExpressionClassifier(_GenoclassClassifier):
    """A registered expression model (``logistic_regression``, ``svm``, ``random_forest``,
    ``expr_mlp``, ``expr_cnn``) trained on a samples x genes matrix; a DataFrame's columns
    name the genes (new data must carry them), an array's genes are its column order."""

    def __init__(
        self,
        model: str = "logistic_regression",
        params: dict[str, Any] | None = None,
        *,
        preprocess: str | None = None,
        missing: str | None = None,
        epochs: int | None = None,
        batch_size: int | None = None,
        lr: float | None = None,
        recipe: str | None = None,
        patience: int | None = None,
        weight_decay: float | None = None,
        class_weights: bool | None = None,
        val_size: float | None = None,
        seed: int | None = None,
        progress: bool = False,
    ) -> None:
        self.model = model
        self.params = params
        self.preprocess = preprocess
        self.missing = missing
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.recipe = recipe
        self.patience = patience
        self.weight_decay = weight_decay
        self.class_weights = class_weights
        self.val_size = val_size
        self.seed = seed
        self.progress = progress

    def _checked(self, X: Any, y: Any = None, *, fitting: bool = False) -> tuple[Any, Any]:
        nan = "allow-nan" if self.missing == "impute-median" else True
        if y is None:
            return validate_data(self, X, reset=fitting, ensure_all_finite=nan), None
        return validate_data(self, X, y, reset=fitting, ensure_all_finite=nan)

    def _table(self, X: Any, labels: list[str] | None = None) -> pd.DataFrame:
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"gene{j}" for j in range(X.shape[1])]
        genes = pd.DataFrame(np.asarray(X, dtype=np.float32), columns=[str(g) for g in names])
        n = len(genes)
        meta = pd.DataFrame(
            {
                "id": [f"sample{i}" for i in range(1, n + 1)],
                "label": labels if labels is not None else [None] * n,
                "split": [None] * n,
                "source_row": range(1, n + 1),
            }
        )
        return pd.concat([meta, genes], axis=1)
