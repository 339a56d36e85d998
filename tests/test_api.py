"""The Python interface: the README example, TrainedRun, genoclass.train and the
scikit-learn estimators (cross_val_score, GridSearchCV, Pipeline, estimator checks)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

import genoclass
from genoclass.cli import main
from genoclass.data.loaders import SequenceFeatures
from genoclass.data.store import SequenceStore
from genoclass.data.synthetic import demo_sequences
from genoclass.data.synthetic_expression import planted_marker_expression

README = Path(__file__).resolve().parents[1] / "README.md"
#: a small fast_accurate_cnn (as tests/conftest.py's TINY_CNN, narrower)
TINY = {"embed_dim": 8, "channels": [8, 16], "hidden": 16, "dropout": 0.1}
SEQUENCE_CHECKS_REASON = (
    "inputs are DNA sequences (text), not numeric arrays: the check feeds numbers; the same "
    "behaviour is tested on sequences in tests/test_api.py where it applies"
)


def readme_python_example() -> str:
    """The first Python block of the README's 'Python interface' section."""
    section = README.read_text().split("## Python interface", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_gives_the_probabilities_of_genoclass_predict(
    tiny_demo, tmp_path, monkeypatch
) -> None:
    run_dir, _ = tiny_demo
    (tmp_path / "genoclass_demo").mkdir()
    (tmp_path / "genoclass_demo" / "run").symlink_to(run_dir)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(readme_python_example(), namespace)  # noqa: S102 - the README's own example
    sequences, proba = namespace["sequences"], namespace["proba"]
    assert len(sequences) == 5 and proba.shape == (5, 2)
    csv = tmp_path / "five.csv"
    pd.DataFrame({"id": [f"s{i}" for i in range(5)], "sequence": sequences}).to_csv(csv)
    out = tmp_path / "pred.csv"
    assert main(["predict", "--model", str(run_dir), "--input", str(csv), "--out", str(out)]) == 0
    predicted = pd.read_csv(out)
    columns = [f"prob_{c}" for c in namespace["run"].classes]
    np.testing.assert_allclose(proba, predicted[columns].to_numpy(), atol=1e-6)
    assert list(namespace["run"].predict(sequences)) == predicted["predicted_label"].tolist()


def test_loaded_run_evaluates_like_genoclass_evaluate(tiny_demo, tmp_path) -> None:
    run_dir, data = tiny_demo
    run = genoclass.load(run_dir)
    out = tmp_path / "eval.json"
    argv = ["evaluate", "--model", str(run_dir), "--data", str(data), "--split", "test"]
    assert main([*argv, "--out", str(out)]) == 0
    expected = pd.read_json(out, typ="series")["metrics"]
    ours = run.evaluate(str(data), split="test")
    assert ours["accuracy"] == pytest.approx(expected["accuracy"])
    assert ours["mcc"] == pytest.approx(expected["mcc"])
    table = pd.read_csv(data)
    frame_proba = run.predict_proba(table[["id", "sequence"]])
    assert frame_proba == pytest.approx(run.predict_proba(table["sequence"].tolist()))


def test_a_packed_store_is_predicted_batch_by_batch_as_its_source_file(tiny_demo, tmp_path):
    run_dir, data = tiny_demo
    store = tmp_path / "store"
    assert main(["data", "pack", str(data), "--out", str(store)]) == 0
    run = genoclass.load(run_dir)
    from_store = run.inputs(SequenceStore(store))
    assert not isinstance(from_store.features, SequenceFeatures)  # read from the store
    expected = run.predict_proba(str(data))
    np.testing.assert_allclose(run.predict_proba(SequenceStore(store)), expected, atol=1e-6)
    assert run.evaluate(str(store))["accuracy"] == run.evaluate(str(data))["accuracy"]


def test_a_run_explains_sequences_in_memory(tiny_demo) -> None:
    run = genoclass.load(tiny_demo[0])
    table = pd.read_csv(tiny_demo[1]).head(60)
    seqs, labels = table["sequence"].tolist(), table["label"].tolist()
    explained = run.explain(seqs, labels=labels, methods=["saliency"], max_examples=5)
    n = len(explained.ids)
    assert 0 < n <= 10 and set(explained.target) <= {0, 1}
    assert explained.attributions["saliency"].shape == (n, 4, 60) == explained.onehot.shape
    with pytest.raises(genoclass.errors.InputError, match="need a label"):
        run.explain(seqs)


def test_a_run_refuses_data_it_cannot_read(tiny_demo) -> None:
    run = genoclass.load(tiny_demo[0])
    with pytest.raises(genoclass.errors.InputError, match="cannot read data of type int"):
        run.predict_proba(42)
    with pytest.raises(genoclass.errors.InputError, match="item 2"):
        run.predict_proba(["ACGT", "AC#T"])


def test_train_in_memory_and_to_a_run_directory_agree(tmp_path) -> None:
    data = tmp_path / "d.csv"
    demo_sequences(seed=1, n_per_class=40, length=40).to_csv(data, index=False)
    in_memory = genoclass.train(data, "kmer_lr", seed=3)
    written = genoclass.train(data, "kmer_lr", seed=3, out=tmp_path / "run")
    assert in_memory.directory is None and (tmp_path / "run" / "metrics.json").is_file()
    assert in_memory.metrics["test"]["accuracy"] == written.metrics["test"]["accuracy"]
    reloaded = genoclass.load(tmp_path / "run")
    seqs = pd.read_csv(data)["sequence"].tolist()[:7]
    assert reloaded.predict_proba(seqs) == pytest.approx(in_memory.predict_proba(seqs))
    with pytest.raises(genoclass.errors.InputError, match="unknown setting"):
        genoclass.train(data, "kmer_lr", epoch=3)


def planted(n_per_class: int = 60, seed: int = 0) -> tuple[list[str], np.ndarray]:
    table = demo_sequences(seed=seed, n_per_class=n_per_class, length=60)
    return table["sequence"].tolist(), table["label"].to_numpy()


def test_cross_val_score_of_kmer_nb_learns_the_planted_motif() -> None:
    seqs, y = planted()
    scores = cross_val_score(genoclass.SequenceClassifier(model="kmer_nb"), seqs, y, cv=5)
    assert len(scores) == 5 and scores.mean() > 0.7  # chance is 0.5


def test_grid_search_over_a_neural_models_learning_rate() -> None:
    seqs, y = planted(40)
    base = genoclass.SequenceClassifier(model="fast_accurate_cnn", params=TINY, epochs=1)
    search = GridSearchCV(base, {"lr": [1e-3, 1e-2]}, cv=2).fit(seqs, y)
    assert search.best_params_["lr"] in (1e-3, 1e-2)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert search.best_estimator_.run_.config.lr == search.best_params_["lr"]
    proba = search.predict_proba(seqs[:4])
    assert proba.shape == (4, 2) and np.allclose(proba.sum(1), 1)
    assert set(search.predict(seqs)) <= {"background", "motif"}


def test_estimator_behaviour_on_sequences() -> None:
    """What scikit-learn's numeric checks test, on sequences: fit returns self, cloning
    keeps parameters, refitting repeats, rows are predicted independently of their order,
    labels keep their type and order."""
    seqs, y = planted(30)
    labels = np.where(y == "motif", 7, -2)
    estimator = genoclass.SequenceClassifier(model="kmer_lr", params={"k": 4})
    assert estimator.fit(seqs, labels) is estimator
    assert list(estimator.classes_) == [-2, 7]
    proba = estimator.predict_proba(seqs)
    again = clone(estimator).fit(seqs, labels)
    assert clone(estimator).get_params() == estimator.get_params()
    np.testing.assert_allclose(again.predict_proba(seqs), proba)
    order = np.random.default_rng(0).permutation(len(seqs))
    np.testing.assert_allclose(estimator.predict_proba([seqs[i] for i in order]), proba[order])
    assert set(estimator.predict(seqs)) <= {-2, 7}
    assert estimator.score(seqs, labels) > 0.5
    with pytest.raises(ValueError, match="item 1"):
        estimator.predict_proba(["AC!GT"])
    with pytest.raises(ValueError, match="1 class"):
        clone(estimator).fit(seqs, np.zeros(len(seqs)))


def test_expression_classifier_in_a_pipeline_finds_the_planted_classes() -> None:
    matrix, labels, _ = planted_marker_expression(12, 40, 4, seed=0)
    log = FunctionTransformer(np.log1p, feature_names_out="one-to-one")
    pipeline = make_pipeline(log, genoclass.ExpressionClassifier(preprocess="standardize"))
    scores = cross_val_score(pipeline, matrix, labels, cv=3)
    assert scores.mean() > 0.9
    fitted = genoclass.ExpressionClassifier().fit(matrix, labels)
    assert list(fitted.feature_names_in_) == list(matrix.columns)
    assert fitted.predict(matrix.iloc[:3]).tolist() == labels.iloc[:3].tolist()


def expected_failures(estimator) -> dict[str, str]:
    """scikit-learn checks that do not apply (docs/design.md lists them with the reason)."""
    if isinstance(estimator, genoclass.SequenceClassifier):
        return {name: SEQUENCE_CHECKS_REASON for name in SEQUENCE_ONLY_NUMERIC_CHECKS}
    return {}


#: checks that feed numeric arrays, which a sequence model cannot read
SEQUENCE_ONLY_NUMERIC_CHECKS = (
    "check_classifier_data_not_an_array", "check_classifiers_classes",
    "check_classifiers_one_label", "check_classifiers_regression_target",
    "check_classifiers_train", "check_dict_unchanged", "check_dont_overwrite_parameters",
    "check_dtype_object", "check_estimator_sparse_array", "check_estimator_sparse_matrix",
    "check_estimator_sparse_tag", "check_estimators_dtypes",
    "check_estimators_empty_data_messages", "check_estimators_fit_returns_self",
    "check_estimators_nan_inf", "check_estimators_overwrite_params", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_fit2d_1feature", "check_fit2d_1sample",
    "check_fit2d_predict1d", "check_fit_check_is_fitted", "check_fit_idempotent",
    "check_fit_score_takes_y", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_n_features_in", "check_n_features_in_after_fitting",
    "check_pipeline_consistency", "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input", "check_supervised_y_2d",
)  # fmt: skip


@parametrize_with_checks(
    [
        genoclass.SequenceClassifier(model="kmer_nb"),
        genoclass.ExpressionClassifier(model="logistic_regression", preprocess="none"),
    ],
    expected_failed_checks=expected_failures,
)
def test_scikit_learn_estimator_checks(estimator, check) -> None:
    check(estimator)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_streams_a_store_in_chunks_equal_to_its_source_file(
    tiny_demo, tmp_path, monkeypatch, suffix
):
    from genoclass.workflows import apply

    run, data = tiny_demo
    store = tmp_path / "store"
    assert main(["data", "pack", str(data), "--out", str(store)]) == 0
    whole = tmp_path / f"whole{suffix}"
    assert main(["predict", "--model", str(run), "--data", str(data), "--out", str(whole)]) == 0
    chunks = []
    original = apply.predict_chunks

    def recorded(*args, **kwargs):
        for frame in original(*args, **kwargs):
            chunks.append(len(frame))
            yield frame

    monkeypatch.setattr(apply, "PREDICT_CHUNK_ROWS", 300)
    monkeypatch.setattr(apply, "predict_chunks", recorded)
    streamed = tmp_path / f"streamed{suffix}"
    assert main(["predict", "--model", str(run), "--data", str(store), "--out", str(streamed)]) == 0
    assert chunks == [300, 300, 200]
    read = pd.read_parquet if suffix == ".parquet" else pd.read_csv
    expected, got = read(whole), read(streamed)
    assert got["id"].tolist() == expected["id"].tolist()
    assert got["true_label"].tolist() == expected["true_label"].tolist()
    assert (got["predicted_label"] == expected["predicted_label"]).mean() > 0.99
    prob = [c for c in expected if c.startswith("prob_")]
    np.testing.assert_allclose(got[prob].to_numpy(), expected[prob].to_numpy(), atol=1e-5)
