"""Explainers: what a trained classifier learnt, computed on arrays and returned as arrays
and tables (files and pages are the explain job's business).

One explainer per input kind (``workflows.kinds`` holds the table): sequence models are
explained by per-base attributions of correctly classified sequences and the motifs their
seqlets form; models on k-mer counts by in-silico mutagenesis of the sequences, each mutant
re-counted; expression models by per-gene scores ranked into biomarkers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from genoclass.config import Bounds, check_fields, setting
from genoclass.data.featurize import Featurizer
from genoclass.errors import InputError
from genoclass.interpret.attributions import METHODS, attribute_methods, onehot_model
from genoclass.interpret.biomarkers import (
    classical_importance,
    correct_rows,
    impurity_importance,
    rank_biomarkers,
)
from genoclass.interpret.motifs import MotifThresholds, discover_motifs
from genoclass.io.sequences import sequence_table
from genoclass.models import get_spec
from genoclass.sequence.encoding import one_hot, tokenize
from genoclass.training.classifier import Classifier


@dataclass
class ExplainOptions:
    """Choices of ``genoclass explain``: methods, classes and how many samples to use."""

    methods: list[str] | None = None  # None: integrated gradients, or ISM where no gradient
    classes: list[str] | None = None
    split: str | None = None  # train, val, test or all; None: the input kind's default
    # sequences per class (expression models use every sample)
    max_examples: int = setting(200, Bounds("int", 1, 10**7))
    top_genes: int = setting(20, Bounds("int", 1, 10**6))
    n_logos: int = 3
    seqlet_width: int = 10
    seed: int = 0
    motif_thresholds: MotifThresholds = field(default_factory=MotifThresholds)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class SequenceExplanation:
    """Explained sequences (ids, class indices, one-hot ``(n, 4, L)``, lengths), their
    attributions per method, the contributions of the observed bases under the first
    method, and the motifs found (reported and rejected)."""

    ids: np.ndarray
    target: np.ndarray
    onehot: np.ndarray
    lengths: np.ndarray
    attributions: dict[str, np.ndarray]
    contributions: np.ndarray
    motifs: pd.DataFrame
    rejected: pd.DataFrame


@dataclass
class ExpressionExplanation:
    """Per-sample gene scores per method, the method ranked, which samples were classified
    correctly, the genes (after preprocessing) and the biomarker table."""

    ids: np.ndarray
    arrays: dict[str, np.ndarray]
    method: str
    correct: np.ndarray
    genes: list[str]
    markers: pd.DataFrame


#: (classifier, fitted featurizer, sample table, class indices, classes to explain, options)
#: -> an explanation
Explainer = Callable[
    [Classifier, Featurizer, pd.DataFrame, np.ndarray, list[int], ExplainOptions], Any
]


def has_gradients(name: str) -> bool:
    """Whether model ``name``'s input has a gradient (neural models that do not look up
    k-mer identities); the others are explained by in-silico mutagenesis only."""
    spec = get_spec(name)
    return spec.family == "neural" and spec.gradients


def resolve_methods(name: str, methods: list[str] | None) -> list[str]:
    """The attribution methods to run on model ``name``: the ones asked for (checked), else
    integrated gradients, or ISM for models whose input has no gradient."""
    gradients = has_gradients(name)
    if methods is None:
        return ["integrated_gradients" if gradients else "ism"]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise InputError(f"unknown attribution method(s) {unknown}; use {sorted(METHODS)}")
    if not gradients and set(methods) != {"ism"}:
        raise InputError(
            f"{name} looks up k-mer identities, which have no input gradient; "
            "explain it with --method ism"
        )
    return methods


def chosen_classes(classes: list[str], wanted: list[str] | None) -> list[int]:
    """Indices of the classes to explain (all when ``wanted`` is None)."""
    if wanted is None:
        return list(range(len(classes)))
    missing = [c for c in wanted if c not in classes]
    if missing:
        raise InputError(f"class(es) {missing} not among the model's classes {classes}")
    return [classes.index(c) for c in wanted]


def pick_examples(
    y: np.ndarray, correct: np.ndarray, targets: list[int], limit: int, seed: int
) -> np.ndarray:
    """Up to ``limit`` correctly classified rows of each target class, drawn at random."""
    rng = np.random.default_rng(seed)
    picked = [np.sort(rng.permutation(np.flatnonzero(correct & (y == c)))[:limit]) for c in targets]
    return np.concatenate(picked) if picked else np.zeros(0, dtype=int)


def onehot_batch(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The one-hot (B, 4, L) form of a sequence batch of tokens or one-hot."""
    x = batch["x"]
    return torch.from_numpy(one_hot(x.numpy().astype(np.uint8))) if x.dim() == 2 else x


def explain_sequences(
    classifier: Classifier,
    featurizer: Featurizer,
    table: pd.DataFrame,
    y: np.ndarray,
    targets: list[int],
    options: ExplainOptions,
) -> SequenceExplanation:
    """Attributions and motifs of a neural sequence model (token or one-hot input) on the
    correctly classified sequences of ``table`` (up to ``options.max_examples`` a class)."""
    features = featurizer.transform(table, y)
    rows = _explained_rows(classifier.predict_proba(features), y, targets, options)
    batch = features.batch(rows)
    name = classifier.card.name
    onehot = get_spec(name).input_kind == "onehot"
    model = onehot_model(classifier.model, has_gradients(name), onehot)
    return _explain_onehot(
        model, onehot_batch(batch), batch["lengths"], table, y, rows, targets, classifier, options
    )


