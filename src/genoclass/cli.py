"""Command-line front end: parses arguments, calls a workflow, prints; nothing else."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from genoclass import __version__
from genoclass.errors import GenoclassError, InputError

Handler = Callable[[argparse.Namespace], int]


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        default=None,
        help="auto|fasta|csv|tsv|parquet|gb|gue|expression (default: as trained / auto)",
    )
    p.add_argument("--sequence-col", default=None, help="sequence column of a table")
    p.add_argument("--label-col", default=None, help="label column of a table")


def _columns(args: argparse.Namespace) -> dict[str, str | None]:
    return {"format": args.format, "sequence_col": args.sequence_col, "label_col": args.label_col}


def cmd_demo(args: argparse.Namespace) -> int:
    from genoclass.workflows.demo import run_demo

    run = run_demo(args.out, seed=args.seed, overwrite=True)
    _print_result(run)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from genoclass.config import load_config
    from genoclass.workflows.train import run_training

    overrides = {
        k: getattr(args, k)
        for k in (
            "data",
            "test",
            "val",
            "labels",
            "model",
            "epochs",
            "batch_size",
            "lr",
            "seed",
            "max_len",
            "crop",
            "recipe",
            "patience",
            "test_size",
            "val_size",
            "dedup",
            "out",
        )
    }
    overrides.update(_columns(args))
    if args.class_weights:
        overrides["class_weights"] = True
    if args.param:
        overrides["model_params"] = dict(_parse_param(p) for p in args.param)
    config = load_config(args.config, overrides)
    _print_result(run_training(config, resume=args.resume, overwrite=args.overwrite))
    return 0


def _parse_param(text: str) -> tuple[str, object]:
    """NAME=VALUE with VALUE parsed as YAML (numbers, lists, booleans)."""
    import yaml

    if "=" not in text:
        raise InputError("--param takes NAME=VALUE", value=text)
    name, value = text.split("=", 1)
    return name, yaml.safe_load(value)


def _print_result(run: Path) -> None:
    metrics = json.loads((run / "metrics.json").read_text())["test"]
    print(
        f"test accuracy {metrics['accuracy']:.4f}  macro F1 {metrics['f1_macro']:.4f}  "
        f"MCC {metrics['mcc']:.4f}"
    )
    print(f"run directory: {run}\nreport: {run / 'report.html'}")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from genoclass.workflows.apply import evaluate_run
    from genoclass.workflows.rundir import write_json

    result = evaluate_run(args.model, args.data, split=args.split, **_columns(args))
    m = result["metrics"]
    print(
        f"n={result['n']} accuracy {m['accuracy']:.4f}  macro F1 {m['f1_macro']:.4f}  "
        f"MCC {m['mcc']:.4f}"
    )
    if args.out:
        write_json(Path(args.out), result)
        print(f"metrics: {args.out}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from genoclass.workflows.apply import predict_run

    frame = predict_run(args.model, args.input, args.out, split=args.split, **_columns(args))
    print(f"{len(frame)} predictions written to {args.out}")
    if frame["true_label"].notna().all() and len(frame):
        acc = (frame["true_label"] == frame["predicted_label"]).mean()
        print(f"accuracy {acc:.4f}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from genoclass.models import available

    for spec in available():
        print(f"{spec.name:<22} {spec.family:<9} {spec.input_kind:<10} {spec.description}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from genoclass.reporting.run_report import write_run_report

    print(f"report: {write_run_report(Path(args.run_dir))}")
    return 0


def cmd_data_summary(args: argparse.Namespace) -> int:
    from genoclass.data.summary import format_summary, summarize_sequences
    from genoclass.io.sequences import read_sequences

    data = read_sequences(
        args.path,
        format=args.format or "auto",
        sequence_col=args.sequence_col or "sequence",
        label_col=args.label_col or "label",
        labels_required=False,
    )
    summary = summarize_sequences(data)
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
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


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="genoclass", description=__doc__)
    parser.add_argument("--version", action="version", version=f"genoclass {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="train on embedded planted-motif data and write a report")
    p.add_argument("--out", default="genoclass_demo")
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("train", help="train a model and write a run directory")
    p.add_argument("--data", help="training data (file or folder)")
    p.add_argument("--test", help="separate test file (else a stratified hold-out)")
    p.add_argument("--val", help="separate validation file (else carved from train)")
    p.add_argument("--labels", help="separate labels table (expression data)")
    _data_options(p)
    p.add_argument("--model", help="registered model name (see `genoclass models`)")
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="model hyperparameter override (repeatable)",
    )
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--max-len", type=int)
    p.add_argument("--crop", choices=["left", "right", "center"])
    p.add_argument(
        "--recipe",
        choices=["onecycle", "early_stopping"],
        help="onecycle: AdamW+OneCycleLR+clipping (S0); early_stopping: Adam (S1)",
    )
    p.add_argument("--patience", type=int, help="early-stopping patience in epochs")
    p.add_argument("--test-size", type=float)
    p.add_argument("--val-size", type=float)
    p.add_argument(
        "--dedup",
        choices=["none", "exact", "rc"],
        help="keep exact (or also reverse-complement) duplicates on one side of splits",
    )
    p.add_argument("--class-weights", action="store_true", help="balanced class weights")
    p.add_argument("--config", help="YAML file of settings (flags win)")
    p.add_argument("--out", help="run directory to create")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="metrics of a trained run on labelled data")
    p.add_argument("--model", required=True, help="run directory")
    p.add_argument("--data", required=True)
    p.add_argument(
        "--split",
        choices=["train", "val", "test"],
        help="only the rows this run recorded in that split",
    )
    _data_options(p)
    p.add_argument("--out", help="write the metrics to this JSON file")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="predict classes of new data with a trained run")
    p.add_argument("--model", required=True, help="run directory")
    p.add_argument("--input", required=True)
    p.add_argument("--split", choices=["train", "val", "test"])
    _data_options(p)
    p.add_argument("--out", required=True, help="CSV to write")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("models", help="list registered models")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("report", help="(re)build a run directory's report.html")
    p.add_argument("run_dir")
    p.set_defaults(func=cmd_report)

    data = sub.add_parser("data", help="inspect a dataset").add_subparsers(
        dest="data_cmd", required=True
    )
    p = data.add_parser("summary", help="counts, lengths, balance, N content, duplicates")
    p.add_argument("path")
    _data_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_data_summary)

    ds = sub.add_parser("datasets", help="Genomic Benchmarks datasets").add_subparsers(
        dest="datasets_cmd", required=True
    )
    p = ds.add_parser("list", help="available datasets and whether they are cached")
    p.set_defaults(func=cmd_datasets_list)
    p = ds.add_parser("fetch", help="download (or import with --from) a dataset into the cache")
    p.add_argument("name")
    p.add_argument("--from", dest="from_path", help="local zip or folder instead of downloading")
    p.set_defaults(func=cmd_datasets_fetch)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: exit 0 on success, 2 on bad input or usage, 1 on unexpected failure."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        if args.debug:
            raise
        print(f"genoclass: error: {exc}", file=sys.stderr)
        return 2
    except (GenoclassError, Exception) as exc:  # noqa: BLE001 - last-resort message
        if args.debug:
            raise
        print(
            f"genoclass: unexpected failure: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
