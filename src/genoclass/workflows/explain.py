"""The ``explain`` job: attributions, motifs (sequences) or biomarkers (expression) of a run.

Outputs in the explain directory (default ``RUN_DIR/explain``): ``attributions.npz``,
``motifs.csv`` and ``motifs.npz`` (``pwm_<motif>`` / ``cwm_<motif>``, (4, width), rows
A C G T) for sequence models, ``biomarkers.csv`` for expression models, and the
self-contained ``explain.html``; the run's report links to it when it lies in the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from genoclass.atomic import write_table_atomic, write_with
from genoclass.config import Bounds, check_fields, setting
from genoclass.data.featurize import featurizer_from_state
from genoclass.errors import InputError
from genoclass.interpret.attributions import METHODS, attribute, onehot_model
from genoclass.interpret.biomarkers import (
    biomarker_table,
    bootstrap_scores,
    class_means,
    classical_importance,
    correct_rows,
    impurity_importance,
    sample_attributions,
    top_k_frequency,
)
from genoclass.interpret.motifs import (
    MotifThresholds,
    build_motifs,
    information_content,
    jaspar_motifs,
    match_motifs,
    rejection_reasons,
)
from genoclass.interpret.seqlets import extract_seqlets, peak_windows, position_means
from genoclass.models import ModelSpec, get_spec
from genoclass.reporting.explain_report import ExplainPage, motif_tables, write_explain_report
from genoclass.reporting.logos import (
    plot_cwm_logo,
    plot_gene_bars,
    plot_logo,
    plot_profiles,
    plot_pwm_logo,
)
from genoclass.reporting.run_report import write_run_report
from genoclass.sequence.encoding import one_hot
from genoclass.training.fit import predict_any
from genoclass.workflows.apply import LoadedRun, label_indices, load_run, read_for_run
from genoclass.workflows.rundir import staged_directory

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


#: rows explained when --split is not given: sequence models on the run's test split (when
#: the data holds it; hundreds of sequences per class are plenty for motifs), expression
#: models on every labelled sample (permutation importance and bootstrap stability need
#: them: expression sets have tens of samples per class)
DEFAULT_SPLIT = {"tokens": "test-if-present", "onehot": "test-if-present", "expression": "all"}


@dataclass
class ExplainOptions:
    """Choices of ``genoclass explain``: methods, classes and how many samples to use."""

    methods: list[str] | None = None  # None: integrated gradients, or ISM where no gradient
    classes: list[str] | None = None
    split: str | None = None  # train, val, test or all; None: DEFAULT_SPLIT of the model kind
    # sequences per class (expression models use every sample)
    max_examples: int = setting(200, Bounds("int", 1, 10**7))
    top_genes: int = setting(20, Bounds("int", 1, 10**6))
    n_logos: int = 3
    seqlet_width: int = 10
    seed: int = 0
    motif_thresholds: MotifThresholds = field(default_factory=MotifThresholds)

    def __post_init__(self) -> None:
        check_fields(self)


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write arrays to a compressed ``.npz`` file atomically."""

    def write(temp: Path) -> None:
        with open(temp, "wb") as handle:
            np.savez_compressed(handle, **arrays)

    write_with(path, write)


def explain_dir(run_dir: str | Path, out: str | Path | None) -> Path:
    """Where ``explain`` writes: ``out``, by default ``RUN_DIR/explain``."""
    return Path(out) if out else Path(run_dir) / "explain"


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
    run = load_run(run_dir)
    options = replace(options, methods=resolve_methods(get_spec(run.card.name), options.methods))
    kind = run.card.input.get("input_kind")
    if kind not in EXPLAINERS:
        raise InputError(f"explain supports sequence and expression models, not {kind!r} input")
    split = options.split or DEFAULT_SPLIT[kind]
    asked = None if split in ("all", "test-if-present") else split
    table = read_for_run(run, data, split=asked, labels_required=True, **columns)
    table, rows_note = explained_split(run, table, split, data)
    y = label_indices(table, run.card.classes, data)
    targets = chosen_classes(run.card.classes, options.classes)
    out = explain_dir(run.directory, out)
    with staged_directory(out, overwrite=True) as stage:
        page = EXPLAINERS[kind](run, table, y, targets, options, stage)
        page.summary = {"rows explained": rows_note, **page.summary}
        write_explain_report(page, stage, run.directory / "report.html")
    if out.resolve().parent == run.directory.resolve():
        write_run_report(run.directory)
    return out


