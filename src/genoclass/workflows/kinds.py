"""One table of input kinds: how data of each kind is read, encoded, re-encoded from a saved
model and explained.

A model's registry entry names its input kind (``tokens``, ``onehot``, ``kmer``,
``expression``); everything genoclass does with that kind's data is found here. Adding an
input kind is one ``register_input_kind(InputKind(...))`` call with all four parts; a
missing part is an error at registration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from genoclass.config import TrainConfig
from genoclass.data.expression_features import ExpressionFeaturizer
from genoclass.data.featurize import Featurizer, SequenceFeaturizer
from genoclass.errors import InputError
from genoclass.interpret.explainers import (
    Explainer,
    explain_expression,
    explain_kmer_counts,
    explain_sequences,
)
from genoclass.models.registry import ModelSpec
from genoclass.sequence.kmers import KmerFeaturizer
from genoclass.training.embedding import EMBEDDING, EmbeddingFeaturizer
from genoclass.workflows.inputs import LabelledData, read_expression_inputs, read_sequence_inputs


@dataclass(frozen=True)
class InputKind:
    """Everything genoclass does with one kind of model input.

    ``reader(config, labels_required=True)`` reads a run's labelled inputs;
    ``featurizer(spec, config)`` makes the (unfitted) featurizer of a model;
    ``from_state(state, folder)`` rebuilds a fitted featurizer from model.json's ``input``
    block (``folder``: the model folder, for featurizers that keep files there, or None);
    ``explainer`` computes a model's explanations on arrays (``interpret.explainers``);
    ``explain_split`` is the split ``explain`` uses when none is asked: ``test-if-present``
    (the run's test rows when the data hold them: hundreds of sequences per class are
    plenty for motifs) or ``all`` (expression sets have tens of samples per class, and
    permutation importance and bootstrap stability need every one).
    """

    name: str
    reader: Callable[..., LabelledData]
    featurizer: Callable[[ModelSpec, TrainConfig], Featurizer]
    from_state: Callable[[dict[str, Any], Path | None], Featurizer]
    explainer: Explainer
    explain_split: str


INPUT_KINDS: dict[str, InputKind] = {}


def register_input_kind(kind: InputKind) -> InputKind:
    """Add ``kind`` to the table; a missing part or a name registered twice is an error."""
    missing = [f.name for f in fields(kind) if getattr(kind, f.name) is None]
    if missing:
        raise ValueError(f"input kind {kind.name!r} lacks {missing}")
    if kind.name in INPUT_KINDS:
        raise ValueError(f"input kind {kind.name!r} registered twice")
    INPUT_KINDS[kind.name] = kind
    return kind


def input_kind(name: str) -> InputKind:
    """The table entry of input kind ``name``; an unknown kind is an input error."""
    if name not in INPUT_KINDS:
        raise InputError(f"unknown input kind {name!r}; known: {sorted(INPUT_KINDS)}")
    return INPUT_KINDS[name]


def featurizer_from_state(state: dict[str, Any], folder: Path | None = None) -> Featurizer:
    """The fitted featurizer saved in model.json's ``input`` block of the model folder
    ``folder`` (None for a model that was never saved)."""
    return input_kind(state["input_kind"]).from_state(state, folder)


def _stateless(from_state: Callable[[dict[str, Any]], Featurizer]) -> Callable[..., Featurizer]:
    """A ``from_state`` that needs no files beside model.json."""
    return lambda state, folder: from_state(state)


def _sequence_kind(name: str) -> InputKind:
    return InputKind(
        name,
        read_sequence_inputs,
        lambda spec, c: SequenceFeaturizer(name, c.max_len, c.crop, spec.fixed_length),
        _stateless(SequenceFeaturizer.from_state),
        explain_sequences,
        "test-if-present",
    )


register_input_kind(_sequence_kind("tokens"))
register_input_kind(_sequence_kind("onehot"))
register_input_kind(
    InputKind(
        "kmer",
        read_sequence_inputs,
        lambda spec, c: KmerFeaturizer(spec.hparams(c.model_params)["k"]),
        _stateless(lambda s: KmerFeaturizer(s["k"], s["input_length"])),
        explain_kmer_counts,
        "test-if-present",
    )
)
register_input_kind(
    InputKind(
        "expression",
        read_expression_inputs,
        lambda spec, c: ExpressionFeaturizer(
            c.preprocess, c.missing == "impute-median", neural=spec.family == "neural"
        ),
        _stateless(ExpressionFeaturizer.from_state),
        explain_expression,
        "all",
    )
)
register_input_kind(
    InputKind(
        EMBEDDING,
        read_sequence_inputs,
        lambda spec, c: EmbeddingFeaturizer.from_run(c.init),
        EmbeddingFeaturizer.from_state,
        explain_kmer_counts,  # in-silico mutagenesis: every mutant embedded again
        "test-if-present",
    )
)
