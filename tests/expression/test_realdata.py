"""Real expression sets through S4's pipeline and the scale-chosen default (skips without
../shared/data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genoclass.config import TrainConfig, load_config
from genoclass.data.summary import summarize_path
from genoclass.errors import InputError
from genoclass.workflows.train import run_training


def _config(folder: Path, out: Path, **settings: str) -> TrainConfig:
    values = {
        "data": str(folder / "expression.csv.gz"),
        "labels": str(folder / "labels.csv"),
        "model": "logistic_regression",
        "test_size": 0.3,
        "val_size": 0.2,
        "out": str(out),
    }
    return load_config(None, {**values, **settings})


@pytest.mark.realdata
def test_s4_pipeline_on_raw_counts(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "expr" / "tcga_gbm_lgg_rawcounts"
    run = run_training(_config(folder, tmp_path / "run", preprocess="s4"), progress=False)
    metrics = json.loads((run / "metrics.json").read_text())
    steps = metrics["data"]["preprocessing_steps"]
    assert [s["step"] for s in steps] == ["cpm", "log2", "drop_unexpressed", "clip", "pad:100"]
    assert steps[-1]["genes_out"] % 100 == 0
    assert steps[2]["genes_out"] < steps[2]["genes_in"]  # unexpressed genes were dropped
    assert metrics["test"]["accuracy"] >= 0.8
    assert "drop_unexpressed" in (run / "report.html").read_text()


@pytest.mark.realdata
def test_values_with_negatives_refuse_cpm_and_default_to_no_transform(
    shared_data: Path, tmp_path: Path
) -> None:
    """Golub's raw microarray values include negatives: S4's CPM pipeline is refused naming
    the first negative cell; the default (auto) detects the scale and transforms nothing."""
    folder = shared_data / "expr" / "datamicroarray_golub"
    with pytest.raises(InputError, match=r"cpm needs non-negative counts.*first: sample '\w+'"):
        run_training(_config(folder, tmp_path / "s4", preprocess="s4"), progress=False)
    run = run_training(_config(folder, tmp_path / "auto"), progress=False)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["data"]["scale"].startswith("ratios")
    assert metrics["data"]["preprocessing_choice"] == "auto: ratios scale -> none"
    assert metrics["test"]["accuracy"] >= 0.85


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("dataset", "scale"),
    [
        ("tcga_rtcga_rsem_6cohorts", "counts"),
        ("tcga_kirc_tumor_normal_rawcounts_simseq", "counts"),
        ("datamicroarray_golub", "ratios"),
        ("dslabs_tissue_gene_expression", "log"),
        ("bioc_ALL_chiaretti", "log"),
    ],
)
def test_data_summary_scale_of_real_sets(shared_data: Path, dataset: str, scale: str) -> None:
    folder = shared_data / "expr" / dataset
    text, summary = summarize_path(folder / "expression.csv.gz", labels=str(folder / "labels.csv"))
    assert summary["scale"]["guess"] == scale
    assert len(text.splitlines()) < 40 and f"Scale: {scale}: values" in text
    assert sum(summary["classes"].values()) == summary["samples"]
