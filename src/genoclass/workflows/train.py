"""The ``train`` job: read, split, encode, fit, evaluate and write the run directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genoclass.atomic import write_table_atomic
from genoclass.config import HF_PREFIX, TrainConfig, is_main_process, read_yaml_mapping
from genoclass.data.leakage import SubstringIndex
from genoclass.data.qc import cheap_checks
from genoclass.errors import InputError
from genoclass.evaluation.metrics import predictions_frame
from genoclass.io.run_files import RunFiles
from genoclass.models.serialize import META, read_card_json
from genoclass.reporting.run_report import write_run_report
from genoclass.sequence.encoding import tokenize
from genoclass.training.classifier import Classifier
from genoclass.training.pretrain import corpus_occurrences, read_sequences_of
from genoclass.training.runtime import Runtime, applied
from genoclass.training.transfer import model_folder
from genoclass.workflows.auto import AUTO, check_auto, choose_model
from genoclass.workflows.fitting import (
    FittedModel,
    PreparedData,
    fingerprint,
    fit_one,
    model_card,
    prepare,
    require_test,
    score_splits,
    training_data,
)
from genoclass.workflows.inputs import LabelledData, check_run
from genoclass.workflows.kinds import input_kind
from genoclass.workflows.rundir import refuse_existing, staged_directory, write_json, write_yaml


@dataclass
class TrainingResult:
    """A finished training run: its directory, classifier, metrics and settings."""

    directory: Path
    classifier: Classifier
    metrics: dict[str, Any]
    config: TrainConfig


def run_training(
    config: TrainConfig,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    data: LabelledData | None = None,
) -> Path:
    """Train ``config.model`` on ``config.data`` and write the run directory ``config.out``;
    ``data`` (already read, e.g. one cross-validation fold with its splits) skips reading."""
    return train(config, resume=resume, overwrite=overwrite, progress=progress, data=data).directory


def train(
    config: TrainConfig,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    data: LabelledData | None = None,
) -> TrainingResult:
    """``run_training``, returning the run in memory as well: check the options, read,
    prepare, fit one configuration, measure it and write the run directory."""
    if not config.out:
        raise InputError("--out is required")
    if config.model == AUTO:
        return _train_auto(config, resume=resume, overwrite=overwrite, progress=progress, data=data)
    spec, _ = check_run(config)
    if data is None:
        data = input_kind(spec.input_kind).reader(config)
    prep = prepare(config, spec, data)
    require_test(prep)
    prep.info["checks"] = cheap_checks(prep.table)  # once per run, not per candidate or trial
    announce(prep)
    leakage = init_corpus_leakage(config.init, prep.table) if config.init else None
    card = model_card(config, prep, training_data=training_data(prep.table))
    out = Path(config.out)
    with staged_directory(out, overwrite=overwrite, resume=resume) as stage:
        fitted = fit_one(
            config,
            prep,
            progress=progress,
            card=card,
            checkpoint_dir=RunFiles(stage).checkpoints,
            resume=resume,
            identity=_command_identity(config, card.hparams, prep.table),
        )
        metrics = run_metrics(config, prep, fitted)
        if leakage is not None:
            metrics["init"]["corpus_leakage"] = leakage
        write_run(RunFiles(stage), config, prep, fitted, metrics)
    return TrainingResult(out, fitted.classifier, metrics, config)


def _train_auto(
    config: TrainConfig,
    *,
    resume: bool,
    overwrite: bool,
    progress: bool,
    data: LabelledData | None,
) -> TrainingResult:
    """``train`` with ``--model auto``: choose a candidate on validation (``workflows.auto``)
    and write the run from its fitted model, scoring the test split once, after the choice
    (no second fit); the run's config.yaml holds the chosen candidate's settings."""
    check_auto(config, resume=resume)
    out = Path(config.out)
    refuse_existing(out, overwrite=overwrite)  # before fitting any candidate
    choice = choose_model(config, progress=progress, data=data)
    fitted, prep = choice.fitted, choice.fitted.prep
    prep.info["checks"] = cheap_checks(prep.table)
    announce(prep)
    with staged_directory(out, overwrite=overwrite) as stage:
        with applied(Runtime.of(choice.config)):
            score_splits(fitted, ("test",))
        metrics = run_metrics(choice.config, prep, fitted)
        metrics["auto"] = choice.record
        write_run(RunFiles(stage), choice.config, prep, fitted, metrics)
    return TrainingResult(out, fitted.classifier, metrics, choice.config)


def init_corpus_leakage(init: str, table: pd.DataFrame) -> dict[str, Any] | None:
    """How many of this run's validation and test sequences occur, on either strand, inside
    the data the ``--init`` model learnt from (its pretraining corpus, or a supervised run's
    data, validation and test files); printed, and recorded in metrics.json. None for
    expression data."""
    if "sequence" not in table:
        return None
    if init.startswith(HF_PREFIX):
        reason = "a Hugging Face model: its pretraining data are not on this machine"
        print(f"init corpus leakage: not checked ({reason})")
        return {"checked": False, "reason": reason}
    folder = model_folder(Path(init))
    pretrained = read_card_json(folder / META).get("extra", {}).get("pretrained")
    settings = RunFiles(folder.parent).config
    recorded = read_yaml_mapping(settings, "run config") if settings.is_file() else {}
    if pretrained:
        paths, what = list(pretrained["data"]), "its pretraining corpus"
    else:
        paths = [recorded[k] for k in ("data", "val", "test") if recorded.get(k)]
        what = "its training run's data files"
    missing = [p for p in paths if not Path(p).exists()]
    if not paths or missing:
        reason = f"not found: {missing}" if missing else "no record of the data"
        print(f"init corpus leakage: not checked ({what} {reason})")
        return {"checked": False, "reason": f"{what} {reason}"}
    result: dict[str, Any] = {"checked": True, "corpus": paths, "either_strand": True}
    held_out = table[table["split"].isin(("val", "test"))]
    sequences = held_out["sequence"].tolist()
    found = corpus_occurrences(  # one pass over the corpus for both splits
        paths,
        sequences,
        fmt=recorded.get("format", "auto"),
        sequence_col=recorded.get("sequence_col", "sequence"),
    )
    # pretrain --exclude dropped every window holding an excluded sequence: a sequence that
    # contains one was never seen, wherever it occurs in the corpus
    excluded = recorded.get("exclude") if pretrained else None
    hidden = np.zeros(len(sequences), dtype=bool)
    if excluded:
        hidden = SubstringIndex(read_sequences_of(excluded)).search(*tokenize(sequences))[0]
        hidden &= found
    for name in ("val", "test"):
        rows = (held_out["split"] == name).to_numpy()
        result[name] = {"n": int(rows.sum()), "in_corpus": int((found & ~hidden)[rows].sum())}
        if excluded:
            result[name]["excluded"] = int(hidden[rows].sum())
    print(
        f"init corpus leakage: {result['val']['in_corpus']} of {result['val']['n']} validation "
        f"and {result['test']['in_corpus']} of {result['test']['n']} test sequences occur in "
        f"{what} (either strand)"
        + (
            f"; {result['val']['excluded'] + result['test']['excluded']} more were excluded "
            "from pretraining"
            if excluded
            else ""
        )
    )
    return result


def announce(prep: PreparedData) -> None:
    """Print the split sizes, classes, cross-split duplicates, failed data checks (with their
    fix) and split groups."""
    counts = {s: len(f) for s, f in prep.features.items()}
    dup = prep.info.get("duplicates", {})
    print(
        f"data: {counts.get('train', 0)} train / {counts.get('val', 0)} val / {counts['test']} test"
        f"; classes {prep.classes}"
        + (
            f"; cross-split duplicates: {dup.get('total_cross_split_exact', 0)} exact, "
            f"{dup.get('total_cross_split_rc', 0)} reverse-complement"
            if dup
            else ""
        )
    )
    for check in prep.info.get("checks", {}).get("checks", []):
        if check["status"] == "fail":  # the full picture: genoclass data qc
            print(f"warning: data check {check['name']} failed: {check['fix']}")
    if "grouping" in prep.info:
        grouping, balance = prep.info["grouping"], prep.info["split_balance"]["splits"]
        print(
            f"split groups: {grouping['groups']} (largest {grouping['largest_group']} rows); "
            "class proportions per split differ from the overall ones by at most "
            f"{max(s['max_deviation'] for s in balance.values()):.3f}"
        )


def run_metrics(config: TrainConfig, prep: PreparedData, fitted: FittedModel) -> dict[str, Any]:
    """metrics.json of a fitted run: metrics of the scored splits (test with bootstrap
    intervals), split sizes, fitting facts, speed, size and data facts."""
    counts = {s: len(f) for s, f in prep.features.items()}
    metrics: dict[str, Any] = {
        "task": "binary" if len(prep.classes) == 2 else "multiclass",
        "classes": prep.classes,
        "model": config.model,
    }
    for split in fitted.proba:
        metrics[split] = fitted.metrics(split, seed=config.seed, with_ci=split == "test")
    report = fitted.report
    metrics.update(
        n_train=counts.get("train", 0),
        n_val=counts.get("val", 0),
        n_test=counts["test"],
        epochs_run=report.epochs_run,
        best_epoch=report.best_epoch,
        train_seconds=round(report.train_seconds, 3),
        # model time on the encoded test rows (reading and tokenising excluded)
        inference_seq_per_s=round(counts["test"] / max(fitted.test_seconds, 1e-9), 1),
        stop_reason=report.stop_reason,
        params=fitted.classifier.n_parameters(),
        runtime=fitted.runtime,
        data=prep.info,
    )
    if config.time_budget is not None:
        metrics["time_budget_minutes"] = config.time_budget
    transfer = getattr(fitted.classifier, "transfer", None)
    if transfer is not None:
        metrics["init"] = transfer.origin
    return metrics


def write_run(
    files: RunFiles,
    config: TrainConfig,
    prep: PreparedData,
    fitted: FittedModel,
    metrics: dict[str, Any],
) -> None:
    """Write every file of the run directory ``files`` (the report last; nothing in a
    process other than rank 0 of a multi-process run)."""
    if not is_main_process():
        return
    fitted.classifier.save(files.model)
    keep_files = getattr(prep.featurizer, "save", None)  # featurizers may keep files (a trunk)
    if keep_files is not None:
        keep_files(files.model)
    write_yaml(files.config, config.to_dict(), comment=_store_note(prep))
    write_json(files.metrics, metrics)
    test_rows = prep.table[prep.table["split"] == "test"]
    predictions = predictions_frame(
        prep.ids(test_rows),
        prep.features["test"].y,
        fitted.proba["test"],
        prep.classes,
    )
    write_table_atomic(predictions, files.predictions)
    split_cols = [c for c in ("id", "store_row", "source_row", "label", "split") if c in prep.table]
    write_table_atomic(prep.table[split_cols], files.splits)
    if fitted.report.history is not None:
        write_table_atomic(fitted.report.history, files.history)
    write_run_report(files.root)


def _store_note(prep: PreparedData) -> str | None:
    """What config.yaml notes about a packed store read as --data: the SHA-256 of its
    manifest (which holds the checksum of every array), so the exact data can be found."""
    if prep.store is None:
        return None
    sha = prep.info["files"]["data"]["manifest_sha256"]  # hashed when the store was opened
    return f"data: packed sequence store, manifest.json sha256 {sha}"


#: settings that may change between an interrupted run and its --resume (paths may move:
#: the data's fingerprint is compared instead; the number of processes may change: the
#: global batches are the same for any number)
RESUME_NEUTRAL = (
    "out",
    "data",
    "test",
    "val",
    "labels",
    "batch_memory_gb",
    "devices",
    "num_nodes",
    "strategy",
)


def _command_identity(
    config: TrainConfig, hparams: dict[str, Any], table: pd.DataFrame
) -> dict[str, Any]:
    """What makes two training commands the same run: settings, hyperparameters and every
    row with its split (a --resume must match it)."""
    settings = {k: v for k, v in config.to_dict().items() if k not in RESUME_NEUTRAL}
    return {**settings, "hparams": hparams, "data_fingerprint": fingerprint(table, with_split=True)}