def explained_split(
    run: LoadedRun, table: pd.DataFrame, split: str, data: str | Path
) -> tuple[pd.DataFrame, str]:
    """The rows to explain and a sentence saying which: an asked split (already applied by
    the reader), every row for ``"all"``, and for ``"test-if-present"`` the run's test split
    when ``data`` holds its rows (training rows would show what the model memorised), else
    every row."""
    name = Path(data).name
    if split not in ("all", "test-if-present"):
        return table, f"the run's {split} split: {len(table)} rows of {name}"
    recorded = run.directory / "splits.parquet"
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


def resolve_methods(spec: ModelSpec, methods: list[str] | None) -> list[str]:
    """The attribution methods to run: the ones asked for (checked), else integrated
    gradients, or ISM for models whose input has no gradient."""
    if methods is None:
        return ["integrated_gradients" if spec.gradients else "ism"]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise InputError(f"unknown attribution method(s) {unknown}; use {sorted(METHODS)}")
    if not spec.gradients and set(methods) != {"ism"}:
        raise InputError(
            f"{spec.name} looks up k-mer identities, which have no input gradient; "
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
    run: LoadedRun,
    table: pd.DataFrame,
    y: np.ndarray,
    targets: list[int],
    options: ExplainOptions,
    out: Path,
) -> ExplainPage:
    """Attributions, class profiles, logos and JASPAR-matched motifs of a sequence model."""
    features = featurizer_from_state(run.card.input).transform(table, y)
    correct = correct_rows(predict_any(run.model, features), y)
    rows = pick_examples(y, correct, targets, options.max_examples, options.seed)
    if len(rows) == 0:
        raise InputError("no correctly classified sequences of the chosen classes to explain")
    batch = features.batch(rows)
    x, lengths, target = onehot_batch(batch), batch["lengths"], torch.from_numpy(y[rows])
    model = onehot_model(run.model, get_spec(run.card.name).gradients)
    attributions = {m: attribute(model, x, target, m, lengths).numpy() for m in options.methods}
    save_npz(
        out / "attributions.npz",
        id=table["id"].to_numpy()[rows].astype(str),
        target=y[rows],
        onehot=x.numpy(),
        lengths=lengths.numpy(),
        **attributions,
    )
    contributions = attributions[options.methods[0]] * x.numpy()
    motifs, rejected = learn_motifs(
        x.numpy(),
        contributions,
        lengths.numpy(),
        y[rows],
        targets,
        run,
        options.seqlet_width,
        options.motif_thresholds,
    )
    write_table_atomic(motifs.drop(columns=["pwm", "cwm"]), out / "motifs.csv")
    save_npz(
        out / "motifs.npz",
        **{
            f"{kind}_{row.motif}": getattr(row, kind)
            for row in motifs.itertuples()
            for kind in ("pwm", "cwm")
        },
    )
    explained = Explained(table["id"].to_numpy()[rows].astype(str), y[rows], lengths.numpy())
    return sequence_page(run, contributions, explained, targets, motifs, rejected, options)


@dataclass
class Explained:
    """The explained sequences: ids, class indices and lengths (padding excluded)."""

    ids: np.ndarray
    target: np.ndarray
    lengths: np.ndarray


#: what ``learn_motifs`` records of each candidate motif
CANDIDATE_COLUMNS = [
    "class",
    "cluster",
    "n_seqlets",
    "n_sequences",
    "n_explained",
    "width",
    "consensus",
    "information_bits",
    "mean_contribution",
    "pwm",
    "cwm",
]


