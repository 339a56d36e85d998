"""The ``explain`` job: attributions, motifs (sequences) or biomarkers (expression) of a run.

Outputs in the explain directory (default ``RUN_DIR/explain``): ``attributions.npz``,
``motifs.csv`` and ``motifs.npz`` (``pwm_<motif>`` / ``cwm_<motif>``, (4, width), rows
A C G T) for sequence models, ``biomarkers.csv`` for expression models, and the
self-contained ``explain.html``; the run's report links to it when it lies in the run.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from genoclass.atomic import write_table_atomic, write_with
from genoclass.interpret.explainers import (
    ExplainOptions,
    ExpressionExplanation,
    SequenceExplanation,
    chosen_classes,
    resolve_methods,
)
from genoclass.interpret.seqlets import peak_windows, position_means
from genoclass.io.run_files import RunFiles
from genoclass.reporting.explain_report import ExplainPage, motif_tables, write_explain_report
from genoclass.reporting.logos import (
    plot_cwm_logo,
    plot_gene_bars,
    plot_logo,
    plot_profiles,
    plot_pwm_logo,
)
from genoclass.reporting.run_report import write_run_report
from genoclass.workflows.apply import TrainedRun, label_indices, read_for_run
from genoclass.workflows.kinds import input_kind
from genoclass.workflows.rundir import staged_directory

__all__ = ["ExplainOptions", "explain_dir", "run_explain"]

SEQUENCE_NOTES = [
    "Attributions explain each sequence for its own (true, correctly predicted) class: "
    "saliency = |gradient|, input_x_gradient, integrated_gradients (32 steps from an "
    "all-zero one-hot baseline), deeplift (captum, zero baseline), ism = in-silico "
    "saturation mutagenesis (mutant minus reference score, centred over the four bases).",
    "Seqlets are the 10-nt windows with the largest summed contribution of the observed "
    "bases (above the 95th percentile of all windows); they are clustered into motifs whose "
    "PWMs are matched to JASPAR CORE vertebrates (local pyjaspar database) with Tomtom "
    "(memelite). E-value = p-value x number of JASPAR matrices; pearson_r = mean column-wise "
    "Pearson correlation at the best alignment.",
    "Positions are whole bases counted from 1; logos stop at the end of each sequence.",
]
EXPRESSION_NOTES = [
    "Neural models: a gene's score for a class is its attribution (integrated gradients by "
    "default, from the all-zero input, i.e. the training mean of standardised data) "
    "averaged over the correctly classified samples of that class. Classical models: the "
    "drop in the true-class probability when the gene is permuted (for forests over the "
    "200 genes of highest impurity importance), averaged the same way.",
    "direction / log2_fold_change: class versus all other samples, on log2(x + 1) of "
    "count-scale input values (on the values themselves when they are log values or ratios). "
    "stability: fraction of 20 bootstrap resamples of the samples in which the gene stays "
    "in the class's top list.",
]


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write arrays to a compressed ``.npz`` file atomically."""

    def write(temp: Path) -> None:
        with open(temp, "wb") as handle:
            np.savez_compressed(handle, **arrays)

    write_with(path, write)


def explain_dir(run_dir: str | Path, out: str | Path | None) -> Path:
    """Where ``explain`` writes: ``out``, by default ``RUN_DIR/explain``."""
    return Path(out) if out else RunFiles(run_dir).explain


def run_explain(
    run_dir: str | Path,
    data: str | Path,
    out: str | Path | None = None,
    options: ExplainOptions | None = None,
    **columns: str | None,
) -> Path:
    """Explain the run's model on labelled ``data`` and write the explain directory ``out``
    (default ``RUN_DIR/explain``); returns its path."""
    options = options or ExplainOptions()
    run = TrainedRun.load(run_dir)
    options = replace(options, methods=resolve_methods(run.card.name, options.methods))
    kind = input_kind(run.card.input["input_kind"])
    split = options.split or kind.explain_split
    asked = None if split in ("all", "test-if-present") else split
    table = read_for_run(run, data, split=asked, labels_required=True, **columns)
    table, rows_note = explained_split(run, table, split, data)
    y = label_indices(table, run.card.classes, data)
    targets = chosen_classes(run.card.classes, options.classes)
    out = explain_dir(run.directory, out)
    with staged_directory(out, overwrite=True) as stage:
        explanation = kind.explainer(run.classifier, run.featurizer, table, y, targets, options)
        page = OUTPUTS[type(explanation)](run, explanation, targets, options, stage)
        page.summary = {"rows explained": rows_note, **page.summary}
        write_explain_report(page, stage, RunFiles(run.directory).report)
    if out.resolve().parent == run.directory.resolve():
        write_run_report(run.directory)
    return out


