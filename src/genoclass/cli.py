"""Command-line front end: parses arguments, calls a workflow, prints; nothing else."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from genoclass import __version__
from genoclass.config import (
    ACCELERATORS,
    HF_PREFIX,
    PRECISIONS,
    STRATEGIES,
    is_main_process,
    quiet_unless_main,
)
from genoclass.errors import GenoclassError, InputError, InputWarning, Interrupted, one_line

if TYPE_CHECKING:
    from genoclass.config import TrainConfig

Handler = Callable[[argparse.Namespace], int]


def _data_options(p: argparse.ArgumentParser, *, expression: bool = True) -> None:
    """The options that say how to read input data, one definition for every command that
    reads data (train, compare, tune, evaluate, predict, embed, explain, data summary, data qc;
    ``expression=False`` for sequence-only commands). Unset options mean the command's
    default: for a trained run, the way its training data were read."""
    group = p.add_argument_group("data options", "how the input data are read")
    group.add_argument(
        "--format",
        default=None,
        help="auto|fasta|csv|tsv|parquet|gb|gue|expression (default: auto; for a trained "
        "run: as trained)",
    )
    group.add_argument(
        "--sequence-col", default=None, help="sequence column of a table (default: sequence)"
    )
    group.add_argument(
        "--label-col", default=None, help="label column of a table or labels table (default: label)"
    )
    if not expression:
        return
    group.add_argument(
        "--labels",
        help="labels table joined on sample id (expression data: sample_id, label; default: "
        "labels inside the data)",
    )
    group.add_argument(
        "--orientation",
        choices=["auto", "samples", "genes"],
        help="expression matrix rows are samples or genes (default auto: detect from the "
        "labels' sample ids)",
    )
    group.add_argument(
        "--missing",
        choices=["reject", "impute-median"],
        help="NaN in an expression matrix: reject (default; data summary counts them) or "
        "impute the training median",
    )


def _columns(args: argparse.Namespace) -> dict[str, str | None]:
    return {
        "format": args.format,
        "sequence_col": args.sequence_col,
        "label_col": args.label_col,
        "labels": getattr(args, "labels", None),
        "orientation": getattr(args, "orientation", None),
        "missing": getattr(args, "missing", None),
    }


def cmd_demo(args: argparse.Namespace) -> int:
    from genoclass.workflows.demo import next_steps, run_demo

    run = run_demo(args.out, seed=args.seed, overwrite=True)
    _print_result(run)
    print("\n".join(next_steps(run, args.out)))
    return 0


def _train_config(args: argparse.Namespace) -> TrainConfig:
    """The training configuration from --config and the training flags (flags win): every
    TrainConfig setting whose flag is its own name (``--batch-size`` -> ``batch_size``)
    is taken from the parsed flags; an unset or switched-off flag leaves it alone."""
    import dataclasses

    from genoclass.config import TrainConfig, load_config

    overrides = {
        f.name: getattr(args, f.name, None)
        for f in dataclasses.fields(TrainConfig)
        if f.metadata.get("flag") == "" and getattr(args, f.name, None) is not False
    }
    overrides.update(_columns(args))
    if args.command == "train":  # cross-validation folds and seeds (compare's --seeds differ)
        overrides.update(cv_seeds=args.seeds)
    if args.param:
        overrides["model_params"] = dict(_parse_param(p) for p in args.param)
    if args.augment:
        overrides["augment"] = _parse_augment(args.augment)
    return load_config(args.config, overrides)


def cmd_train(args: argparse.Namespace) -> int:
    from genoclass.workflows.train import train

    config = _train_config(args)
    if args.model is None:  # say which model runs when the user did not name one
        source = "from --config" if args.config else "the default"
        if config.init is not None and config.init.startswith(HF_PREFIX):
            source = f"from --init {config.init}"
        print(
            f"model: {config.model} ({source}; `genoclass models` lists the others, "
            "--model auto picks one on validation)"
        )
    if config.cv:
        from genoclass.workflows.crossval import run_crossval

        out = run_crossval(config, overwrite=args.overwrite)
        _print_crossval(out)
        print(f"cross-validation: {out / 'cv.json'}")
        return 0
    result = train(config, resume=args.resume, overwrite=args.overwrite)
    _print_result(result.directory, result.metrics)
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from genoclass.workflows.tune import run_tune

    out = run_tune(
        _train_config(args),
        args.space,
        strategy=args.search_strategy,
        objective=args.objective,
        storage=args.storage,
        study_name=args.study,
        n_trials=args.n_trials,
        retrain=not args.no_retrain,
    )
    best = json.loads((out / "best.json").read_text())
    print(f"best configuration ({best['objective']} on validation): {best['best']}")
    if "best_run" in best:
        _print_result(Path(best["best_run"]))
    print(f"trials: {out / 'trials.csv'}\nreport: {out / 'tune_report.html'}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from genoclass.workflows.compare import load_variants, run_compare

    if not args.models:
        raise InputError("--models is required (comma-separated registered names)")
    args.model = None
    config = _train_config(args)
    out = run_compare(
        config,
        [m.strip() for m in args.models.split(",") if m.strip()],
        args.seeds,
        args.out,
        metric=args.metric,
        cross=args.cross.split(",") if args.cross else None,
        variants=load_variants(args.variants) if args.variants else None,
        select=args.select,
    )
    if not is_main_process():  # rank 0 of several processes wrote and shows the comparison
        return 0
    _print_comparison(out)
    if args.select:
        chosen = json.loads((out / "comparison.json").read_text())["selection"]
        print(
            f"selected on validation: {chosen['chosen']} seed {chosen['seed']} "
            f"(run copied to {out / chosen['directory']})"
        )
    print(f"comparison: {out / 'comparison.csv'}\nreport: {out / 'comparison.html'}")
    return 0


#: test metrics shown in the terminal tables of compare and --cv (the CSV files hold all)
SHOWN_METRICS = ("accuracy", "f1_macro", "mcc", "roc_auc")


def _print_comparison(out: Path) -> None:
    """The comparison as an aligned table: mean ± sd over seeds per model."""
    import pandas as pd

    from genoclass.reporting.terminal import mean_sd_table

    result = json.loads((out / "comparison.json").read_text())
    summary = pd.read_csv(out / "comparison.csv")
    metric, cross = result["metric"], result["protocol"]["cross_data"]
    columns = dict.fromkeys([metric, *SHOWN_METRICS])  # the choosing metric first
    columns.update({f"{m}@{Path(p).name}": None for p in cross for m in ("accuracy", "mcc")})
    print(f"test metrics, mean ± sd over {summary['n'].max()} seed(s):")
    print(mean_sd_table(summary, "model", [*columns, "params", "train_seconds"], ["n"]))
    print(f"best by {metric}: {result['best_model']}")
    for lead in result["leads"]:
        print(lead["text"])


def _print_crossval(out: Path) -> None:
    """The cross-validation as aligned tables: test metrics per fold, then mean ± sd."""
    import pandas as pd

    from genoclass.reporting.terminal import aligned_table, frame_table, mean_sd_column

    folds = pd.read_csv(out / "cv.csv")
    shown = ["seed", "fold", "n_test", *(m for m in SHOWN_METRICS if m in folds)]
    print("test metrics per fold:")
    print(frame_table(folds[[*shown, "train_seconds"]]))
    print(f"\nmean ± sd over {len(folds)} folds:")
    summary = pd.read_csv(out / "cv_summary.csv")
    cells = mean_sd_column(list(summary["mean"]), list(summary["sd"]))
    rows = [
        {"metric": r.metric, "mean ± sd": text, "folds": str(r.n)}
        for r, text in zip(summary.itertuples(), cells, strict=True)
    ]
    print(aligned_table(rows, left=["metric"]))


def _parse_augment(text: str) -> dict[str, float]:
    """NAME=RATE[,NAME=RATE...], e.g. ``substitute=0.01,insert=0.005``."""
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise InputError("--augment takes NAME=RATE[,NAME=RATE...]", value=text)
    try:
        return {name.strip(): float(value) for name, value in pairs}
    except ValueError as exc:
        raise InputError("--augment rates must be numbers", value=text) from exc


def _parse_param(text: str) -> tuple[str, object]:
    """NAME=VALUE with VALUE parsed as YAML (numbers, lists, booleans)."""
    import yaml

    if "=" not in text:
        raise InputError("--param takes NAME=VALUE", value=text)
    name, value = text.split("=", 1)
    return name, yaml.safe_load(value)


def _print_result(run: Path, metrics: dict | None = None) -> None:
    """The test metrics of a run (read from the run directory unless given) and its paths."""
    from genoclass.io.run_files import RunFiles
    from genoclass.reporting.run_report import best_epoch_text

    files = RunFiles(run)
    recorded = metrics or files.read_metrics()
    data, test = recorded.get("data") or {}, recorded["test"]
    for key in ("scale", "preprocessing_choice", "preprocessing"):  # expression runs
        if data.get(key):
            print(f"{key.replace('_', ' ')}: {data[key]}")
    print(
        f"test accuracy {test['accuracy']:.4f}  macro F1 {test['f1_macro']:.4f}  "
        f"MCC {test['mcc']:.4f}"
    )
    best = best_epoch_text(recorded)
    if best:
        print(f"best epoch {best}; its weights were kept")
    print(f"run directory: {run}\nreport: {files.report}")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from genoclass.atomic import check_output_file
    from genoclass.workflows.apply import evaluate_run
    from genoclass.workflows.rundir import write_json

    to_stdout = args.out == "-"
    if args.out and not to_stdout:
        check_output_file(args.out, "--out")
    result = evaluate_run(args.model, args.data, split=args.split, **_columns(args))
    stream = sys.stderr if to_stdout else sys.stdout  # stdout may carry the JSON
    split = f" (the run's {args.split} split)" if args.split else ""
    print(f"{result['n']} samples{split}\n{_metrics_with_ci(result['metrics'])}", file=stream)
    if to_stdout:
        print(json.dumps(result, indent=2, default=str))
    elif args.out:
        write_json(Path(args.out), result)
        print(f"metrics: {args.out}")
    return 0


def _metrics_with_ci(metrics: dict) -> str:
    """The main metrics as an aligned table with their bootstrap 95 % intervals."""
    from genoclass.evaluation.bootstrap import N_BOOT
    from genoclass.reporting.terminal import aligned_table, cell

    names = {"accuracy": "accuracy", "f1_macro": "macro F1", "mcc": "MCC", "roc_auc": "ROC AUC"}
    intervals = metrics.get("ci95", {})
    rows = [
        {
            "metric": label,
            "value": cell(metrics.get(key)),
            "95% CI": "[{}, {}]".format(*map(cell, intervals[key])) if key in intervals else "",
        }
        for key, label in names.items()
        if key in metrics
    ]
    table = aligned_table(rows, left=["metric", "95% CI"])
    if not intervals:
        return table
    return f"{table}\n95% CI: percentile bootstrap over the samples ({N_BOOT:,} resamples)"


def cmd_predict(args: argparse.Namespace) -> int:
    from genoclass.atomic import write_csv_frames
    from genoclass.workflows.apply import predict_chunks, predict_run

    options = {"split": args.split, "engine": args.engine, **_columns(args)}
    if args.out == "-":  # the table on stdout, chunk by chunk; the summary on stderr
        rows = write_csv_frames(predict_chunks(args.model, args.input, **options), sys.stdout)
        print(f"{rows} predictions written to stdout", file=sys.stderr)
        return 0
    result = predict_run(args.model, args.input, args.out, **options)
    print(f"{result['rows']} predictions written to {args.out}")
    if "accuracy" in result:
        print(f"accuracy {result['accuracy']:.4f}")
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    from genoclass.config import Bounds
    from genoclass.workflows.apply import embed_run

    batch_size = Bounds("int", 1, 2**20).check(args.batch_size, "--batch-size")
    n, dim = embed_run(
        args.model,
        args.input,
        args.out,
        split=args.split,
        batch_size=batch_size,
        progress=True,
        **_columns(args),
    )
    print(f"{n} embeddings of width {dim} written to {args.out}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from genoclass.workflows.apply import TrainedRun

    path, check = TrainedRun.load(args.model).export_onnx(args.out)
    length = "batch and length" if check["dynamic_length"] else "batch (fixed-length model)"
    print(
        f"ONNX model (opset {check['opset']}, dynamic {length}): {path}\n"
        f"largest |probability difference| to PyTorch on random sequences: "
        f"{check['max_abs_diff']:.1e}"
    )
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from genoclass.workflows.explain import ExplainOptions, run_explain

    options = ExplainOptions(
        methods=args.method.split(",") if args.method else None,
        classes=args.classes.split(",") if args.classes else None,
        split=args.split,
        max_examples=args.max_examples,
        top_genes=args.top_genes,
    )
    out = run_explain(args.model, args.data, args.out, options, **_columns(args))
    print(f"explanations: {out}\nreport: {out / 'explain.html'}")
    return 0


def cmd_pretrain(args: argparse.Namespace) -> int:
    from genoclass.training.pretrain import PretrainConfig
    from genoclass.workflows.pretrain import run_pretraining

    settings = {
        k: getattr(args, k)
        for k in (
            "data", "model", "window", "stride", "mask_rate", "span", "epochs", "batch_size",
            "lr", "seed", "format", "sequence_col", "exclude", "out", "threads",
            "deterministic", "accelerator", "devices", "num_nodes", "strategy", "precision",
        )
        if getattr(args, k) is not None
    }  # fmt: skip
    if args.param:
        settings["model_params"] = dict(_parse_param(p) for p in args.param)
    config = PretrainConfig(**settings)
    run = run_pretraining(config, resume=args.resume, overwrite=args.overwrite)
    print(f"pretrained trunk: {run / 'model'} (report: {run / 'report.html'})")
    return 0


def cmd_completion(args: argparse.Namespace) -> int:
    import argcomplete

    print(argcomplete.shellcode(["genoclass"], shell=args.shell))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from genoclass.models import available

    if args.details:
        from genoclass.models import get_spec

        spec = get_spec(args.details)
        print(f"{spec.name} ({spec.family}, input {spec.input_kind}): {spec.description}")
        print("hyperparameters (--param NAME=VALUE):")
        for param in spec.params:
            print(f"  {param.name} = {json.dumps(param.default)}  ({param.bounds.describe()})")
            if param.meaning:
                print(f"      {param.meaning}")
        return 0
    for spec in available():
        print(f"{spec.name:<22} {spec.family:<9} {spec.input_kind:<10} {spec.description}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from genoclass.reporting.any_report import write_report

    print(f"report: {write_report(args.run_dir)}")
    return 0


def cmd_data_summary(args: argparse.Namespace) -> int:
    from genoclass.data.summary import summarize_path

    text, summary = summarize_path(args.path, **_columns(args))
    print(json.dumps(summary, indent=2, default=str) if args.json else text)
    return 0


def cmd_data_qc(args: argparse.Namespace) -> int:
    from genoclass.config import TrainConfig
    from genoclass.data.qc import QCSettings
    from genoclass.workflows.qc import run_qc

    config = TrainConfig(
        data=args.path,
        test=args.test,
        val=args.val,
        labels=args.labels,
        format=args.format or "auto",
        sequence_col=args.sequence_col or "sequence",
        label_col=args.label_col or "label",
        orientation=args.orientation or "auto",
        missing=args.missing or "reject",
        group_col=args.group_col,
        ignore_splits=args.ignore_splits,
    )
    settings = QCSettings(threshold=args.similarity, k=args.kmer, seed=args.seed)
    out, result = run_qc(config, settings, args.out, overwrite=args.overwrite)
    for item in result.report["checks"]:
        fix = f"  fix: {item['fix']}" if item["fix"] else ""
        print(f"{item['status'].upper():<5} {item['name']}: {json.dumps(item['value'])}{fix}")
    print(
        f"QC {result.report['status'].upper()}\nreport: {out / 'qc.html'}\njson: {out / 'qc.json'}"
    )
    return 0


def cmd_data_pack(args: argparse.Namespace) -> int:
    from genoclass.data.pack import format_pack_result, pack_sequences, progress_printer

    result = pack_sequences(
        args.path,
        args.out,
        format=args.format or "auto",
        sequence_col=args.sequence_col or "sequence",
        label_col=args.label_col or "label",
        window=args.window,
        stride=args.stride,
        max_n=args.max_n,
        overwrite=args.overwrite,
        progress=progress_printer(),
    )
    print(format_pack_result(result))
    return 0


def cmd_datasets_list(args: argparse.Namespace) -> int:
    from genoclass.io.fetch import list_datasets

    for row in list_datasets():
        print(
            f"{row['name']:<36} {'cached' if row.get('cached') else '-':<7} "
            f"{row.get('description', '')}"
        )
    return 0


def cmd_datasets_fetch(args: argparse.Namespace) -> int:
    from genoclass.io.fetch import fetch_dataset

    print(f"dataset ready: {fetch_dataset(args.name, from_path=args.from_path)}")
    return 0


def _training_options(p: argparse.ArgumentParser, *, processes: bool = True) -> None:
    """Flags shared by `train`, `compare` and `tune`: data, model settings, splits, training
    (and, unless ``processes`` is off, the multi-process options)."""
    p.add_argument("--data", help="training data (file or folder; required)")
    p.add_argument(
        "--test",
        help="separate test file (default: the data's own test split, else a "
        "stratified hold-out of --test-size)",
    )
    p.add_argument(
        "--val",
        help="separate validation file (default: the data's own validation split, "
        "else --val-size carved from train)",
    )
    _data_options(p)
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="model hyperparameter override (repeatable; default: the model's own, see "
        "`genoclass models --details NAME`)",
    )
    p.add_argument("--epochs", type=int, help="training epochs")
    p.add_argument("--batch-size", type=int, help="sequences per training batch")
    p.add_argument("--lr", type=float, help="(peak) learning rate")
    p.add_argument("--seed", type=int, help="fixes splits, initialisation and augmentation")
    p.add_argument("--split-seed", type=int, help="seed of the splits only (default: --seed)")
    p.add_argument(
        "--max-len", type=int, help="crop longer sequences to this length (default: none)"
    )
    p.add_argument("--crop", choices=["left", "right", "center"], help="which end --max-len keeps")
    p.add_argument(
        "--recipe",
        help="training recipe (registry in genoclass.training.recipes): onecycle (default; "
        "AdamW, one-cycle learning-rate schedule, gradient clipping), early_stopping (Adam, "
        "stops when validation loss stops improving), warmup_cosine (AdamW, linear warm-up "
        "over --warmup of the steps, cosine decay, gradient clipping)",
    )
    p.add_argument(
        "--warmup", type=float, help="warmup_cosine: warm-up share of the training steps"
    )
    p.add_argument(
        "--ema",
        type=float,
        metavar="DECAY",
        help="validate and keep an exponential moving average of the weights with this decay "
        "per step, e.g. 0.999 (default: off)",
    )
    p.add_argument("--patience", type=int, help="early-stopping patience in epochs")
    p.add_argument(
        "--label-smoothing",
        type=float,
        help="move training targets this far towards uniform (0 = off); also caps the "
        "over-confidence that can make validation loss rise while accuracy still improves",
    )
    p.add_argument("--test-size", type=float, help="test share of an unsplit data set")
    p.add_argument("--val-size", type=float, help="validation share carved from training")
    p.add_argument(
        "--dedup",
        choices=["none", "exact", "rc", "similar"],
        help="keep exact duplicates (exact), also reverse complements (rc), or also sequences "
        "of k-mer Jaccard similarity >= --similarity (similar) on one side of every split",
    )
    p.add_argument(
        "--similarity",
        type=float,
        help="with --dedup similar: k-mer Jaccard threshold, either strand (default 0.8)",
    )
    p.add_argument("--kmer", type=int, help="with --dedup similar: k-mer length (default 9)")
    p.add_argument(
        "--group-col",
        help="keep rows sharing this column's value (gene, patient, ...) on one side of every "
        "split; a sequence-table column, FASTA header field COL=value, or --labels column "
        "(default: none)",
    )
    p.add_argument(
        "--split-by",
        choices=["chromosome"],
        help="chromosome: keep each chromosome on one side (ids as chr:start-end; default: none)",
    )
    p.add_argument("--class-weights", action="store_true", help="balanced class weights")
    p.add_argument(
        "--ignore-splits",
        action="store_true",
        help="ignore the data file's own split column / folders and split afresh",
    )
    p.add_argument(
        "--augment",
        metavar="NAME=RATE,...",
        help="training-batch augmentation: substitute, insert, delete (per base), "
        "shift, rc (per sequence), shift_max, crop (random window of that many bases); "
        "e.g. substitute=0.01,insert=0.005 (default: none)",
    )
    p.add_argument(
        "--window",
        type=int,
        help="apply the model to overlapping windows of this length (default: whole sequences)",
    )
    p.add_argument(
        "--window-stride", type=int, help="step between windows (default: half the window)"
    )
    p.add_argument(
        "--preprocess",
        help="expression pipeline: auto (default: by the scale of the values: log2cpm for "
        "counts, nothing for log values or ratios; neural models then keep the 2,000 genes "
        "of highest ANOVA F and standardise), none, s4, log2cpm, log2cpm_std, standardize, "
        "or steps such as cpm,log2p1,drop_unexpressed,standardize,anova:500",
    )
    p.add_argument("--config", help="YAML file of settings (flags win; default: none)")
    _compute_options(p, training=True, processes=processes, loader=True)


def _compute_options(
    p: argparse.ArgumentParser,
    *,
    training: bool = False,
    processes: bool = True,
    loader: bool = False,
) -> None:
    """Where and how torch computes (training.runtime): --threads for every command that
    runs a model; also --deterministic, --accelerator, the processes (--devices,
    --num-nodes, --strategy) and --precision for the training commands, and the batch
    workers and --max-steps for supervised training (``loader``)."""
    group = p.add_argument_group("compute options")
    group.add_argument(
        "--threads",
        type=int,
        help="torch threads (default: torch's, usually one per core); on small training sets "
        "the thread count changes the result like a seed does, so it is recorded in "
        "config.yaml and metrics.json",
    )
    if not training:
        return
    group.add_argument(
        "--deterministic",
        action="store_true",
        help="use torch's deterministic algorithms: the run repeats exactly on the same "
        "hardware, torch version and thread count (default: off)",
    )
    group.add_argument(
        "--accelerator",
        choices=list(ACCELERATORS),
        help="device to train on: auto (default: a GPU when there is one, else the CPU), "
        "cpu, gpu/cuda, mps",
    )
    group.add_argument(
        "--precision",
        choices=list(PRECISIONS),
        help="32 (default), bf16-mixed (CPU or GPU) or 16-mixed (CUDA GPU)",
    )
    if loader:
        group.add_argument(
            "--workers",
            type=int,
            help="worker processes that build the training and validation batches (default 0: "
            "the training process); the result does not depend on it",
        )
        group.add_argument(
            "--max-steps",
            type=int,
            help="stop after this many optimiser steps (default: run --epochs epochs)",
        )
    if not processes:
        return
    group.add_argument(
        "--devices",
        type=int,
        help="processes per node, one per device (GPUs, or CPU processes), training one model "
        "together (DDP); --batch-size stays the global batch (docs/scaling.md; default 1)",
    )
    group.add_argument(
        "--num-nodes", type=int, help="machines taking part, e.g. under SLURM (default 1)"
    )
    group.add_argument(
        "--strategy",
        choices=list(STRATEGIES),
        help="Lightning strategy for several processes: ddp (auto with --devices > 1) or "
        "ddp_find_unused_parameters_true (default: auto)",
    )


def _transfer_options(p: argparse.ArgumentParser) -> None:
    """Flags of `train` that start from an earlier run's model (training.transfer)."""
    from genoclass.config import TRANSFER_MODES

    p.add_argument(
        "--init",
        help="run directory (or model folder) whose trunk this run starts from; a classical "
        "model (logistic_regression, svm, random_forest) is fitted on that trunk's features "
        "instead (default: none, train from scratch)",
    )
    p.add_argument(
        "--transfer",
        choices=list(TRANSFER_MODES),
        help="with --init: finetune (all weights; default) or features (frozen trunk, new "
        "head trained)",
    )
    p.add_argument(
        "--trunk-lr-scale",
        type=float,
        help="with --init: the trunk learns at lr times this (default 0.1)",
    )
    p.add_argument(
        "--unfreeze-after",
        type=int,
        help="with --init: keep the trunk frozen for this many epochs, then fine-tune it "
        "(default: never frozen with finetune, always with features)",
    )


