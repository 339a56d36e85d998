"""The table of input kinds: complete for every registered model, complete at registration."""

from __future__ import annotations

import dataclasses

import pytest

from genoclass.errors import InputError
from genoclass.models import available
from genoclass.workflows import kinds


def test_every_registered_models_input_kind_has_every_part() -> None:
    for spec in available():
        kind = kinds.input_kind(spec.input_kind)
        assert all(getattr(kind, f.name) is not None for f in dataclasses.fields(kind))


def test_a_kind_without_an_explainer_is_refused_at_registration(monkeypatch) -> None:
    monkeypatch.setattr(kinds, "INPUT_KINDS", dict(kinds.INPUT_KINDS))
    partial = dataclasses.replace(kinds.input_kind("kmer"), name="kmer2", explainer=None)
    with pytest.raises(ValueError, match=r"'kmer2' lacks \['explainer'\]"):
        kinds.register_input_kind(partial)
    with pytest.raises(ValueError, match="registered twice"):
        kinds.register_input_kind(kinds.input_kind("kmer"))
    with pytest.raises(InputError, match="unknown input kind 'store'"):
        kinds.input_kind("store")