def explain_kmer_counts(
    classifier: Classifier,
    featurizer: Featurizer,
    table: pd.DataFrame,
    y: np.ndarray,
    targets: list[int],
    options: ExplainOptions,
) -> SequenceExplanation:
    """In-silico mutagenesis and motifs of a model on k-mer counts: every mutant sequence
    is counted again by ``featurizer`` and scored by the model (log-probabilities)."""
    proba = classifier.predict_proba(featurizer.transform(table, y))
    rows = _explained_rows(proba, y, targets, options)
    tokens, lengths = tokenize(table["sequence"].to_numpy()[rows].tolist())
    x = torch.from_numpy(one_hot(tokens))
    scorer = RecountedScorer(classifier, featurizer)
    return _explain_onehot(
        scorer, x, torch.from_numpy(lengths), table, y, rows, targets, classifier, options
    )


def _explained_rows(
    proba: np.ndarray, y: np.ndarray, targets: list[int], options: ExplainOptions
) -> np.ndarray:
    rows = pick_examples(y, correct_rows(proba, y), targets, options.max_examples, options.seed)
    if len(rows) == 0:
        raise InputError("no correctly classified sequences of the chosen classes to explain")
    return rows


def _explain_onehot(
    model: nn.Module,
    x: torch.Tensor,
    lengths: torch.Tensor,
    table: pd.DataFrame,
    y: np.ndarray,
    rows: np.ndarray,
    targets: list[int],
    classifier: Classifier,
    options: ExplainOptions,
) -> SequenceExplanation:
    """Attributions of ``model`` (reading one-hot ``x``) for each row's own class, then the
    motifs of the first method's contributions."""
    target = torch.from_numpy(y[rows])
    methods = options.methods or ["integrated_gradients"]
    attributions = attribute_methods(model, x, target, methods, lengths)
    contributions = attributions[methods[0]] * x.numpy()
    motifs, rejected = discover_motifs(
        x.numpy(),
        contributions,
        lengths.numpy(),
        y[rows],
        targets,
        classifier.classes,
        options.seqlet_width,
        options.motif_thresholds,
    )
    ids = table["id"].to_numpy()[rows].astype(str)
    return SequenceExplanation(
        ids, y[rows], x.numpy(), lengths.numpy(), attributions, contributions, motifs, rejected
    )


class RecountedScorer(nn.Module):
    """Class scores (log-probabilities) of a model on k-mer counts for one-hot sequences
    ``(B, 4, L)``: each row is read back as text up to its length (a column of 0.25 is N)
    and counted again by the featurizer. Not differentiable: for in-silico mutagenesis."""

    def __init__(self, classifier: Classifier, featurizer: Featurizer) -> None:
        super().__init__()
        self.classifier = classifier
        self.featurizer = featurizer

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        letters = np.array(list("ACGT"))[x.argmax(1).numpy()]
        letters[(x.amin(1) > 0.2).numpy()] = "N"
        width = x.shape[2]
        ends = [width] * len(x) if lengths is None else lengths.tolist()
        seqs = ["".join(row[:end]) for row, end in zip(letters, ends, strict=True)]
        proba = self.classifier.predict_proba(self.featurizer.transform(sequence_table(seqs), None))
        return torch.log(torch.from_numpy(np.clip(proba, 1e-12, 1.0)).float())


def explain_expression(
    classifier: Classifier,
    featurizer: Featurizer,
    table: pd.DataFrame,
    y: np.ndarray,
    targets: list[int],
    options: ExplainOptions,
) -> ExpressionExplanation:
    """Per-gene scores of an expression model (attributions of a neural model, permutation
    importance of a classical one) ranked into per-class biomarkers."""
    features = featurizer.transform(table, y)
    genes = list(featurizer.pipeline.genes_out)
    values = table.reindex(columns=genes).to_numpy(dtype=np.float64)
    values = np.where(np.isnan(values), features.x, values)
    correct = correct_rows(classifier.predict_proba(features), y)
    model = classifier.model
    if isinstance(model, nn.Module):
        x = torch.from_numpy(features.x)
        methods = options.methods or ["integrated_gradients"]
        arrays = attribute_methods(model, x, torch.as_tensor(y), methods)
        method = methods[0]
    else:
        arrays = {"permutation": classical_importance(model, features.x, y, seed=options.seed)}
        method = "permutation"
    markers = rank_biomarkers(
        arrays[method], values, y, correct, classifier.classes, genes, top=options.top_genes
    )
    markers = markers[markers["class"].isin([classifier.classes[c] for c in targets])]
    if not isinstance(model, nn.Module) and hasattr(model, "feature_importances"):
        impurity = dict(zip(genes, impurity_importance(model), strict=True))
        markers = markers.assign(impurity_importance=markers["gene"].map(impurity))
    ids = table["id"].to_numpy().astype(str)
    return ExpressionExplanation(ids, arrays, method, correct, genes, markers)
