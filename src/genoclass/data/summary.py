"""A dataset at a glance: sizes, classes, lengths, N content, cleaning and duplicates of
sequences; samples, genes, value scale, missing cells, balance and near-identical samples
of an expression matrix."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoclass.data.leakage import cross_split_duplicates
from genoclass.errors import name_few
from genoclass.expression.scale import auto_pipeline, detect_scale, log_values
from genoclass.io.expression import ExpressionData, is_expression_source, read_expression
from genoclass.io.sequences import SequenceData, read_sequences

#: Pearson correlation (log scale, most variable genes) from which two samples count as
#: near-identical: replicates of one library, or one sample uploaded twice
NEAR_IDENTICAL_R = 0.999
#: genes (highest variance) the near-identical check correlates samples on
NEAR_IDENTICAL_GENES = 2000
#: class rows shown by ``format_expression_summary`` (the rest are counted)
SHOWN_CLASSES = 15


def summarize_path(path: str | Path, **columns: str | None) -> tuple[str, dict[str, Any]]:
    """Read ``path`` as sequences or as an expression matrix (``columns``: format,
    sequence_col, label_col, labels, orientation, missing; None means the default) and
    return its readable summary and the JSON-able summary behind it."""
    opts = {k: v for k, v in columns.items() if v is not None}
    if is_expression_source(
        path,
        format=opts.get("format"),
        labels=opts.get("labels"),
        sequence_col=opts.get("sequence_col"),
    ):
        data = read_expression(
            path,
            labels=opts.get("labels"),
            label_col=opts.get("label_col", "label"),
            orientation=opts.get("orientation", "auto"),
            missing=opts.get("missing", "impute-median"),  # count NaN cells, do not refuse
            labels_required=False,
        )
        summary = summarize_expression(data)
        return format_expression_summary(summary), summary
    sequences = read_sequences(
        path,
        format=opts.get("format", "auto"),
        sequence_col=opts.get("sequence_col", "sequence"),
        label_col=opts.get("label_col", "label"),
        labels_required=False,
    )
    summary = summarize_sequences(sequences)
    return format_summary(summary), summary


def summarize_expression(data: ExpressionData) -> dict[str, Any]:
    """Plain JSON-able summary of an expression matrix: ``source``, ``format``,
    ``orientation``, ``samples``, ``genes``, ``values`` (min / median / max), ``scale``
    (guess and evidence), ``default_preprocessing`` (what ``--preprocess auto`` picks for
    classical and neural models), ``missing`` (cells, samples and genes with any),
    ``constant_genes``, ``classes`` (label -> count; empty without labels) and
    ``near_identical`` (sample pairs of Pearson r >= ``NEAR_IDENTICAL_R``)."""
    x = data.matrix.to_numpy(dtype=np.float64)
    nan = np.isnan(x)
    guess = detect_scale(x)
    finite = x[~nan]
    labels = data.labels.dropna() if data.labels is not None else pd.Series(dtype=object)
    counts = labels.value_counts()
    return {
        "source": data.info["source"],
        "format": data.info["format"],
        "orientation": data.info["orientation"],
        "samples": int(x.shape[0]),
        "genes": int(x.shape[1]),
        "values": {
            "min": float(finite.min()) if finite.size else None,
            "median": float(np.median(finite)) if finite.size else None,
            "max": float(finite.max()) if finite.size else None,
        },
        "scale": {"guess": guess.kind, "evidence": guess.reason},
        "default_preprocessing": {
            kind: auto_pipeline(guess, neural=kind == "neural")[0]
            for kind in ("classical", "neural")
        },
        "missing": {
            "cells": int(nan.sum()),
            "samples": int(nan.any(axis=1).sum()),
            "genes": int(nan.any(axis=0).sum()),
        },
        "constant_genes": int((np.ptp(_filled(x), axis=0) == 0).sum()),
        "classes": {str(k): int(counts[k]) for k in sorted(counts.index)},
        "unlabelled": int(len(data.matrix) - len(labels)),
        "near_identical": near_identical_samples(data.matrix),
    }


def near_identical_samples(matrix: pd.DataFrame) -> dict[str, Any]:
    """Sample pairs whose profiles correlate at Pearson r >= ``NEAR_IDENTICAL_R`` over the
    ``NEAR_IDENTICAL_GENES`` most variable genes (counts compared as log2(x + 1), missing
    cells as the gene's median): ``pairs`` (count), ``samples`` (in any pair), ``first``
    (up to five pairs with r) and how the check was done."""
    x = log_values(_filled(matrix.to_numpy(dtype=np.float64)))
    variance = x.var(axis=0)
    keep = np.argsort(-variance, kind="stable")[:NEAR_IDENTICAL_GENES]
    x = x[:, keep] - x[:, keep].mean(axis=1, keepdims=True)
    norms = np.linalg.norm(x, axis=1)
    x = x / np.where(norms > 0, norms, 1)[:, None]
    r = np.triu(x @ x.T, k=1)
    rows, cols = np.nonzero(r >= NEAR_IDENTICAL_R)
    order = np.argsort(-r[rows, cols], kind="stable")
    ids = matrix.index
    return {
        "threshold_r": NEAR_IDENTICAL_R,
        "genes_compared": int(len(keep)),
        "pairs": int(len(rows)),
        "samples": int(len(set(rows) | set(cols))),
        "first": [
            [str(ids[rows[i]]), str(ids[cols[i]]), round(float(r[rows[i], cols[i]]), 5)]
            for i in order[:5]
        ],
    }


def _filled(x: np.ndarray) -> np.ndarray:
    """``x`` with each missing cell set to its gene's median (0 for a gene with no value)."""
    if not np.isnan(x).any():
        return x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN genes: median NaN, set to 0
        medians = np.nan_to_num(np.nanmedian(x, axis=0, keepdims=True))
    return np.where(np.isnan(x), medians, x)


def format_expression_summary(summary: dict[str, Any]) -> str:
    """Readable text (under 40 lines) of a :func:`summarize_expression` result."""
    values, missing, near = summary["values"], summary["missing"], summary["near_identical"]
    low, mid, high = (
        "n/a" if values[k] is None else f"{values[k]:,.4g}" for k in ("min", "median", "max")
    )
    pre = summary["default_preprocessing"]
    lines = [
        f"Source: {summary['source']} (expression matrix, {summary['format']}; "
        f"orientation {summary['orientation']})",
        f"Samples: {summary['samples']:,}   genes: {summary['genes']:,}",
        f"Values: min {low}, median {mid}, max {high}",
        f"Scale: {summary['scale']['guess']}: {summary['scale']['evidence']}",
        f"Default preprocessing (--preprocess auto): {pre['classical']} for classical "
        f"models, {pre['neural']} for neural models",
        f"Missing cells: {missing['cells']:,} (in {missing['samples']:,} samples and "
        f"{missing['genes']:,} genes)",
        f"Constant genes (no information): {summary['constant_genes']:,}",
        f"Near-identical samples (Pearson r >= {near['threshold_r']} on the "
        f"{near['genes_compared']:,} most variable genes): {near['pairs']:,} pairs, "
        f"{near['samples']:,} samples",
        *(f"  {a} ~ {b} (r {r})" for a, b, r in near["first"]),
        "",
        *_expression_classes(summary),
    ]
    return "\n".join(lines)


def _expression_classes(summary: dict[str, Any]) -> list[str]:
    """Class balance lines: the largest classes with counts and shares, the rest counted."""
    classes = summary["classes"]
    if not classes:
        return ["Classes: no labels (pass --labels FILE or --label-col NAME)"]
    total = sum(classes.values())
    ranked = sorted(classes.items(), key=lambda kv: (-kv[1], kv[0]))
    width = max(len(name) for name, _ in ranked[:SHOWN_CLASSES])
    lines = [f"Classes: {len(classes)} (largest / smallest: {ranked[0][1] / ranked[-1][1]:.1f})"]
    lines += [
        f"  {name.ljust(width)}  {n:>6,}  {n / total:6.1%}" for name, n in ranked[:SHOWN_CLASSES]
    ]
    if len(ranked) > SHOWN_CLASSES:
        rest = ranked[SHOWN_CLASSES:]
        lines.append(
            f"  ... {len(rest)} more classes ({sum(n for _, n in rest):,} samples): "
            + name_few([name for name, _ in rest], 3)
        )
    if summary["unlabelled"]:
        lines.append(f"  unlabelled samples: {summary['unlabelled']:,}")
    return lines


def summarize_sequences(data: SequenceData) -> dict:
    """Plain JSON-able summary of a :class:`SequenceData`, overall and per official split.

    Keys: ``source``, ``format``, ``n_sequences``, ``classes`` (label -> count),
    ``length`` (min / median / mean / max), ``n_fraction`` (share of bases that are N),
    ``sequences_with_n``, ``cleaning``, ``duplicates`` (see
    :func:`genoclass.data.leakage.cross_split_duplicates`) and ``splits`` (split name ->
    the same size, class and length figures; empty when the source has no split).
    """
    table = data.table
    sequences = table["sequence"]
    n_bases = int(sequences.str.len().sum())
    n_count = int(sequences.str.count("N").sum())
    present = table["split"].dropna().unique().tolist()
    splits = {
        name: _block(table[table["split"] == name])
        for name in ("train", "val", "test")
        if name in present
    }
    return {
        "source": data.source,
        "format": data.format,
        **_block(table),
        "n_fraction": n_count / n_bases if n_bases else 0.0,
        "sequences_with_n": int(sequences.str.contains("N", regex=False).sum()),
        "cleaning": dict(data.cleaning),
        "duplicates": cross_split_duplicates(table),
        "splits": splits,
    }


def _block(table: pd.DataFrame) -> dict:
    """Size, class counts and length statistics of some rows."""
    lengths = table["sequence"].str.len()
    counts = table["label"].dropna().value_counts()
    return {
        "n_sequences": len(table),
        "classes": {str(k): int(counts[k]) for k in sorted(counts.index)},
        "length": {
            "min": int(lengths.min()),
            "median": float(lengths.median()),
            "mean": float(lengths.mean()),
            "max": int(lengths.max()),
        },
    }


def format_summary(summary: dict) -> str:
    """Readable text of a :func:`summarize_sequences` result (for ``genoclass`` output)."""
    length, cleaning = summary["length"], summary["cleaning"]
    lines = [
        f"Source: {summary['source']} (format {summary['format']})",
        f"Sequences: {summary['n_sequences']:,} in {len(summary['classes'])} classes",
        f"Length: min {length['min']:,}, median {length['median']:,.0f}, "
        f"mean {length['mean']:,.1f}, max {length['max']:,}",
        f"N content: {summary['n_fraction']:.3%} of bases; "
        f"{summary['sequences_with_n']:,} sequences contain N",
        f"Cleaning: {cleaning.get('lowercase_uppercased', 0):,} sequences upper-cased, "
        f"{cleaning.get('ambiguous_to_N', 0):,} with IUPAC codes set to N",
        "",
        *_class_table(summary),
        "",
        *_duplicate_lines(summary["duplicates"]),
    ]
    return "\n".join(lines)


def _class_table(summary: dict) -> list[str]:
    """Class counts as a fixed-width table with one column per split."""
    columns = {"all": summary, **summary["splits"]}
    classes = list(summary["classes"])
    rows = [["class", *columns]]
    for label in classes:
        rows.append([label, *(f"{c['classes'].get(label, 0):,}" for c in columns.values())])
    rows.append(["total", *(f"{c['n_sequences']:,}" for c in columns.values())])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


def _duplicate_lines(duplicates: dict) -> list[str]:
    """Duplicate counts: repeats within each split, then sharing across split pairs."""
    within = duplicates["within"]
    if list(within) == ["all"]:
        lines = [f"Duplicate rows (repeating an earlier row): {within['all']:,}"]
    else:
        counts = ", ".join(f"{name} {n:,}" for name, n in within.items())
        lines = [f"Duplicate rows within a split: {counts}"]
    if duplicates["exact"]:
        pairs = ", ".join(
            f"{pair} {n:,} / {duplicates['reverse_complement'][pair]:,}"
            for pair, n in duplicates["exact"].items()
        )
        lines.append(f"Shared across splits (exact / reverse complement only): {pairs}")
    return lines
