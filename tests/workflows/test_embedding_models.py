"""`train --model logistic_regression --init RUN_DIR`: a classical model fitted on the frozen
trunk features of a neural sequence run, saved as a self-contained run that predicts raw
sequences."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import genoclass
from genoclass.cli import main
from genoclass.data.loaders import ArrayFeatures
from genoclass.io.textfile import file_sha256


@pytest.fixture(scope="module")
def trunk_and_lr(tiny_demo, tmp_path_factory) -> tuple[Path, Path, Path]:
    """A copy of the tiny demo CNN run, a logistic regression fitted on its embeddings
    (``--init`` the copy), and the data; returns (cnn run, lr run, data)."""
    folder = tmp_path_factory.mktemp("embedding_lr")
    cnn = folder / "cnn"
    shutil.copytree(tiny_demo[0], cnn)
    data = tiny_demo[1]
    argv = ["train", "--data", str(data), "--model", "logistic_regression", "--init", str(cnn)]
    assert main([*argv, "--seed", "0", "--out", str(folder / "lr")]) == 0  # the CNN's split
    return cnn, folder / "lr", data


def test_a_logistic_regression_on_embeddings_recovers_the_planted_classes(trunk_and_lr) -> None:
    cnn, lr, _ = trunk_and_lr
    # the trunk never saw the test rows: both runs split the data alike
    splits = [pd.read_parquet(run / "splits.parquet").sort_values("id") for run in (cnn, lr)]
    assert splits[0]["split"].tolist() == splits[1]["split"].tolist()
    metrics = json.loads((lr / "metrics.json").read_text())
    assert metrics["model"] == "logistic_regression"
    assert metrics["test"]["accuracy"] > 0.9
    weights = cnn / "model" / "weights.safetensors"
    assert metrics["init"]["path"] == str((cnn / "model").resolve())
    assert metrics["init"]["weights_sha256"] == file_sha256(weights)
    assert metrics["init"]["transfer"] == "features"
    card = json.loads((lr / "model" / "model.json").read_text())
    assert card["input"]["input_kind"] == "embedding"
    assert card["extra"]["init"]["weights_sha256"] == file_sha256(weights)
    assert file_sha256(lr / "model" / "trunk" / "weights.safetensors") == file_sha256(weights)


def test_the_saved_run_predicts_raw_sequences_like_the_model_in_memory(trunk_and_lr, tmp_path):
    cnn, lr, data = trunk_and_lr
    in_memory = genoclass.train(data, "logistic_regression", init=str(cnn), seed=0)
    out = tmp_path / "pred.csv"
    assert main(["predict", "--model", str(lr), "--data", str(data), "--out", str(out)]) == 0
    predicted = pd.read_csv(out)
    classes = in_memory.classes
    saved = predicted[[f"prob_{c}" for c in classes]].to_numpy()
    sequences = pd.read_csv(data)["sequence"].tolist()
    np.testing.assert_allclose(saved, in_memory.predict_proba(sequences), atol=1e-6)
    # the same as the classical model applied by hand to the trunk's embeddings
    run = genoclass.load(lr)
    by_hand = run.classifier.predict_proba(ArrayFeatures(genoclass.embed(cnn, sequences), None))
    np.testing.assert_allclose(saved, by_hand, atol=1e-6)


def test_the_run_is_self_contained(trunk_and_lr, tmp_path) -> None:
    cnn, lr, data = trunk_and_lr
    moved = tmp_path / "lr"
    shutil.copytree(lr, moved)
    hidden = tmp_path / "cnn_gone"
    cnn.rename(hidden)  # the earlier run is gone
    try:
        sequences = pd.read_csv(data)["sequence"].head(20).tolist()
        np.testing.assert_allclose(
            genoclass.load(moved).predict_proba(sequences),
            genoclass.load(lr).predict_proba(sequences),
        )
    finally:
        hidden.rename(cnn)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model", "kmer_nb"], "only classical models that read a numeric matrix"),
        (["--model", "svm", "--transfer", "finetune"], "a classical model cannot train a trunk"),
        (["--model", "svm", "--unfreeze-after", "2"], "--unfreeze-after: a classical model"),
    ],
    ids=["kmer-model", "finetune", "unfreeze"],
)
def test_options_a_classical_model_cannot_use_are_refused(
    trunk_and_lr, tmp_path, capsys, extra, message
) -> None:
    cnn, _, data = trunk_and_lr
    argv = ["train", "--data", str(data), "--init", str(cnn), *extra]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_run_without_a_trunk_cannot_give_embeddings(trunk_and_lr, tmp_path, capsys) -> None:
    _, lr, data = trunk_and_lr
    argv = ["train", "--data", str(data), "--model", "logistic_regression", "--init", str(lr)]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "'logistic_regression' is a classical model (it has no learnt trunk)" in err
    assert not (tmp_path / "run").exists()
