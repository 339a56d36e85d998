"""Search-space files and the ordered grid's relative integrated-F1 choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genoclass.errors import InputError
from genoclass.tuning.search import _step_scores
from genoclass.tuning.space import decode, encode, load_space


def test_space_keeps_order_and_counts_the_grid(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("params:\n  b: [1, 2, 3]\n  a: [x, y]\n  h: [[8, 4], [16]]\n")
    space = load_space(path)
    assert list(space.params) == ["b", "a", "h"]
    assert space.grid_size() == 12
    assert decode(encode([8, 4])) == [8, 4] and encode("x") == "x"


def test_bad_spaces_are_input_errors(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("params:\n  a: []\n")
    with pytest.raises(InputError, match="'a' needs a non-empty list or \\{low, high\\}"):
        load_space(path)
    path.write_text("params:\n  a: [1]\nsampler: tpe\n")
    with pytest.raises(InputError, match="unknown key\\(s\\) \\['sampler'\\]"):
        load_space(path)
    path.write_text("params:\n  lr: {low: 0.001, high: 0.1}\n")
    with pytest.raises(InputError, match="'lr' is a range; grid strategies need a list"):
        load_space(path).values("lr")


def test_ordered_grid_step_uses_relative_integrated_f1() -> None:
    # candidate 0: F1 (1.0, 0.5); candidate 1: F1 (0.8, 0.8). Scale: 0.5 -> -2, 1.0 -> 5,
    # so Y = (5, -2) vs (2.2, 2.2); d = exp(-exp(-Y)): geometric means 0.0270 vs 0.8950
    scores = _step_scores(
        [{"per_class_f1": [1.0, 0.5]}, {"per_class_f1": [0.8, 0.8]}], "integrated_f1"
    )
    d = lambda y: np.exp(-np.exp(-y))  # noqa: E731
    np.testing.assert_allclose(scores, [np.sqrt(d(5) * d(-2)), d(2.2)])
    assert scores.argmax() == 1
    assert _step_scores([{"accuracy": 0.7}, {"accuracy": 0.9}], "accuracy").tolist() == [0.7, 0.9]


def test_readme_search_space_example_is_a_valid_space(tmp_path: Path) -> None:
    from genoclass.models import get_spec
    from genoclass.tuning.space import check_space_values

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("# space.yaml: genoclass tune", 1)[1].split("```", 1)[0]
    path = tmp_path / "space.yaml"
    path.write_text(block.split("\n", 1)[1])
    space = load_space(path)
    assert space.model == "fast_accurate_cnn" and list(space.params) == [
        "lr",
        "channels",
        "dropout",
    ]
    assert space.grid_size() == 12 and space.fixed == {"epochs": 15}
    check_space_values(space, get_spec(space.model), path)
