"""Expression data through every command: one set of data options, explain with a separate
labels table, ``data summary`` on a matrix, the scale-chosen pipeline and its refusals."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genoclass.cli import build_parser, main
from genoclass.data.synthetic_expression import planted_marker_expression
from genoclass.errors import InputWarning

#: every command that reads data, as its argv prefix; each takes the same data options
DATA_COMMANDS = [
    ["train"],
    ["compare"],
    ["tune"],
    ["evaluate"],
    ["predict"],
    ["explain"],
    ["data", "summary"],
    ["data", "qc"],
]
DATA_OPTIONS = [
    "--format",
    "--sequence-col",
    "--label-col",
    "--labels",
    "--orientation",
    "--missing",
]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, list[str]]]:
    """A count matrix (60 samples x 150 genes, 5 planted markers per class) and its labels
    in a separate table."""
    folder = tmp_path_factory.mktemp("planted")
    matrix, labels, markers = planted_marker_expression(20, 150, 5, ["A", "B", "C"], seed=3)
    matrix.to_csv(folder / "matrix.csv")
    labels.reset_index().to_csv(folder / "labels.csv", index=False)
    return folder / "matrix.csv", folder / "labels.csv", markers


def _option_strings(argv: list[str]) -> set[str]:
    parser = build_parser()
    for name in argv:
        parser = next(
            a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"
        ).choices[name]
    return {s for a in parser._actions for s in a.option_strings}


@pytest.mark.parametrize("command", DATA_COMMANDS, ids=" ".join)
def test_every_data_command_takes_the_same_data_options(command: list[str]) -> None:
    assert set(DATA_OPTIONS) <= _option_strings(command)


def test_explain_expression_model_trained_with_labels_file(planted, tmp_path, capsys) -> None:
    matrix, labels, markers = planted
    run, out = tmp_path / "run", tmp_path / "explain"
    data = ["--data", str(matrix), "--labels", str(labels)]
    assert main(["train", *data, "--model", "logistic_regression", "--out", str(run)]) == 0
    printed = capsys.readouterr().out
    assert "preprocessing choice: auto: counts scale -> log2cpm" in printed
    argv = ["explain", "--model", str(run), *data, "--top-genes", "5", "--out", str(out)]
    assert main(argv) == 0
    table = pd.read_csv(out / "biomarkers.csv")
    for cls, genes in markers.items():
        top = table.loc[table["class"] == cls, "gene"]
        assert len(top) == 5 and top.isin(genes).sum() >= 4, (cls, top.tolist(), genes)
    # without the labels table the model's data cannot be labelled: says what to pass
    assert main(["explain", "--model", str(run), "--data", str(matrix), "--out", str(out)]) == 2
    assert "pass --labels FILE" in capsys.readouterr().err


def test_auto_preprocessing_recorded_in_metrics_and_report(planted, tmp_path) -> None:
    matrix, labels, _ = planted
    run = tmp_path / "run"
    argv = ["train", "--data", str(matrix), "--labels", str(labels), "--model", "expr_mlp"]
    # 60 samples: 43 training rows in one batch of 64 -> a warning naming a batch size
    few = r"43 training rows in batches of 64 give 1 optimiser step\(s\) per epoch \(2 in all\)"
    with pytest.warns(InputWarning, match=few + r".*: pass --batch-size 14 or less"):
        assert main([*argv, "--epochs", "2", "--out", str(run)]) == 0
    with warnings.catch_warnings(record=True) as caught:
        assert main([*argv, "--batch-size", "14", "--out", str(tmp_path / "b14")]) == 0
    assert not [w for w in caught if "optimiser step" in str(w.message)]
    data = json.loads((run / "metrics.json").read_text())["data"]
    assert data["scale"].startswith("counts: values 0 to")
    assert data["preprocessing_choice"].startswith("auto: counts scale -> log2cpm, then (neural")
    steps = [s["step"] for s in data["preprocessing_steps"]]
    assert steps == ["cpm", "log2p1", "drop_unexpressed", "anova:2000", "standardize"]
    page = (run / "report.html").read_text()
    assert "Scale and preprocessing" in page and "counts scale -&gt; log2cpm" in page


def test_cpm_on_negative_values_is_refused_in_one_line(planted, tmp_path, capsys) -> None:
    matrix, labels, _ = planted
    frame = pd.read_csv(matrix, index_col=0)
    ratios = np.log2(frame + 1) - np.log2(frame + 1).mean()
    ratios.to_csv(tmp_path / "ratios.csv")
    first = np.argwhere(ratios.to_numpy() < 0)[0]
    argv = ["train", "--data", str(tmp_path / "ratios.csv"), "--labels", str(labels)]
    argv += ["--model", "logistic_regression", "--preprocess", "log2cpm"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path / "ratios.csv") in err
    assert f"sample '{ratios.index[first[0]]}', gene '{ratios.columns[first[1]]}'" in err
    assert main([*argv[:-2], "--out", str(tmp_path / "auto")]) == 0  # auto: no CPM
    data = json.loads((tmp_path / "auto" / "metrics.json").read_text())["data"]
    assert data["preprocessing_choice"] == "auto: ratios scale -> none"


def test_data_summary_of_an_expression_matrix(planted, tmp_path, capsys) -> None:
    matrix, labels, _ = planted
    frame = pd.read_csv(matrix, index_col=0)
    frame.iloc[7] = frame.iloc[3] * 2  # same profile at twice the depth: near-identical
    frame.iloc[5, 9] = np.nan
    frame.to_csv(tmp_path / "m.csv")
    assert main(["data", "summary", str(tmp_path / "m.csv"), "--labels", str(labels)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) < 40
    text = "\n".join(lines)
    assert "Samples: 60   genes: 150" in text
    assert "Scale: counts: values 0 to" in text
    assert "Missing cells: 1 (in 1 samples and 1 genes)" in text
    assert f"1 pairs, 2 samples\n  {frame.index[3]} ~ {frame.index[7]}" in text
    assert "Classes: 3 (largest / smallest: 1.0)" in text
    argv = ["data", "summary", str(tmp_path / "m.csv"), "--labels", str(labels), "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["classes"] == {"A": 20, "B": 20, "C": 20}
    assert summary["default_preprocessing"]["classical"] == "log2cpm"


def test_wide_matrix_errors_name_a_few_genes(tmp_path, capsys) -> None:
    """Reading a 3,000-gene matrix as sequences, or a matrix missing a gene's label, gives
    a short line that names a few genes and counts the rest."""
    genes = [f"gene{i:04d}" for i in range(3000)]
    frame = pd.DataFrame(np.ones((4, 3000)), columns=genes, index=["a", "b", "c", "d"])
    frame.index.name = "sample_id"
    frame.to_csv(tmp_path / "wide.csv")
    argv = ["train", "--data", str(tmp_path / "wide.csv"), "--model", "kmer_nb"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert len(err) < 600 and "(+2,991 more)" in err and "--format expression" in err
    assert main(["data", "summary", str(tmp_path / "wide.csv")]) == 0
    assert "Classes: no labels" in capsys.readouterr().out


def test_a_folder_given_as_a_matrix_says_what_it_expects(planted, tmp_path, capsys) -> None:
    matrix, labels, _ = planted
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "expression.csv").write_bytes(matrix.read_bytes())
    (folder / "labels.csv").write_bytes(labels.read_bytes())
    assert main(["data", "summary", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "is a folder; expected an expression matrix file" in err
    assert f"here {folder / 'expression.csv'} with --labels {folder / 'labels.csv'}" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = ["train", "--data", str(empty), "--labels", str(labels), "--model", "svm"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    assert "is a folder; expected an expression matrix file" in capsys.readouterr().err