def learn_motifs(
    onehot: np.ndarray,
    contributions: np.ndarray,
    lengths: np.ndarray,
    target: np.ndarray,
    targets: list[int],
    run: LoadedRun,
    width: int,
    thresholds: MotifThresholds,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Motifs per explained class that pass ``thresholds``, with their statistics and
    JASPAR matches (the PWM and CWM ride along in object columns for the plots), and the
    rejected candidates with the reason."""
    records = []
    for c in targets:
        chosen = target == c
        scores = contributions[chosen].sum(1)
        seqlets = extract_seqlets(scores, lengths[chosen], width=width)
        found = build_motifs(
            onehot[chosen], contributions[chosen], seqlets, min_seqlets=thresholds.min_seqlets
        )
        for k, motif in enumerate(found):
            records.append(
                {
                    "class": run.card.classes[c],
                    "cluster": k + 1,
                    "n_seqlets": motif.n_seqlets,
                    "n_sequences": int(seqlets.loc[motif.members, "example"].nunique()),
                    "n_explained": int(chosen.sum()),
                    "width": motif.pwm.shape[1],
                    "consensus": motif.consensus,
                    "information_bits": round(float(information_content(motif.pwm).sum()), 3),
                    "mean_contribution": float(motif.cwm.sum()),
                    "pwm": motif.pwm,
                    "cwm": motif.cwm,
                }
            )
    candidates = pd.DataFrame(records, columns=CANDIDATE_COLUMNS)
    candidates["rejected_because"] = rejection_reasons(candidates, thresholds)
    reported = candidates["rejected_because"] == ""
    motifs = candidates[reported].drop(columns=["rejected_because"]).reset_index(drop=True)
    rank = motifs.groupby("class", sort=False).cumcount() + 1
    motifs.insert(1, "motif", motifs["class"] + "_" + rank.astype(str))
    rejected = candidates[~reported].drop(columns=["pwm", "cwm"]).reset_index(drop=True)
    matches = match_motifs(list(motifs["pwm"]), jaspar_motifs(), max_evalue=thresholds.max_evalue)
    return pd.concat([motifs, matches], axis=1), rejected


def sequence_page(
    run: LoadedRun,
    contributions: np.ndarray,
    explained: Explained,
    targets: list[int],
    motifs: pd.DataFrame,
    rejected: pd.DataFrame,
    options: ExplainOptions,
) -> ExplainPage:
    """The explain.html content of a sequence model."""
    classes = run.card.classes
    target, lengths = explained.target, explained.lengths
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


def explain_expression(
    run: LoadedRun,
    table: pd.DataFrame,
    y: np.ndarray,
    targets: list[int],
    options: ExplainOptions,
    out: Path,
) -> ExplainPage:
    """Per-class gene importance, biomarker table and bar plots of an expression model."""
    featurizer = featurizer_from_state(run.card.input)
    features = featurizer.transform(table, y)
    genes = list(featurizer.pipeline.genes_out)
    values = table.reindex(columns=genes).to_numpy(dtype=np.float64)
    values = np.where(np.isnan(values), features.x, values)
    correct = correct_rows(predict_any(run.model, features), y)
    if isinstance(run.model, nn.Module):
        x = torch.from_numpy(features.x)
        arrays = {m: sample_attributions(run.model, x, y, m) for m in options.methods}
        method = options.methods[0]
    else:
        arrays = {"permutation": classical_importance(run.model, features.x, y, seed=options.seed)}
        method = "permutation"
    save_npz(out / "attributions.npz", id=table["id"].to_numpy().astype(str), **arrays)
    n = len(run.card.classes)
    scores = class_means(arrays[method], y, n, correct)
    stability = top_k_frequency(bootstrap_scores(arrays[method], y, correct, n), options.top_genes)
    markers = biomarker_table(
        scores, values, y, run.card.classes, genes, top=options.top_genes, stability=stability
    )
    markers = markers[markers["class"].isin([run.card.classes[c] for c in targets])]
    if not isinstance(run.model, nn.Module) and hasattr(run.model, "feature_importances"):
        impurity = dict(zip(genes, impurity_importance(run.model), strict=True))
        markers = markers.assign(impurity_importance=markers["gene"].map(impurity))
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
            "method": method,
            "samples": len(y),
            "correctly classified": int(correct.sum()),
            "genes": len(genes),
        },
        tables={"Biomarkers per class": markers},
        figures={"Top genes per class": bars},
        notes=EXPRESSION_NOTES,
    )


#: model input kind -> explainer writing its arrays and returning the page content
EXPLAINERS = {
    "tokens": explain_sequences,
    "onehot": explain_sequences,
    "expression": explain_expression,
}
