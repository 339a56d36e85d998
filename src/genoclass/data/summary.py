"""A dataset at a glance: sizes, classes, lengths, N content, cleaning and duplicates."""

from __future__ import annotations

import pandas as pd

from genoclass.data.leakage import cross_split_duplicates
from genoclass.io.sequences import SequenceData


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