def _applied_run_options(p: argparse.ArgumentParser, model: str, data: str, verb: str) -> None:
    """--model RUN_DIR, --data (alias --input, its older spelling) and --split of a command
    that applies a trained run to data (predict, embed)."""
    p.add_argument("--model", required=True, help=model)
    p.add_argument(
        "--data",
        "--input",
        dest="input",
        required=True,
        help=f"{data} to {verb} (--input: the older spelling)",
    )
    p.add_argument(
        "--split",
        choices=["train", "val", "test", "all"],
        help=f"rows to {verb} (default: every row)",
    )


def _train_settings() -> type:
    from genoclass.config import TrainConfig

    return TrainConfig


def _pretrain_settings() -> type:
    from genoclass.training.pretrain import PretrainConfig

    return PretrainConfig


def _out_option(args: argparse.Namespace) -> str | None:
    return args.out


def _explain_output(args: argparse.Namespace) -> Path:
    from genoclass.workflows.explain import explain_dir

    return explain_dir(args.model, args.out)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    parser = _Parser(prog="genoclass", description=__doc__)
    parser.add_argument("--version", action="version", version=f"genoclass {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="train on embedded planted-motif data and write a report")
    p.add_argument("--out", default="genoclass_demo")
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("train", help="train a model and write a run directory")
    p.add_argument(
        "--model",
        help="registered model name (see `genoclass models`), or `auto`: fit the candidates "
        "for the data, each with its own recipe (sequences: kmer_nb, kmer_lr, "
        "fast_accurate_cnn, gated_dilated_cnn; expression: logistic_regression, "
        "random_forest, expr_mlp); keep the best validation MCC",
    )
    _training_options(p)
    p.add_argument(
        "--time-budget",
        metavar="MIN",
        help="wall-clock minutes for the whole fit: a neural fit stops at the end of the epoch "
        "that spends it (keeping its best epoch); --model auto runs its candidates cheapest "
        "first and skips those it leaves no time for (default: no limit)",
    )
    p.add_argument(
        "--cv",
        type=int,
        help="stratified K-fold cross-validation instead of a split (default: off, one split)",
    )
    p.add_argument(
        "--seeds",
        type=int,
        help="with --cv: repeat over seeds --seed, --seed+1, ... (default: 1)",
    )
    _transfer_options(p)
    p.add_argument("--out", help="run directory to create (required)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory")
    p.set_defaults(func=cmd_train, resume_with="flag", output_of=_out_option)
    p.settings = _train_settings

    p = sub.add_parser(
        "compare", help="train several models over seeds on identical splits and compare them"
    )
    p.add_argument("--models", help="comma-separated registered model or variant names (required)")
    p.add_argument(
        "--variants",
        help="YAML of named variants with their own settings, e.g. "
        "'kmer_cnn_crop: {model: kmer_cnn, lr: 0.005, augment: {crop: 500}, window: 500}' "
        "(default: none)",
    )
    p.add_argument(
        "--seeds",
        type=int,
        help="seeds --seed, --seed+1, ... (default: 5 for training sets under 10,000 sequences, "
        "else 3: on small sets seed noise is as large as many model differences)",
    )
    p.add_argument(
        "--metric",
        default="accuracy",
        choices=["accuracy", "precision_macro", "recall_macro", "f1_macro", "mcc", "roc_auc"],
        help="test metric that picks the best model (default accuracy)",
    )
    p.add_argument(
        "--cross",
        help="comma-separated labelled files every run is also scored on (default: none)",
    )
    p.add_argument(
        "--select",
        action="store_true",
        help="also pick the model with the highest mean validation MCC (never test) and copy "
        "its best-validation run to OUT/selected, an ordinary run directory (default: off)",
    )
    _training_options(p)
    p.add_argument("--out", required=True, help="compare directory (re-run to resume)")
    p.set_defaults(func=cmd_compare, resume_with="rerun", output_of=_out_option)
    p.settings = _train_settings

    p = sub.add_parser("tune", help="search hyperparameters on validation, test the best once")
    p.add_argument("--model", help="registered model name (or `model:` in the space file)")
    p.add_argument(
        "--space",
        required=True,
        help="YAML search space, the values to try in order, e.g. 'params: {lr: [0.001, "
        "0.003], dropout: [0.1, 0.3]}' (README: search-space file)",
    )
    p.add_argument(
        "--strategy",
        dest="search_strategy",  # not the training processes' --strategy (train, compare)
        choices=["ordered-grid", "grid", "tpe"],
        default="ordered-grid",
        help="ordered-grid: one parameter at a time in the space file's order, keeping the "
        "best value; grid: every combination; tpe: Optuna's sampler for --n-trials",
    )
    p.add_argument(
        "--objective",
        choices=["accuracy", "val_loss", "f1_macro", "mcc", "integrated_f1"],
        default="integrated_f1",
        help="validation criterion to optimise (default integrated_f1)",
    )
    p.add_argument("--storage", help="Optuna storage URL (default sqlite:///OUT/study.db)")
    p.add_argument(
        "--study",
        help="study name (workers sharing a study pass the same; default: "
        "MODEL-STRATEGY-OBJECTIVE)",
    )
    p.add_argument(
        "--n-trials",
        type=int,
        help="tpe: trials in total over all workers (required with tpe; default for the grids: "
        "every point)",
    )
    p.add_argument("--no-retrain", action="store_true", help="skip retraining the best config")
    _training_options(p, processes=False)  # one process per trial: tune.py
    p.add_argument("--out", required=True, help="tune directory (re-run to resume)")
    p.set_defaults(func=cmd_tune, resume_with="rerun", output_of=_out_option)
    p.settings = _train_settings

    p = sub.add_parser(
        "pretrain", help="self-supervised pretraining of a model's trunk on unlabelled sequences"
    )
    p.add_argument(
        "--data",
        nargs="+",
        required=True,
        help="FASTA/CSV/TSV/Parquet files or folders, or packed stores (genoclass data pack)",
    )
    p.add_argument("--model", help="registered neural sequence model (default fast_accurate_cnn)")
    p.add_argument(
        "--param",
        action="append",
        help="model hyperparameter NAME=VALUE (repeatable; default: the model's own)",
    )
    p.add_argument("--window", type=int, help="window length in bases (default 200)")
    p.add_argument("--stride", type=int, help="bases between window starts (default 100)")
    p.add_argument("--mask-rate", type=float, help="share of bases hidden (default 0.15)")
    p.add_argument("--span", type=int, help="length of each hidden span (default 4)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--format", help="auto|fasta|fasta-dir|csv|tsv|parquet|gue (default auto)")
    p.add_argument("--sequence-col", help="sequence column of a table")
    p.add_argument(
        "--exclude",
        nargs="+",
        help="sequence files never to pretrain on, e.g. the target task's validation and test "
        "splits: every window holding one (either strand) is dropped and counted (default: "
        "none)",
    )
    p.add_argument("--out", required=True, help="run directory to create")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory")
    _compute_options(p, training=True)
    p.set_defaults(func=cmd_pretrain, resume_with="flag", output_of=_out_option)
    p.settings = _pretrain_settings

    p = sub.add_parser("evaluate", help="metrics of a trained run on labelled data")
    p.add_argument("--model", required=True, help="run directory")
    p.add_argument("--data", required=True)
    p.add_argument(
        "--split",
        choices=["train", "val", "test"],
        help="only the rows this run recorded in that split (default: every row)",
    )
    _data_options(p)
    p.add_argument(
        "--out", help="also write the metrics to this JSON file, - for stdout (default: none)"
    )
    _compute_options(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="predict classes of new data with a trained run")
    _applied_run_options(p, "run directory", "sequences or expression matrix", "predict")
    _data_options(p)
    p.add_argument(
        "--out",
        required=True,
        help="table to write: Parquet for a .parquet name, else CSV; - for CSV on stdout "
        "(a packed store is predicted and written in chunks of 65,536 rows)",
    )
    p.add_argument(
        "--engine",
        choices=["torch", "onnx"],
        default="torch",
        help="torch, or onnx: onnxruntime on the run's export (genoclass export)",
    )
    _compute_options(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser(
        "embed",
        help="per-sequence trunk features (embeddings) of a neural sequence run, to Parquet",
    )
    _applied_run_options(
        p, "run directory of a neural sequence model", "sequences (file, folder or store)", "embed"
    )
    p.add_argument("--batch-size", type=int, default=256, help="sequences per batch")
    _data_options(p, expression=False)
    p.add_argument(
        "--out", required=True, help="Parquet file to write: id, label (if known), emb_0 ..."
    )
    _compute_options(p)
    p.set_defaults(func=cmd_embed)

    p = sub.add_parser("export", help="export a trained neural sequence model to ONNX")
    p.add_argument("--model", required=True, help="run directory")
    p.add_argument("--format", choices=["onnx"], default="onnx", help="export format")
    p.add_argument(
        "--out",
        help="file to write (default: RUN_DIR/model/model.onnx, where predict --engine onnx looks)",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("explain", help="attributions, motifs or biomarkers of a trained run")
    p.add_argument("--model", required=True, help="run directory")
    p.add_argument("--data", required=True, help="labelled data to explain")
    p.add_argument("--out", help="output directory (default RUN_DIR/explain)")
    p.add_argument(
        "--method",
        help="comma-separated: integrated_gradients (default; ism for k-mer models), saliency, "
        "input_x_gradient, "
        "deeplift, ism; the first drives motifs / biomarkers",
    )
    p.add_argument("--class", dest="classes", help="comma-separated classes (default: all)")
    p.add_argument(
        "--split",
        choices=["train", "val", "test", "all"],
        help="rows to explain (default: for sequence models the run's test split when DATA "
        "holds it, else all rows; for expression models all rows)",
    )
    p.add_argument("--max-examples", type=int, default=200, help="sequences per class")
    p.add_argument("--top-genes", type=int, default=20, help="biomarkers per class")
    _data_options(p)
    _compute_options(p)
    p.set_defaults(func=cmd_explain, output_of=_explain_output)

    p = sub.add_parser(
        "completion",
        help="print the shell code that completes genoclass's commands and options",
        description='Completion for the current shell session: eval "$(genoclass completion '
        'bash)"; for every session add that line to ~/.bashrc (zsh: ~/.zshrc, with '
        "`completion zsh`; fish: genoclass completion fish | source).",
    )
    p.add_argument("shell", nargs="?", default="bash", choices=["bash", "zsh", "fish", "tcsh"])
    p.set_defaults(func=cmd_completion)

    p = sub.add_parser("models", help="list registered models")
    p.add_argument(
        "--details", metavar="NAME", help="one model's --param names, defaults, types and meaning"
    )
    p.set_defaults(func=cmd_models)

    p = sub.add_parser(
        "report", help="(re)build the HTML report of a run, compare or cross-validation directory"
    )
    p.add_argument("run_dir")
    p.set_defaults(func=cmd_report)

    data = sub.add_parser("data", help="inspect a dataset").add_subparsers(
        dest="data_cmd", required=True
    )
    p = data.add_parser("summary", help="counts, lengths, balance, N content, duplicates")
    p.add_argument("path")
    _data_options(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_data_summary)
    p = data.add_parser(
        "qc", help="shortcut, duplicate and leakage report (HTML + JSON) before training"
    )
    p.add_argument("path", help="labelled sequences or expression matrix")
    p.add_argument(
        "--test",
        help="separate test file (leakage is measured against it; default: the data's own "
        "test split, else a random one)",
    )
    p.add_argument(
        "--val", help="separate validation file (default: the data's own, else a random one)"
    )
    _data_options(p)
    p.add_argument(
        "--similarity",
        type=float,
        default=0.8,
        help="near-duplicate threshold reported beside 0.9 (k-mer Jaccard; default 0.8)",
    )
    p.add_argument("--kmer", type=int, default=9, help="k-mer length of the similarity")
    p.add_argument(
        "--seed", type=int, default=42, help="seed of the random split given to unsplit data"
    )
    p.add_argument(
        "--group-col",
        help="batch / patient column; principal components are checked against it (default: none)",
    )
    p.add_argument(
        "--ignore-splits",
        action="store_true",
        help="ignore the file's own split column / folders and use a random split",
    )
    p.add_argument("--out", required=True, help="output directory (qc.json, qc.html)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing directory")
    p.set_defaults(func=cmd_data_qc)
    p = data.add_parser("pack", help="stream sequences into a packed, memory-mapped store")
    p.add_argument("path", help="FASTA, CSV, TSV or Parquet file (or FASTA / GUE folder)")
    p.add_argument("--out", required=True, help="store folder to create")
    _data_options(p, expression=False)
    p.add_argument(
        "--window",
        type=int,
        help="cut each record into windows of this length (default: whole records)",
    )
    p.add_argument("--stride", type=int, help="step between windows (default: --window)")
    p.add_argument(
        "--max-n",
        type=float,
        help="drop (and count) sequences with a larger fraction of N (default: keep all)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing store")
    p.set_defaults(func=cmd_data_pack)

    ds = sub.add_parser("datasets", help="Genomic Benchmarks datasets").add_subparsers(
        dest="datasets_cmd", required=True
    )
    p = ds.add_parser("list", help="available datasets and whether they are cached")
    p.set_defaults(func=cmd_datasets_list)
    p = ds.add_parser("fetch", help="download (or import with --from) a dataset into the cache")
    p.add_argument("name")
    p.add_argument(
        "--from",
        dest="from_path",
        help="local zip or folder instead of downloading (default: download)",
    )
    p.set_defaults(func=cmd_datasets_fetch)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: exit 0 on success, 2 on bad input or usage, 1 on unexpected failure,
    130 / 143 when stopped by SIGINT / SIGTERM. Every error is one line on stderr (the
    traceback only with ``--debug``, before or after the subcommand)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (`genoclass completion`)
        import argcomplete

        argcomplete.autocomplete(parser)  # answers and exits
    args = parser.parse_args(argv)
    try:
        with (
            _stop_signals_raise(),
            _warnings_as_lines(),
            quiet_unless_main(),
            _locked_output(args),
            _threads(args),
        ):
            return args.func(args)
    except Interrupted as exc:
        print(f"genoclass: {_interrupted_line(exc, args, argv)}", file=sys.stderr)
        return exc.exit_code
    except InputError as exc:
        if args.debug:
            raise
        print(f"genoclass: error: {exc}", file=sys.stderr)
        return 2
    except (GenoclassError, Exception) as exc:  # noqa: BLE001 - last-resort message
        if args.debug:
            raise
        print(
            f"genoclass: unexpected failure: {type(exc).__name__}: {one_line(str(exc))} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2), ``--debug`` on every subcommand, and a
    help that shows every option's default: argparse's own, else the default of the
    setting of the same name in ``settings`` (a dataclass such as TrainConfig, imported
    only when help is shown), else "off" for a switch; options whose help already says
    their default are left as written."""

    settings: Callable[[], type] | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if self.prog != "genoclass":  # a subcommand: --debug may follow it
            self.add_argument(
                "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
            )

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"genoclass: error: {self.prog}: {one_line(message)} (see --help)\n")

    def format_help(self) -> str:
        import dataclasses

        fields = {}
        if self.settings is not None:
            fields = {f.name: f for f in dataclasses.fields(self.settings())}
        for action in self._actions:
            if action.help == argparse.SUPPRESS or "default" in (action.help or ""):
                continue
            action.help = action.help or ""
            if isinstance(action, argparse._StoreTrueAction):
                action.help += " (default: off)"
            elif action.default not in (None, argparse.SUPPRESS):
                action.help += " (default: %(default)s)"
            elif action.dest in fields:
                f = fields[action.dest]
                value = f.default_factory() if f.default is dataclasses.MISSING else f.default
                if value not in (None, "", {}, []):
                    action.help += f" (default: {value})"
        return super().format_help()


@contextmanager
def _stop_signals_raise() -> Iterator[None]:
    """While the command runs, SIGINT and SIGTERM raise ``Interrupted`` (one policy for every
    command: Lightning would turn SIGINT into exit 1 and swallow SIGTERM into exit 0)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def _locked_output(args: argparse.Namespace) -> Iterator[None]:
    """Hold the lock of the command's output folder, so a second command writing the same
    folder fails at once naming this process (train, compare, tune and explain); the other
    processes of a multi-process run leave it to rank 0."""
    from genoclass.atomic import output_lock

    out = getattr(args, "output_of", lambda a: None)(args)
    if out is None or not is_main_process():
        yield
        return
    with output_lock(out):
        yield


@contextmanager
def _threads(args: argparse.Namespace) -> Iterator[None]:
    """The whole command runs on ``--threads`` torch threads when given (a training run
    also records them: ``training.runtime``)."""
    threads = getattr(args, "threads", None)
    if threads is None:
        yield
        return
    from genoclass.config import Bounds
    from genoclass.training.runtime import Runtime, applied

    with applied(Runtime(threads=Bounds("int", 1, 4096).check(threads, "--threads"))):
        yield


@contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Input warnings print as one ``genoclass: warning:`` line each, every time (the
    libraries' warnings keep their own format; ``genoclass.library_warnings`` silences the
    ones a user cannot act on)."""
    original = warnings.formatwarning

    def line(message: Warning | str, category: type[Warning], *rest: object) -> str:
        if issubclass(category, InputWarning):
            return f"genoclass: warning: {one_line(str(message))}\n"
        return original(message, category, *rest)  # type: ignore[arg-type]

    with warnings.catch_warnings():
        warnings.simplefilter("always", InputWarning)
        warnings.formatwarning = line  # type: ignore[assignment]
        try:
            yield
        finally:
            warnings.formatwarning = original


def _interrupted_line(exc: Interrupted, args: argparse.Namespace, argv: list[str]) -> str:
    """What was stopped and how to continue: the exact command that resumes it."""
    head = f"interrupted by {signal.Signals(exc.signum).name}"
    resume = getattr(args, "resume_with", None)
    if resume is None:
        return f"{head}; nothing was written, run the command again"
    if getattr(args, "model", None) == "auto":  # candidates keep no checkpoints
        return f"{head}; --model auto fits its candidates afresh: run the command again"
    command = argv
    # a single run resumes with --resume; compare, tune and --cv resume by re-running
    if resume == "flag" and not getattr(args, "cv", None) and "--resume" not in argv:
        command = [*argv, "--resume"]
    how = f"genoclass {shlex.join(command)}"
    return f"{head}; checkpoints are kept, the run can be resumed with: {how}"


if __name__ == "__main__":
    sys.exit(main())
