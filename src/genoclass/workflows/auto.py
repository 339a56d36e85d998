"""``--model auto``: fit every candidate model on the training split and keep the one with
the highest validation MCC.

Only the validation split is scored while choosing, so the test split never steers the
choice (its labels are read with the data but no candidate is scored on them). The chosen
candidate's fitted model is kept (only the best so far is held in memory) and becomes the
run: the test split is scored once, after the choice, so the run's validation figures are
exactly the candidate's and auto costs the sum of its candidates' fits, nothing more.

A candidate is a model with its training recipe: the settings it is only good with, applied
wherever the user left the library default (a setting the user changed, such as ``--epochs
2`` in a quick test, applies to every neural candidate as given). Candidates, cheapest first
(a tie on validation MCC keeps the earlier, cheaper one):

=================== ============================================ ============================
sequences           recipe                                       why
=================== ============================================ ============================
kmer_nb             (none: fitted in one step)                   seconds; strong on small data
kmer_lr             (none: fitted in one step)                   the 6-mer baseline of GUE
fast_accurate_cnn   library defaults                             chosen with them (S0)
gated_dilated_cnn   ``--epochs 20 --lr 3e-3 --augment rc=0.5``   chosen on GUE dev splits
=================== ============================================ ============================

Expression data: ``logistic_regression``, ``random_forest``, ``expr_mlp`` (library defaults).

With ``time_budget`` (``--time-budget MIN``) the candidates share that many wall-clock
minutes, counted from the start: a neural candidate stops at the end of the epoch that spends
what is left (its best epoch so far is kept), and a candidate with nothing left is recorded
as skipped and never chosen; the first candidate always runs.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genoclass.config import TrainConfig, default_of
from genoclass.errors import InputError
from genoclass.models import get_spec
from genoclass.training.progress import Steps
from genoclass.workflows.fitting import (
    FittedModel,
    fit_one,
    model_card,
    prepare,
    require_test,
    training_data,
)
from genoclass.workflows.inputs import LabelledData, check_run
from genoclass.workflows.kinds import input_kind

AUTO = "auto"


@dataclass(frozen=True)
class Candidate:
    """One ``--model auto`` candidate: a registered model, its recipe (TrainConfig settings
    it gets where the user left the library default) and why it is a candidate."""

    model: str
    recipe: Mapping[str, Any] = field(default_factory=dict)
    why: str = ""


#: candidates per kind of data, cheapest first (a tie keeps the earlier, cheaper one)
CANDIDATES: dict[str, tuple[Candidate, ...]] = {
    "sequence": (
        Candidate("kmer_nb", why="9-mer naive Bayes: seconds to fit, strong on small data"),
        Candidate("kmer_lr", why="raw 6-mer counts + logistic regression: the GUE baseline"),
        Candidate("fast_accurate_cnn", why="trained with the library defaults (study S0)"),
        Candidate(
            "gated_dilated_cnn",
            {"epochs": 20, "lr": 3e-3, "augment": {"rc": 0.5}},
            "only good with its recipe, chosen on GUE dev splits (BENCHMARKS.md)",
        ),
    ),
    "expression": (
        Candidate("logistic_regression", why="linear baseline, fitted in one step"),
        Candidate("random_forest", why="non-linear, robust to scale"),
        Candidate("expr_mlp", why="neural model with the library defaults"),
    ),
}

#: settings recorded in a candidate's metrics.json row, per model family
RECORDED_SETTINGS: dict[str, tuple[str, ...]] = {
    "neural": (
        "epochs",
        "lr",
        "recipe",
        "batch_size",
        "augment",
        "weight_decay",
        "label_smoothing",
        "ema",
        "class_weights",
        "time_budget",
    ),
    "classical": ("class_weights",),
}


@dataclass
class AutoChoice:
    """The outcome of ``choose_model``: the chosen candidate's effective settings and fitted
    model (validation scored, test not yet) and the record for metrics.json (``auto``)."""

    config: TrainConfig
    fitted: FittedModel
    record: dict[str, Any]


def read_for_auto(config: TrainConfig) -> tuple[str, LabelledData]:
    """The data's kind and the data, read once for every candidate of that kind (they share
    one reader): ``sequence`` when ``config.data`` reads as labelled sequences, else
    ``expression`` (a matrix of samples x genes); an input that is neither raises the
    sequence reader's error, which names the file and the problem."""
    try:
        return "sequence", input_kind("tokens").reader(config)
    except InputError as sequence_error:
        try:
            return "expression", input_kind("expression").reader(config)
        except InputError:
            raise sequence_error from None


def candidate_config(config: TrainConfig, candidate: Candidate) -> tuple[TrainConfig, list[str]]:
    """The settings ``candidate`` trains with: ``config`` with its model, and its recipe for
    every setting ``config`` leaves at the library default (augmentation is dropped for a
    classical model, which has none); also the names of the settings taken from the recipe."""
    taken = {k: v for k, v in candidate.recipe.items() if getattr(config, k) == default_of(k)}
    changes: dict[str, Any] = {"model": candidate.model, **taken}
    if get_spec(candidate.model).family == "classical":
        changes["augment"] = {}
    return dataclasses.replace(config, **changes), sorted(taken)


