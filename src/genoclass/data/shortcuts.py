"""Single-feature shortcuts: how well one simple feature alone (length, GC, a base or
dinucleotide frequency, the base at one position, an expression sample's library size)
tells the classes apart, scored by AU-ROC.

A feature's AU-ROC is direction-free (``max(auc, 1 - auc)``: a feature that is *lower* in a
class separates it as well as one that is higher) and, for more than two classes, the
largest one-vs-rest value over the classes (the class the feature singles out best). 0.5
means no signal; pass <= 0.6 < warn <= 0.7 < fail, as in genomic-benchmarks-qc.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from genoclass.sequence.encoding import tokenize

PASS_MAX = 0.6
WARN_MAX = 0.7
#: features of one kind are summarised by their best AU-ROC
_BASES = "ACGT"
_DINUCLEOTIDES = [a + b for a in _BASES for b in _BASES]


def status(auroc: float) -> str:
    """``pass`` (<= 0.6), ``warn`` (<= 0.7) or ``fail`` for a shortcut AU-ROC."""
    return "pass" if auroc <= PASS_MAX else "warn" if auroc <= WARN_MAX else "fail"


def separability(values: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Direction-free AU-ROC of each column of ``values`` (n, f) for the labels: binary, the
    two-class AU-ROC; multi-class, the largest one-vs-rest AU-ROC over the classes."""
    values = np.asarray(values, dtype=np.float64)
    codes, classes = pd.factorize(pd.Series(labels), sort=True)
    n = len(codes)
    if len(classes) < 2 or values.shape[1] == 0:
        return np.full(values.shape[1], 0.5)
    ranks = rankdata(values, axis=0)  # ties share their average rank
    best = np.zeros(values.shape[1])
    for c in range(len(classes) if len(classes) > 2 else 1):
        inside = codes == c
        n_in = int(inside.sum())
        auc = (ranks[inside].sum(axis=0) - n_in * (n_in + 1) / 2) / (n_in * (n - n_in))
        best = np.maximum(best, np.maximum(auc, 1 - auc))
    return best


def sequence_features(sequences: Sequence[str], *, positions: bool) -> pd.DataFrame:
    """Per sequence: ``length``, ``gc`` and ``n_fraction`` (of all bases), base frequencies
    ``A``..``T``, dinucleotide frequencies ``AA``..``TT`` (over adjacent pairs of A/C/G/T)
    and, with ``positions`` (fixed-length data), ``pos<i>_<base>`` indicators."""
    seqs = list(sequences)
    tokens, lengths = tokenize(seqs)  # pad0 A1 C2 G3 T4 N5
    n, width = tokens.shape
    counts = np.stack([(tokens == t).sum(axis=1) for t in range(1, 6)], axis=1).astype(float)
    total = np.maximum(lengths, 1)[:, None]
    frame = {"length": lengths.astype(float)}
    frame["gc"] = (counts[:, 1] + counts[:, 2]) / np.maximum(counts[:, :4].sum(axis=1), 1)
    frame["n_fraction"] = counts[:, 4] / total[:, 0]
    for i, base in enumerate(_BASES):
        frame[base] = counts[:, i] / total[:, 0]
    pairs = (tokens[:, :-1] - 1) * 4 + (tokens[:, 1:] - 1)
    valid = (tokens[:, :-1] >= 1) & (tokens[:, :-1] <= 4) & (tokens[:, 1:] >= 1)
    valid &= tokens[:, 1:] <= 4
    n_pairs = np.maximum(valid.sum(axis=1), 1)
    for code, pair in enumerate(_DINUCLEOTIDES):
        frame[pair] = ((pairs == code) & valid).sum(axis=1) / n_pairs
    if positions:
        for i, base in enumerate(_BASES):
            hits = tokens == i + 1
            for p in range(width):
                frame[f"pos{p + 1}_{base}"] = hits[:, p].astype(float)
    return pd.DataFrame(frame)


def feature_kind(name: str) -> str:
    """The kind a feature belongs to: length, gc, n_fraction, base, dinucleotide, position
    (other names are their own kind)."""
    if name in _BASES:
        return "base"
    if name in _DINUCLEOTIDES:
        return "dinucleotide"
    if name.startswith("pos") and "_" in name:
        return "position"
    return name


def shortcut_table(features: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """AU-ROC and status of every feature, highest AU-ROC first (columns ``feature``,
    ``kind``, ``auroc``, ``status``)."""
    auc = separability(features.to_numpy(), labels)
    table = pd.DataFrame(
        {
            "feature": features.columns,
            "kind": [feature_kind(c) for c in features.columns],
            "auroc": auc,
        }
    )
    table["status"] = table["auroc"].map(status)
    return table.sort_values("auroc", ascending=False, kind="stable").reset_index(drop=True)


def shortcut_summary(table: pd.DataFrame, top: int = 10) -> dict:
    """JSON-able summary of a :func:`shortcut_table`: overall status (the worst feature's),
    best feature per kind, and the ``top`` features."""
    best = table.drop_duplicates("kind")
    return {
        "status": status(float(table["auroc"].max())) if len(table) else "pass",
        "definition": "direction-free AU-ROC of one feature; multi-class: largest one-vs-rest "
        f"value over the classes; pass <= {PASS_MAX} < warn <= {WARN_MAX} < fail",
        "by_kind": {
            r.kind: {"feature": r.feature, "auroc": round(float(r.auroc), 4), "status": r.status}
            for r in best.itertuples()
        },
        "top": [
            {
                "feature": r.feature,
                "kind": r.kind,
                "auroc": round(float(r.auroc), 4),
                "status": r.status,
            }
            for r in table.head(top).itertuples()
        ],
    }
