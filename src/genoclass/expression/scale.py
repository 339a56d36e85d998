"""What scale an expression matrix is on, and the preprocessing that suits it.

Three scales are told apart from the values alone: raw or normalised counts (no negative
value, maximum above ``LOG_MAX``), log-scale values (no negative value, maximum at most
``LOG_MAX``: log2 of counts or intensities rarely exceeds 20) and log ratios or centred
values (some negative value). Counts are library-size normalised and logged (``log2cpm``);
log-scale values and ratios are used as they are, since CPM of a logarithm or of a negative
number has no meaning. Neural models then keep the ``NEURAL_GENES`` genes of highest
between-class F statistic (training rows) and standardise each gene.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genoclass.errors import InputError
from genoclass.expression.pipeline import expand

#: largest value still read as a log scale (log2 of a count of 10^15 is 50)
LOG_MAX = 50.0
#: genes a neural model keeps by default (ANOVA F on training rows): a dense layer over
#: 20,000 genes has millions of weights for a few hundred samples
NEURAL_GENES = 2000
#: scale -> pipeline chosen for it (``expression.pipeline.PIPELINES`` names or steps)
SCALE_PIPELINES = {"counts": "log2cpm", "log": "none", "ratios": "none"}
#: steps appended for neural models under ``--preprocess auto``
NEURAL_STEPS = f"anova:{NEURAL_GENES},standardize"
#: steps that need non-negative input (CPM divides by the sample total)
NON_NEGATIVE_STEPS = ("cpm",)


@dataclass(frozen=True)
class ScaleGuess:
    """The scale of a matrix (``counts``, ``log`` or ``ratios``) and the evidence in words."""

    kind: str
    reason: str


def detect_scale(x: np.ndarray) -> ScaleGuess:
    """Guess the scale of the (samples x genes) values ``x`` (NaN ignored): ``ratios`` when
    any value is negative, else ``log`` when the maximum is at most ``LOG_MAX``, else
    ``counts`` (integers or not: normalised counts such as RSEM's are not whole numbers)."""
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return ScaleGuess("counts", "no finite value to judge by")
    low, high = float(finite.min()), float(finite.max())
    span = f"values {low:.4g} to {high:.4g}"
    if low < 0:
        share = float((finite < 0).mean())
        return ScaleGuess(
            "ratios",
            f"{span}, {share:.1%} negative (log ratios, centred or background-subtracted values)",
        )
    if high <= LOG_MAX:
        return ScaleGuess("log", f"{span}, none negative, none above {LOG_MAX:g} (a log scale)")
    integers = bool(np.all(finite == np.round(finite)))
    kind = "whole numbers (counts)" if integers else "not whole numbers (normalised counts)"
    return ScaleGuess("counts", f"{span}, none negative, {kind}")


def log_values(x: np.ndarray) -> np.ndarray:
    """``x`` on a log scale for comparing samples or classes: log2(x + 1) of counts, the
    values themselves when they are already log values or ratios (``detect_scale``)."""
    return np.log2(x + 1.0) if detect_scale(x).kind == "counts" else x


def auto_pipeline(guess: ScaleGuess, *, neural: bool) -> tuple[str, str]:
    """The pipeline ``--preprocess auto`` picks for data on ``guess``'s scale and why."""
    base = SCALE_PIPELINES[guess.kind]
    why = f"{guess.kind} scale -> {base}"
    if not neural:
        return base, why
    why += (
        f", then (neural model) the {NEURAL_GENES} genes of highest ANOVA F on the training "
        "rows, standardised"
    )
    return NEURAL_STEPS if base == "none" else f"{base},{NEURAL_STEPS}", why


def check_non_negative(
    spec: str, x: np.ndarray, samples: list[str], genes: list[str], path: str | Path
) -> None:
    """Refuse pipeline ``spec`` when one of its steps needs non-negative values (CPM) and the
    matrix ``x`` has a negative value: an InputError naming the file and the first negative
    cell (``samples`` and ``genes`` name the rows and columns)."""
    needs = [s for s in expand(spec) if s.partition(":")[0] in NON_NEGATIVE_STEPS]
    if not needs:
        return
    rows, cols = np.nonzero(x < 0)
    if len(rows):
        raise InputError(
            f"--preprocess {spec}: {needs[0]} needs non-negative counts, but {len(rows)} "
            f"cell(s) are negative (first: sample {samples[rows[0]]!r}, gene "
            f"{genes[cols[0]]!r}, value {x[rows[0], cols[0]]:.4g}); data with negative values "
            "are not counts: leave --preprocess out (auto: chosen by the scale) or pass "
            "--preprocess standardize",
            path=path,
        )
