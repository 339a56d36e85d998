"""Typed hyperparameters: explicit specs with meanings, and the older defaults-only form."""

from __future__ import annotations

import pytest

from genoclass.errors import InputError
from genoclass.models import available, get_spec
from genoclass.models.registry import _REGISTRY, Param, register, with_defaults


def test_every_registered_hyperparameter_has_bounds_and_a_meaning() -> None:
    for spec in available():
        assert [p.name for p in spec.params] == list(spec.defaults), spec.name
        for param in spec.params:
            assert param.meaning and "\n" not in param.meaning, (spec.name, param.name)
            assert param.check(param.default) == param.default  # defaults are allowed


def test_values_are_converted_and_checked() -> None:
    spec = get_spec("fast_accurate_cnn")
    hp = spec.hparams({"hidden": "32", "dropout": 0.5, "channels": [8, 16]})
    assert hp["hidden"] == 32 and hp["channels"] == [8, 16] and hp["kernel_size"] == 3
    with pytest.raises(InputError, match=r"--param channels must be a list of integers"):
        spec.hparams({"channels": [8, 0]})
    with pytest.raises(InputError, match=r"model.json: hidden must"):
        spec.check({"hidden": -1}, label="model.json: ")


def test_defaults_only_registration_still_works_with_inferred_types() -> None:
    @register("tmp_defaults_only", "test model", defaults={"width": 8, "rate": 0.1, "on": True})
    def build(n_outputs: int, input_length: int, **hp: object) -> None:
        return None

    try:
        spec = get_spec("tmp_defaults_only")
        assert spec.hparams({"width": 16})["width"] == 16
        with pytest.raises(InputError, match="--param width must be an integer"):
            spec.hparams({"width": "wide"})
        with pytest.raises(InputError, match="--param on must be true or false"):
            spec.hparams({"on": 3})
    finally:
        del _REGISTRY["tmp_defaults_only"]


def test_with_defaults_replaces_only_the_named_defaults_and_refuses_unknown_names() -> None:
    params = get_spec("fast_accurate_cnn").params
    preset = with_defaults(params, hidden=16)
    assert [p.name for p in preset] == [p.name for p in params]
    assert {p.name: p.default for p in preset} == {
        **{p.name: p.default for p in params},
        "hidden": 16,
    }
    assert all(isinstance(p, Param) for p in preset)
    assert (
        next(p for p in preset if p.name == "hidden").bounds
        == next(p for p in params if p.name == "hidden").bounds
    )
    with pytest.raises(ValueError, match=r"no such parameters: \['hiden'\]"):
        with_defaults(params, hiden=16)
