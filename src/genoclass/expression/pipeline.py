"""Preprocessing pipelines: named or written out as ``step,step:arg,...``, fitted on training
rows, recorded (steps, genes kept) and saved as JSON so predictions repeat them exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genoclass.errors import InputError
from genoclass.expression.transforms import STEPS, Pad, Step

#: named pipelines (``--preprocess NAME``); any other value is read as a list of steps
PIPELINES: dict[str, str] = {
    "none": "",
    "s4": "cpm,log2,drop_unexpressed,clip,pad:100",
    "s4_std": "cpm,log2,drop_unexpressed,clip,standardize,pad:100",
    "log2cpm": "cpm,log2p1,drop_unexpressed",
    "log2cpm_std": "cpm,log2p1,drop_unexpressed,standardize",
    "standardize": "standardize",
}
#: pipeline of an ``ExpressionPipeline`` when none is named: the default for count data
DEFAULT_PIPELINE = "log2cpm"
#: ``--preprocess auto`` (the default): the featurizer picks the pipeline from the scale of
#: the training values (``expression.scale``)
AUTO = "auto"


def expand(spec: str) -> list[str]:
    """The steps of a pipeline spec: a comma-separated list of steps and named pipelines
    (see ``PIPELINES``), each name replaced by its steps wherever it appears, e.g.
    ``impute_median,log2cpm`` -> ``impute_median,cpm,log2p1,drop_unexpressed``."""
    items: list[str] = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        named = PIPELINES.get(item)
        items += [s for s in named.split(",") if s] if named is not None else [item]
    return items


def parse_steps(spec: str) -> list[Step]:
    """Unfitted steps of a pipeline spec (``expand``) such as ``cpm,log2p1,anova:500``
    (``pad:M`` pads to a multiple of M, ``variance:K``, ``anova:K`` and ``rfe:K`` keep K
    genes); an unknown step or a bad argument is an InputError naming --preprocess."""
    steps: list[Step] = []
    for item in expand(spec):
        name, _, arg = item.partition(":")
        if name not in STEPS:
            raise InputError(
                f"--preprocess: unknown preprocessing step {name!r}; steps: {', '.join(STEPS)}; "
                f"named pipelines: {', '.join(PIPELINES)}, {AUTO} (by the scale of the data)"
            )
        steps.append(_make(name, arg))
    return steps


def _make(name: str, arg: str) -> Step:
    cls = STEPS[name]
    if not arg:
        return cls()
    takes = "multiple" if cls is Pad else "k" if "k" in cls.__dataclass_fields__ else None
    if takes is None:
        raise InputError(f"--preprocess: step {name!r} takes no argument", value=arg)
    if not arg.strip().isdigit() or int(arg) < 1:
        raise InputError(f"--preprocess: step {name!r} needs an integer >= 1", value=arg)
    return cls(**{takes: int(arg)})


@dataclass
class ExpressionPipeline:
    """An ordered list of transforms with the genes going in and coming out."""

    spec: str = DEFAULT_PIPELINE
    steps: list[Step] = field(default_factory=list)
    genes_in: list[str] = field(default_factory=list)
    genes_out: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)

    def fit(self, x: np.ndarray, y: np.ndarray | None, genes: list[str]) -> ExpressionPipeline:
        """Fit every step in turn on the training matrix ``x`` (columns = ``genes``)."""
        self.steps = parse_steps(self.spec)
        self.genes_in = list(genes)
        names, self.counts = list(genes), [len(genes)]
        for step in self.steps:
            x = step.fit(x, y).transform(x)
            names = _names_after(step, names)
            self.counts.append(len(names))
        _check_finite(x, "training", self.spec)
        self.genes_out = names
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Apply the fitted steps to a matrix whose columns are ``genes_in``."""
        for step in self.steps:
            x = step.transform(x)
        _check_finite(x, "input", self.spec)
        return x

    def summary(self) -> list[dict[str, Any]]:
        """One row per step: its name and the gene count before and after (for reports)."""
        return [
            {"step": _label(step), "genes_in": self.counts[i], "genes_out": self.counts[i + 1]}
            for i, step in enumerate(self.steps)
        ]

    def state(self) -> dict[str, Any]:
        """JSON-able fitted state (spec, each step's learnt values, genes in and out)."""
        return {
            "spec": self.spec,
            "steps": [s.state() for s in self.steps],
            "genes_in": self.genes_in,
            "genes_out": self.genes_out,
            "counts": self.counts,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ExpressionPipeline:
        """The fitted pipeline saved by ``state()``."""
        steps = []
        for saved in state["steps"]:
            values = {k: v for k, v in saved.items() if k != "name"}
            steps.append(STEPS[saved["name"]](**values))
        return cls(state["spec"], steps, state["genes_in"], state["genes_out"], state["counts"])


def _names_after(step: Step, names: list[str]) -> list[str]:
    kept = names if step.keep is None else [names[i] for i in step.keep]
    return kept + [f"__pad_{i + 1}" for i in range(step.n_added)]


def _label(step: Step) -> str:
    state = step.state()
    arg = state.get("k", state.get("multiple"))
    return step.name if arg is None else f"{step.name}:{arg}"


def _check_finite(x: np.ndarray, what: str, spec: str) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise InputError(
            f"preprocessing {spec!r} produced {int(bad.sum())} non-finite value(s) on the {what} "
            f"data (first: row {row + 1}, output feature {col + 1}); log2 needs a later 'clip' "
            "and log2p1 needs values >= -1 (put 'clip' before it)"
        )
