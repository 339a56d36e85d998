"""Classical expression models: exact agreement with scikit-learn, save/load without pickle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from genoclass.models.classical import ForestClassifier, LinearClassifier
from genoclass.models.serialize import ModelCard, build_model, load_model, save_model


def _data(n_classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(n_classes), 20)
    x = rng.normal(size=(len(y), 8)).astype(np.float32)
    x[:, 2] += 2.0 * y
    return x, y


def test_forest_traversal_matches_scikit_learn() -> None:
    x, y = _data()
    ours = ForestClassifier(3, n_estimators=25, seed=3).fit(x, y)
    theirs = RandomForestClassifier(n_estimators=25, max_features="sqrt", random_state=3).fit(x, y)
    np.testing.assert_allclose(ours.predict_proba(x), theirs.predict_proba(x), atol=1e-12)
    np.testing.assert_allclose(ours.feature_importances, theirs.feature_importances_)
    assert int(np.argmax(ours.feature_importances)) == 2


def test_logistic_regression_matches_scikit_learn_binary_and_multiclass() -> None:
    for n_classes in (2, 3):
        x, y = _data(n_classes)
        ours = LinearClassifier(n_classes, kind="logistic_regression").fit(x, y)
        theirs = LogisticRegression(max_iter=2000, random_state=42).fit(x, y)
        np.testing.assert_allclose(
            ours.predict_proba(x), theirs.predict_proba(x), atol=1e-6
        )  # sklearn: float32


def test_class_absent_from_training_gets_zero_probability() -> None:
    x, y = _data()
    keep = y != 1
    model = LinearClassifier(3, kind="svm").fit(x[keep], y[keep])
    proba = model.predict_proba(x)
    assert proba.shape == (60, 3)
    assert np.all(proba[:, 1] == 0) and np.allclose(proba.sum(axis=1), 1)


def test_save_and_load_reproduce_predictions_without_pickle(tmp_path: Path) -> None:
    x, y = _data()
    for name, hp in (
        (
            "random_forest",
            {
                "n_estimators": 10,
                "max_features": "sqrt",
                "max_depth": None,
                "min_samples_leaf": 1,
                "seed": 1,
            },
        ),
        ("logistic_regression", {"C": 1.0, "max_iter": 2000, "seed": 42}),
        ("svm", {"C": 1.0, "max_iter": 5000, "seed": 42}),
    ):
        card = ModelCard(name=name, hparams=hp, classes=["a", "b", "c"], input_length=8)
        model = build_model(card)
        model.fit(x, y)
        save_model(model, card, tmp_path / name)
        assert not any(p.suffix in (".pkl", ".pickle") for p in (tmp_path / name).iterdir())
        loaded, _ = load_model(tmp_path / name)
        np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))
