"""Planted-truth check of biomarker ranking: with 20 marker genes per class among 2,000,
at least 16 of each class's top 20 genes must be its planted markers, for the expression
CNN (integrated gradients) and for the random forest (permutation importance)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from genoclass.config import TrainConfig
from genoclass.data.synthetic_expression import planted_marker_expression
from genoclass.workflows.explain import ExplainOptions, run_explain
from genoclass.workflows.train import run_training


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, list[str]]]:
    folder = tmp_path_factory.mktemp("markers")
    matrix, labels, markers = planted_marker_expression(30, 2000, 20, ["A", "B", "C"], seed=0)
    matrix.to_csv(folder / "matrix.csv")
    labels.reset_index().to_csv(folder / "labels.csv", index=False)
    return folder / "matrix.csv", folder / "labels.csv", markers


@pytest.mark.parametrize(
    ("model", "params", "epochs"),
    [("expr_cnn", {}, 15), ("random_forest", {"n_estimators": 300}, 1)],
)
def test_top_genes_are_planted_markers(planted, tmp_path: Path, model, params, epochs) -> None:
    matrix, labels, markers = planted
    config = TrainConfig(
        data=str(matrix),
        labels=str(labels),
        model=model,
        model_params=params,
        epochs=epochs,
        batch_size=16,
        seed=0,
        out=str(tmp_path / "run"),
    )
    run = run_training(config, progress=False)
    out = run_explain(run, matrix, options=ExplainOptions(top_genes=20), labels=str(labels))
    table = pd.read_csv(out / "biomarkers.csv")
    assert 'href="explain/explain.html"' in (run / "report.html").read_text()
    for cls, genes in markers.items():
        top = table[table["class"] == cls]
        assert len(top) == 20 and top["gene"].isin(genes).sum() >= 16, cls
        assert (top.loc[top["gene"].isin(genes), "direction"] == "up").all()
