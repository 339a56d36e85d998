"""Expression transforms and pipelines against hand-computed values."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genoclass.errors import InputError
from genoclass.expression.pipeline import PIPELINES, ExpressionPipeline, expand, parse_steps
from genoclass.expression.transforms import (
    Clip,
    Cpm,
    DropUnexpressed,
    ImputeMedian,
    Log2,
    Log2p1,
    Pad,
    SelectAnova,
    SelectVariance,
    Standardize,
)


def test_cpm_log2_and_log2p1_by_hand() -> None:
    x = np.array([[1.0, 3.0, 0.0], [2.0, 2.0, 4.0]])
    cpm = Cpm().transform(x)
    np.testing.assert_allclose(cpm, [[250_000, 750_000, 0], [250_000, 250_000, 500_000]])
    np.testing.assert_allclose(
        Log2().transform(np.array([[8.0, 0.0, -1.0]])), [[3, -np.inf, -np.inf]]
    )
    np.testing.assert_allclose(Log2p1().transform(np.array([[0.0, 3.0, 7.0]])), [[0, 2, 3]])
    np.testing.assert_array_equal(Clip().transform(np.array([[-np.inf, -2.0, 5.0]])), [[0, 0, 5]])


def test_drop_unexpressed_uses_training_rows_only() -> None:
    train = np.array([[0.0, 1.0, -3.0], [0.0, 0.0, 2.0]])
    step = DropUnexpressed().fit(train, None)
    assert step.keep == [1, 2]
    np.testing.assert_array_equal(step.transform(np.array([[9.0, 8.0, 7.0]])), [[8, 7]])


def test_pad_to_multiple_and_standardize() -> None:
    pad = Pad(multiple=4).fit(np.zeros((1, 6)), None)
    assert pad.n_added == 2
    assert pad.transform(np.ones((1, 6))).tolist() == [[1, 1, 1, 1, 1, 1, 0, 0]]
    std = Standardize().fit(np.array([[1.0, 5.0], [3.0, 5.0]]), None)
    assert std.mean == [2.0, 5.0] and std.sd == [1.0, 1.0]
    np.testing.assert_allclose(std.transform(np.array([[4.0, 6.0]])), [[2.0, 1.0]])


def test_impute_median_from_training_rows() -> None:
    step = ImputeMedian().fit(np.array([[1.0, np.nan], [3.0, np.nan], [5.0, np.nan]]), None)
    assert step.medians == [3.0, 0.0]
    np.testing.assert_array_equal(step.transform(np.array([[np.nan, np.nan]])), [[3.0, 0.0]])


def test_selection_by_variance_and_anova() -> None:
    x = np.array([[0.0, 10.0, 1.0], [0.0, -10.0, 2.0], [0.0, 10.0, 11.0], [0.0, -10.0, 12.0]])
    y = np.array([0, 0, 1, 1])
    assert SelectVariance(k=1).fit(x, y).keep == [1]  # gene 1 varies most
    assert SelectAnova(k=1).fit(x, y).keep == [2]  # gene 2 separates the classes


def test_s4_pipeline_by_hand_and_state_round_trip() -> None:
    counts = np.array([[0.0, 0.0, 2.0, 2.0, 4.0], [0.0, 1.0, 1.0, 1.0, 5.0]])
    pipeline = ExpressionPipeline("cpm,log2,drop_unexpressed,clip,pad:3")
    pipeline.fit(counts, None, ["a", "b", "c", "d", "e"])
    # gene a is 0 everywhere -> log2 = -inf in all samples -> dropped; 4 genes padded to 6
    assert pipeline.genes_out == ["b", "c", "d", "e", "__pad_1", "__pad_2"]
    assert [s["genes_out"] for s in pipeline.summary()] == [5, 5, 4, 4, 6]
    out = pipeline.transform(counts)
    expected_row0 = [0.0, np.log2(250_000), np.log2(250_000), np.log2(500_000), 0, 0]
    np.testing.assert_allclose(out[0], expected_row0)
    restored = ExpressionPipeline.from_state(json.loads(json.dumps(pipeline.state())))
    np.testing.assert_array_equal(restored.transform(counts), out)


def test_log2_without_clip_is_reported() -> None:
    with pytest.raises(InputError, match="non-finite value.*log2 needs a later 'clip'"):
        ExpressionPipeline("log2").fit(np.array([[0.0, 1.0]]), None, ["a", "b"])


def test_unknown_step_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="unknown preprocessing step 'tpm'; steps: impute_median"):
        parse_steps("cpm,tpm")
    assert [s.name for s in parse_steps("s4")] == ["cpm", "log2", "drop_unexpressed", "clip", "pad"]


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_every_named_pipeline_combines_with_imputation(name: str) -> None:
    """``--missing impute-median`` puts impute_median before the named pipeline's steps."""
    rng = np.random.default_rng(0)
    x = rng.poisson(20, size=(12, 6)).astype(np.float64) + 1
    x[3, 2] = x[7, 0] = np.nan
    pipeline = ExpressionPipeline(f"impute_median,{name}").fit(x, np.arange(12) % 2, list("abcdef"))
    steps = [step.name for step in pipeline.steps]
    assert steps == ["impute_median", *[s.split(":")[0] for s in expand(name)]]
    assert np.isfinite(pipeline.transform(x)).all()


def test_pipeline_names_expand_anywhere_and_step_arguments_are_checked() -> None:
    assert expand("impute_median,log2cpm,anova:5") == [
        "impute_median", "cpm", "log2p1", "drop_unexpressed", "anova:5",
    ]  # fmt: skip
    for spec, problem in (("cpm,anova:0", "needs an integer >= 1"), ("cpm:3", "no argument")):
        with pytest.raises(InputError, match=problem):
            parse_steps(spec)