def _settings_of(config: TrainConfig) -> dict[str, Any]:
    """The settings of ``config`` recorded in its candidate row (``RECORDED_SETTINGS``)."""
    family = get_spec(config.model).family
    return {name: getattr(config, name) for name in RECORDED_SETTINGS.get(family, ())}


def check_auto(config: TrainConfig, *, resume: bool = False) -> None:
    """Refuse what ``--model auto`` cannot do, before any work: per-model hyperparameters,
    a start from an earlier run, and resuming (candidates always start afresh)."""
    if config.model_params:
        raise InputError(
            "--param names one model's hyperparameters; it cannot go with --model auto"
        )
    if config.init is not None:
        raise InputError("--init starts one model from an earlier run; not with --model auto")
    if resume:
        raise InputError(
            "--resume continues one model's interrupted fit; --model auto fits its candidates "
            "afresh: run it again without --resume"
        )


def choose_model(
    config: TrainConfig, *, progress: bool = False, data: LabelledData | None = None
) -> AutoChoice:
    """Fit each candidate for the data's kind (``CANDIDATES``, on ``data`` when given,
    already read, else on ``config.data``) within ``config.time_budget``, and return the one
    with the highest validation MCC with the record of the choice: ``chosen``,
    ``selection`` and one row per candidate (validation MCC, accuracy and macro F1,
    parameters, CPU seconds, effective settings, why the fit stopped, or why it was
    skipped)."""
    check_auto(config)
    start = time.perf_counter()
    budget = None if config.time_budget is None else config.time_budget * 60
    if data is None:
        kind, data = read_for_auto(config)
    else:
        kind = "expression" if "sequence" not in data.table else "sequence"
    rows: list[dict[str, Any]] = []
    best: tuple[dict[str, Any], TrainConfig, FittedModel] | None = None
    candidates = CANDIDATES[kind]
    with Steps(len(candidates), "auto: candidate") as steps:
        for candidate in candidates:
            settings, taken = candidate_config(config, candidate)
            row = {"model": candidate.model, "recipe_applied": taken}
            row["settings"] = _settings_of(settings)
            left = None if budget is None else budget - (time.perf_counter() - start)
            if left is not None and left <= 0 and best is not None:
                row["skipped"] = f"time budget spent ({budget - left:.1f} of {budget:.1f} s)"
                rows.append(row)
                steps.step(f"{candidate.model}: skipped ({row['skipped']})")
                continue
            fitted = _fit_candidate(settings, data, row, progress=progress, max_seconds=left)
            rows.append(row)
            steps.step(
                f"{candidate.model}: validation MCC {row['val_mcc']:.3f}, accuracy "
                f"{row['val_accuracy']:.3f} ({row['cpu_seconds']} CPU s)"
            )
            if best is None or row["val_mcc"] > best[0]["val_mcc"]:
                best = (row, settings, fitted)  # the earlier best is let go
    _, chosen, fitted = best
    print(f"auto: chose {chosen.model} (highest validation MCC)", flush=True)
    record = {
        "chosen": chosen.model,
        "selection": "highest validation MCC",
        "candidates": rows,
        "skipped": sum("skipped" in row for row in rows),
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    if budget is not None:
        record["time_budget_seconds"] = budget
    return AutoChoice(chosen, fitted, record)


def _fit_candidate(
    config: TrainConfig,
    data: LabelledData,
    row: dict[str, Any],
    *,
    progress: bool,
    max_seconds: float | None,
) -> FittedModel:
    """Prepare and fit one candidate's settings, scoring the validation split only, and add
    its figures to its ``row``."""
    spec, _ = check_run(config)
    prep = prepare(config, spec, data)
    if "val" not in prep.features:
        raise InputError(
            "--model auto chooses on the validation split: give --val or --val-size > 0"
        )
    require_test(prep)
    cpu = time.process_time()
    card = model_card(config, prep, training_data=training_data(prep.table))
    fitted = fit_one(
        config, prep, splits=("val",), progress=progress, card=card, max_seconds=max_seconds
    )
    val = fitted.metrics("val")
    row.update(
        val_mcc=round(float(val["mcc"]), 4),
        val_accuracy=round(float(val["accuracy"]), 4),
        val_f1_macro=round(float(val["f1_macro"]), 4),
        params=fitted.classifier.n_parameters(),
        cpu_seconds=round(time.process_time() - cpu, 1),
    )
    if fitted.report.stop_reason is not None:
        row.update(
            epochs_run=fitted.report.epochs_run,
            best_epoch=fitted.report.best_epoch,
            stopped=fitted.report.stop_reason,
        )
    return fitted
