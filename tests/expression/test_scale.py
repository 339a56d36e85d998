"""Scale detection and the pipeline ``--preprocess auto`` picks for each scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genoclass.data.expression_features import ExpressionFeaturizer
from genoclass.errors import InputError
from genoclass.expression.scale import (
    NEURAL_GENES,
    auto_pipeline,
    check_non_negative,
    detect_scale,
)
from genoclass.expression.transforms import Cpm

RNG = np.random.default_rng(0)
COUNTS = np.round(np.exp(RNG.normal(4, 2, size=(20, 30))))
LOG = np.log2(COUNTS + 1)
RATIOS = LOG - LOG.mean(axis=0)


@pytest.mark.parametrize(
    ("x", "kind", "evidence"),
    [
        (COUNTS, "counts", "whole numbers"),
        (COUNTS * 1.37, "counts", "not whole numbers"),
        (LOG, "log", "none above 50"),
        (RATIOS, "ratios", "negative"),
    ],
)
def test_detect_scale(x: np.ndarray, kind: str, evidence: str) -> None:
    guess = detect_scale(x)
    assert guess.kind == kind and evidence in guess.reason


def test_auto_pipeline_by_scale_and_model_family() -> None:
    counts, log = detect_scale(COUNTS), detect_scale(LOG)
    assert auto_pipeline(counts, neural=False)[0] == "log2cpm"
    assert auto_pipeline(log, neural=False)[0] == "none"
    assert auto_pipeline(log, neural=True)[0] == f"anova:{NEURAL_GENES},standardize"
    spec, why = auto_pipeline(counts, neural=True)
    assert spec == f"log2cpm,anova:{NEURAL_GENES},standardize" and "ANOVA" in why


def _table(x: np.ndarray) -> pd.DataFrame:
    genes = pd.DataFrame(x.astype(np.float32), columns=[f"g{i}" for i in range(x.shape[1])])
    labels = np.tile(["A", "B"], len(x) // 2)
    return pd.concat([pd.DataFrame({"id": range(len(x)), "label": labels}), genes], axis=1)


@pytest.mark.parametrize(
    ("x", "neural", "steps"),
    [
        (COUNTS, False, ["cpm", "log2p1", "drop_unexpressed"]),
        (RATIOS, False, []),
        (RATIOS, True, ["anova:2000", "standardize"]),
    ],
)
def test_featurizer_auto_records_choice(x: np.ndarray, neural: bool, steps: list[str]) -> None:
    featurizer = ExpressionFeaturizer(neural=neural).fit(_table(x))
    summary = featurizer.summary()
    assert [s["step"] for s in summary["preprocessing_steps"]] == steps
    assert summary["preprocessing_choice"].startswith("auto: ")
    assert summary["scale"].split(":")[0] == detect_scale(x).kind
    again = ExpressionFeaturizer.from_state(featurizer.state())
    assert again.summary() == summary


def test_explicit_pipeline_keeps_scale_but_no_choice() -> None:
    summary = ExpressionFeaturizer("standardize").fit(_table(RATIOS)).summary()
    assert "preprocessing_choice" not in summary and summary["scale"].startswith("ratios")


def test_cpm_refuses_negative_values_naming_the_first_cell() -> None:
    samples, genes = [f"s{i}" for i in range(20)], [f"g{i}" for i in range(30)]
    first = np.argwhere(RATIOS < 0)[0]
    with pytest.raises(InputError) as err:
        check_non_negative("log2cpm", RATIOS, samples, genes, "m.csv")
    message = str(err.value)
    assert message.startswith("m.csv: --preprocess log2cpm: cpm needs non-negative counts")
    assert f"sample 's{first[0]}', gene 'g{first[1]}'" in message
    check_non_negative("standardize", RATIOS, samples, genes, "m.csv")  # no CPM: accepted
    check_non_negative("log2cpm", COUNTS, samples, genes, "m.csv")  # no negative: accepted
    with pytest.raises(InputError, match=f"row {first[0] + 1}, column {first[1] + 1}"):
        Cpm().transform(RATIOS)
