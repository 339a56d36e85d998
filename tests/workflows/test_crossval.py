"""Cross-validation (train --cv) and CLI end-to-end runs on planted-marker expression data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genoclass.cli import main
from genoclass.config import load_config
from genoclass.data.synthetic_expression import planted_marker_expression
from genoclass.errors import InputError
from genoclass.workflows.crossval import compare_crossvals, fold_assignments, run_crossval


@pytest.fixture(scope="module")
def expr_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A planted-marker count matrix (samples x genes) and a separate labels table."""
    folder = tmp_path_factory.mktemp("expr")
    matrix, labels, _ = planted_marker_expression(15, 120, 4, ["A", "B", "C"], seed=1)
    matrix.to_csv(folder / "matrix.csv")
    labels.reset_index().to_csv(folder / "labels.csv", index=False)
    return folder / "matrix.csv", folder / "labels.csv"


def test_planted_markers_are_over_expressed() -> None:
    matrix, labels, markers = planted_marker_expression(10, 50, 3, ["A", "B"], seed=0)
    assert matrix.shape == (20, 50) and sorted(labels.value_counts()) == [10, 10]
    for cls, genes in markers.items():
        inside = matrix.loc[labels == cls, genes].mean().mean()
        outside = matrix.loc[labels != cls, genes].mean().mean()
        assert inside > 4 * outside


def test_folds_are_stratified_and_cover_every_row() -> None:
    labels = np.array(["a"] * 10 + ["b"] * 5)
    folds = fold_assignments(labels, 5, seed=0)
    for fold in range(5):
        assert sorted(labels[folds == fold]) == ["a", "a", "b"]


def test_crossval_logistic_regression_and_comparison(expr_files, tmp_path: Path) -> None:
    matrix, labels = expr_files
    dirs = {}
    for model, seeds, k in (("logistic_regression", 2, 2), ("svm", 1, 2)):
        config = load_config(
            None,
            {
                "data": str(matrix),
                "labels": str(labels),
                "model": model,
                "cv": k,
                "cv_seeds": seeds,
                "val_size": 0.2,
                "out": str(tmp_path / model),
            },
        )
        dirs[model] = run_crossval(config)
    cv = json.loads((dirs["logistic_regression"] / "cv.json").read_text())
    assert cv["protocol"]["seeds"] == [42, 43] and len(cv["folds"]) == 4
    assert cv["summary"]["accuracy"]["mean"] > 0.9
    assert sum(f["n_test"] for f in cv["folds"]) == 2 * 45
    frame = compare_crossvals(dirs)
    assert set(frame.columns) >= {"accuracy_mean", "accuracy_sd", "integrated_f1_relative"}
    assert pd.read_csv(dirs["svm"] / "cv.csv").shape[0] == 2
    # re-running resumes: finished folds are kept, the summary is rebuilt
    with pytest.raises(InputError, match="cross-validation directory is complete"):
        run_crossval(config)


def test_cli_train_predict_and_bad_inputs(expr_files, tmp_path: Path, capsys) -> None:
    matrix, labels = expr_files
    run = tmp_path / "run"
    args = [
        "train",
        "--data",
        str(matrix),
        "--labels",
        str(labels),
        "--model",
        "expr_cnn",
        "--param",
        "filters=4",
        "--param",
        "dense_units=8",
        "--epochs",
        "3",
        "--preprocess",
        "s4",
        "--test-size",
        "0.3",
        "--val-size",
        "0.2",
        "--out",
        str(run),
    ]
    assert main(args) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    steps = [s["step"] for s in metrics["data"]["preprocessing_steps"]]
    assert steps == ["cpm", "log2", "drop_unexpressed", "clip", "pad:100"]
    assert metrics["data"]["features_out"] == 200
    assert "drop_unexpressed" in (run / "report.html").read_text()
    out = tmp_path / "pred.csv"
    assert main(["predict", "--model", str(run), "--input", str(matrix), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 45
    # labels table missing three sample ids -> exit 2 naming them
    short = pd.read_csv(labels).iloc[3:]
    short.to_csv(tmp_path / "short.csv", index=False)
    missing = pd.read_csv(labels)["sample_id"].iloc[:3].tolist()
    bad = [
        "train",
        "--data",
        str(matrix),
        "--labels",
        str(tmp_path / "short.csv"),
        "--model",
        "logistic_regression",
        "--out",
        str(tmp_path / "bad"),
    ]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert "3 sample id(s) of the matrix are missing" in err and all(m in err for m in missing)
    # a NaN cell -> exit 2 naming sample and gene
    frame = pd.read_csv(matrix, index_col=0)
    frame.iloc[4, 7] = np.nan
    frame.to_csv(tmp_path / "nan.csv")
    bad[2] = str(tmp_path / "nan.csv")
    bad[4] = str(labels)
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert f"sample '{frame.index[4]}' gene '{frame.columns[7]}'" in err
    # genes x samples without --orientation and without a labels table -> says what to pass
    frame.iloc[4, 7] = 1.0
    frame.T.to_csv(tmp_path / "t.csv")
    assert (
        main(
            [
                "train",
                "--data",
                str(tmp_path / "t.csv"),
                "--model",
                "svm",
                "--out",
                str(tmp_path / "t"),
            ]
        )
        == 2
    )
    assert "--orientation genes" in capsys.readouterr().err


def test_expr_cnn_with_imputation_and_its_default_named_pipeline(expr_files, tmp_path) -> None:
    """The default pipeline (auto: by scale, here counts, for a neural model) combines with
    --missing impute-median."""
    matrix, labels = expr_files
    gappy = pd.read_csv(matrix, index_col=0)
    gappy.iloc[2, 5] = gappy.iloc[9, 1] = np.nan
    gappy.to_csv(tmp_path / "gappy.csv")
    argv = ["train", "--data", str(tmp_path / "gappy.csv"), "--labels", str(labels)]
    argv += ["--model", "expr_cnn", "--missing", "impute-median", "--epochs", "1"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    steps = [s["step"] for s in metrics["data"]["preprocessing_steps"]]
    assert steps == [
        "impute_median",
        "cpm",
        "log2p1",
        "drop_unexpressed",
        "anova:2000",
        "standardize",
    ]
