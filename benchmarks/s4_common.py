"""Shared settings of the S4 / S2 / S3 expression benchmarks (data paths, protocol)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genoclass.config import TrainConfig, load_config
from genoclass.models import get_spec

EXPR = Path(__file__).resolve().parents[2] / "shared" / "data" / "expr"
RESULTS = Path(__file__).resolve().parent / "results"
#: preprocessing per data set: S4's pipeline for counts and raw microarray values (golub has
#: negatives); per-gene standardisation for sets already on a log scale
PREPROCESS = {
    "tcga_rtcga_rsem_6cohorts": "s4",
    "tcga_gbm_lgg_rawcounts": "s4",
    "tcga_kirc_tumor_normal_rawcounts_simseq": "s4",
    # raw MAS4 values include negatives: CPM is now refused on them (earlier tables: s4)
    "datamicroarray_golub": "standardize",
    "biolab_SRBCT": "standardize",
    "dslabs_tissue_gene_expression": "standardize",
    "bioc_ALL_chiaretti": "standardize",
}
#: neural models add per-gene standardisation (train-fitted) after S4's clip step: with
#: S4's raw log2 scale the sigmoid conv layer saturates (0.952 vs 0.981 test accuracy)
NEURAL_PREPROCESS = {"s4": "s4_std"}
#: S4 protocol: 70/30 train/test, train further 80/20 fit/validation, seed 42; the CNN
#: trains 10 epochs (AdamW + one-cycle, peak lr 2e-4), keeping its best validation epoch
PROTOCOL: dict[str, Any] = {
    "test_size": 0.3,
    "val_size": 0.2,
    "seed": 42,
    "epochs": 10,
    "lr": 2e-4,
}


def config(dataset: str, model: str, out: Path, **overrides: Any) -> TrainConfig:
    """A run config for ``model`` on ``dataset`` with the S4 protocol."""
    folder = EXPR / dataset
    values = {
        **PROTOCOL,
        "data": str(folder / "expression.csv.gz"),
        "labels": str(folder / "labels.csv"),
        "model": model,
        "preprocess": PREPROCESS[dataset],
        "out": str(out),
        **overrides,
    }
    if get_spec(model).family == "classical":
        values["val_size"] = 0.0  # no epochs to choose: fit on the whole training part
    else:
        values["preprocess"] = NEURAL_PREPROCESS.get(values["preprocess"], values["preprocess"])
    return load_config(None, values)


#: run directories (model weights: large, never committed); summaries go to RESULTS
WORK = Path("/tmp/genoclass_s4_runs")