def explained_split(
    run: TrainedRun, table: pd.DataFrame, split: str, data: str | Path
) -> tuple[pd.DataFrame, str]:
    """The rows to explain and a sentence saying which: an asked split (already applied by
    the reader), every row for ``"all"``, and for ``"test-if-present"`` the run's test split
    when ``data`` holds its rows (training rows would show what the model memorised), else
    every row."""
    name = Path(data).name
    if split not in ("all", "test-if-present"):
        return table, f"the run's {split} split: {len(table)} rows of {name}"
    recorded = RunFiles(run.directory).splits
    if split == "test-if-present" and recorded.is_file():
        splits = pd.read_parquet(recorded, columns=["id", "split"])
        chosen = table[table["id"].isin(splits.loc[splits["split"] == "test", "id"])]
        if not chosen.empty:
            return (
                chosen.reset_index(drop=True),
                f"the run's test split: {len(chosen)} of the {len(table)} rows of {name}",
            )
    note = "" if split == "all" else " (none of them is in the run's test split)"
    return table, f"all {len(table)} rows of {name}{note}"


def write_sequence_outputs(
    run: TrainedRun,
    explained: SequenceExplanation,
    targets: list[int],
    options: ExplainOptions,
    out: Path,
) -> ExplainPage:
    """Write attributions.npz, motifs.csv and motifs.npz of a sequence model; returns the
    page content (class profiles, logos, JASPAR-matched motifs)."""
    save_npz(
        out / "attributions.npz",
        id=explained.ids,
        target=explained.target,
        onehot=explained.onehot,
        lengths=explained.lengths,
        **explained.attributions,
    )
    motifs = explained.motifs
    write_table_atomic(motifs.drop(columns=["pwm", "cwm"]), out / "motifs.csv")
    save_npz(
        out / "motifs.npz",
        **{
            f"{kind}_{row.motif}": getattr(row, kind)
            for row in motifs.itertuples()
            for kind in ("pwm", "cwm")
        },
    )
    return sequence_page(run, explained, targets, options)


def sequence_page(
    run: TrainedRun, explained: SequenceExplanation, targets: list[int], options: ExplainOptions
) -> ExplainPage:
    """The explain.html content of a sequence model."""
    classes = run.card.classes
    target, lengths = explained.target, explained.lengths
    contributions, motifs, rejected = explained.contributions, explained.motifs, explained.rejected
    scores = contributions.sum(1)
    profiles = {
        classes[c]: position_means(scores[target == c], lengths[target == c]) for c in targets
    }
    logos = []
    for c in targets:
        chosen = np.flatnonzero(target == c)
        strongest = chosen[np.argsort(-scores[chosen].max(1))][: options.n_logos]
        starts, stops = peak_windows(scores[strongest], lengths[strongest], 50)
        for i, start, stop in zip(strongest, starts, stops, strict=True):
            title = f"{classes[c]}: {explained.ids[i]}, positions {start + 1}-{stop}"
            logo = plot_logo(contributions[i][:, start:stop], title, first_position=start + 1)
            logos.append((title, logo))
    motif_figures = []
    for row in motifs.itertuples():
        match = f" ~ {row.jaspar_name} ({row.jaspar_id})" if isinstance(row.jaspar_id, str) else ""
        motif_figures.append((row.motif, plot_pwm_logo(row.pwm, f"{row.motif}{match}")))
        motif_figures.append((row.motif, plot_cwm_logo(row.cwm, f"{row.motif} contributions")))
    tables = motif_tables(motifs, rejected)
    return ExplainPage(
        title=f"genoclass explain: {run.card.name}",
        summary={
            "model": run.card.name,
            "run": str(run.directory),
            "methods": ", ".join(options.methods),
            "sequences explained (correctly classified)": len(target),
            "motifs reported": len(motifs),
            "motif candidates rejected": len(rejected),
        },
        tables=tables,
        figures={
            "Mean attribution profile per class": [
                ("profiles", plot_profiles(profiles, options.methods[0]))
            ],
            "Attribution logos (strongest sequences)": logos,
            "Motif logos (PWM in bits, CWM)": motif_figures,
        },
        notes=SEQUENCE_NOTES,
        section_notes={next(iter(tables)): options.motif_thresholds.describe()},
    )


def write_expression_outputs(
    run: TrainedRun,
    explained: ExpressionExplanation,
    targets: list[int],
    options: ExplainOptions,
    out: Path,
) -> ExplainPage:
    """Write attributions.npz and biomarkers.csv of an expression model; returns the page
    content (top genes per class)."""
    save_npz(out / "attributions.npz", id=explained.ids, **explained.arrays)
    markers = explained.markers
    write_table_atomic(markers, out / "biomarkers.csv")
    bars = [
        (name, plot_gene_bars(group, f"{name}: top {options.top_genes} genes"))
        for name, group in markers.groupby("class", sort=False)
    ]
    return ExplainPage(
        title=f"genoclass explain: {run.card.name}",
        summary={
            "model": run.card.name,
            "run": str(run.directory),
            "method": explained.method,
            "samples": len(explained.ids),
            "correctly classified": int(explained.correct.sum()),
            "genes": len(explained.genes),
        },
        tables={"Biomarkers per class": markers},
        figures={"Top genes per class": bars},
        notes=EXPRESSION_NOTES,
    )


#: kind of explanation -> writer of its files, returning the page content
OUTPUTS = {
    SequenceExplanation: write_sequence_outputs,
    ExpressionExplanation: write_expression_outputs,
}
