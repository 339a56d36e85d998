"""Supervised transfer on GUE: a fast_accurate_cnn trained on human TF binding (tf/0) as
the starting point for mouse TF binding (mouse/0), against training from scratch.

Protocol: official train/dev/test splits of both tasks; the S0 recipe and budget for every
run (AdamW + OneCycleLR, batch 64, max lr 1e-3, 10 epochs, weights of the lowest dev-loss
epoch kept). The source model is trained once (seed 1) on tf/0 and its cost is counted
once. On mouse/0, for each seed: ``scratch``; ``finetune`` (all weights from the source,
trunk at lr x 0.1, the head kept because both tasks name their classes 0/1); ``finetune_lr1``
(trunk at the full lr); ``features`` (source trunk frozen in eval mode, head trained);
``gradual`` (trunk frozen for 2 epochs, then all weights at the full lr); ``ssl_finetune``
(all weights at the full lr from a trunk pretrained by ``genoclass pretrain`` — masked-span
reconstruction, 3 epochs, window 101 — on the training sequences of tf/0 and mouse/0, whose
dev and test sequences it never sees). The recipe to prefer is chosen on mean dev MCC;
test MCC is reported for all of them. CPU seconds are the process's user + system time of
each run (one torch thread).

    .venv/bin/python benchmarks/transfer_gue.py                 # seeds 1 2 3
    .venv/bin/python benchmarks/transfer_gue.py --seeds 1 --recipes scratch gradual --tag b

The source model and the self-supervised trunk, once trained by an earlier invocation
(run directory and ``transfer_*.json`` record in the scratch folder), are reused, with the
CPU seconds they cost then.

The same comparison for another model, recipe and targets (the gated model's recipe; the
self-supervised corpus is the training sequences of every GUE TF and mouse task, with the
targets' dev and test sequences given to ``--exclude``; the tf/0 source trained for 8 epochs):

    .venv/bin/python benchmarks/transfer_gue.py --model gated_dilated_cnn --epochs 20 \
        --lr 3e-3 --augment rc=0.5 --source-epochs 8 --targets mouse/0 mouse/2 \
        --pretrain-tasks tf/0 tf/1 mouse/0 mouse/2 --pretrain-epochs 4 \
        --recipes ssl_finetune finetune_lr1 --tag gated
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from s0_common import (
    SCRATCH,
    SHARED,
    Protocol,
    cpu_seconds,
    limit_threads,
    parse_augment,
    pretrain_once,
    summarise,
    train_once,
)
from s0_common import write_results as write_s0_results

from genoclass.training.pretrain import PretrainConfig

SOURCE_TASK = "tf/0"
#: recipe name -> extra TrainConfig settings (init is added for every recipe but scratch)
RECIPES: dict[str, dict[str, Any]] = {
    "scratch": {},
    "finetune": {"transfer": "finetune", "trunk_lr_scale": 0.1},
    "finetune_lr1": {"transfer": "finetune", "trunk_lr_scale": 1.0},
    "features": {"transfer": "features"},
    "gradual": {"transfer": "finetune", "trunk_lr_scale": 1.0, "unfreeze_after": 2},
    "ssl_finetune": {"transfer": "finetune", "trunk_lr_scale": 1.0},
}
#: recipes that start from the self-supervised trunk instead of the tf/0 classifier
SELF_SUPERVISED = {"ssl_finetune"}


def timed_run(
    task: str, model: str, seed: int, protocol: Protocol, out: Path, **extra: Any
) -> dict:
    """One training run with its CPU seconds."""
    start = cpu_seconds()
    row = train_once(str(SHARED / "gue" / task), model, seed, protocol, out, **extra)
    row["cpu_seconds"] = round(cpu_seconds() - start, 1)
    return row


def self_supervised_trunk(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """Pretrain (once; reused afterwards) the trunk on the training sequences of
    ``--pretrain-tasks``, never on the targets' dev and test sequences (given to
    ``--exclude``); returns its run directory, losses and CPU seconds."""
    config = PretrainConfig(
        data=[str(SHARED / "gue" / task / "train.csv.gz") for task in args.pretrain_tasks],
        model=args.model,
        window=101,
        stride=101,
        epochs=args.pretrain_epochs,
        seed=1,
        exclude=[
            str(SHARED / "gue" / task / f"{split}.csv.gz")
            for task in args.targets
            for split in ("dev", "test")
        ],
        out=str(SCRATCH / f"transfer_pretrain_{name}"),
    )
    return pretrain_once(config, SCRATCH / f"transfer_pretrain_{name}.json")


def source_model(args: argparse.Namespace, protocol: Protocol, name: str) -> tuple[Path, dict]:
    """The supervised tf/0 model (trained once with seed 1; reused afterwards)."""
    source_dir = SCRATCH / f"transfer_source_{name}"
    record = SCRATCH / f"transfer_source_{name}.json"
    if record.is_file() and (source_dir / "model" / "model.json").is_file():
        return source_dir, json.loads(record.read_text())
    budget = dataclasses.replace(protocol, epochs=args.source_epochs or protocol.epochs)
    source = timed_run(SOURCE_TASK, args.model, 1, budget, source_dir, augment=args.augment)
    record.write_text(json.dumps(source))
    return source_dir, source


def main(argv: list[str] | None = None) -> None:
    """Train the source once, then every recipe x seed on each target; write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="fast_accurate_cnn")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--augment", type=parse_augment, default={}, help="e.g. rc=0.5")
    parser.add_argument("--source-epochs", type=int, default=0, help="0: as --epochs")
    parser.add_argument("--targets", nargs="+", default=["mouse/0"])
    parser.add_argument("--pretrain-tasks", nargs="+", default=["tf/0", "mouse/0"])
    parser.add_argument("--pretrain-epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES))
    parser.add_argument("--tag", default="", help="suffix of the results and scratch names")
    args = parser.parse_args(argv)
    limit_threads(1)
    protocol = Protocol(epochs=args.epochs, lr=args.lr, seeds=tuple(args.seeds))
    name = "gue" if not args.tag else f"gue_{args.tag}"
    source_dir, source = source_model(args, protocol, "tf0" if not args.tag else f"tf0_{args.tag}")
    print(f"source {SOURCE_TASK}: {source}", flush=True)
    pretrained = None
    if SELF_SUPERVISED & set(args.recipes):
        pretrained = self_supervised_trunk(args, name)
        print(f"self-supervised trunk: {pretrained}", flush=True)
    for target in args.targets:
        run_target(args, protocol, target, source_dir, source, pretrained)


def run_target(
    args: argparse.Namespace,
    protocol: Protocol,
    target: str,
    source_dir: Path,
    source: dict[str, Any],
    pretrained: dict[str, Any] | None,
) -> None:
    """Every recipe x seed on ``target``; writes results/transfer_gue_tf0_to_<target>[_tag]."""
    slug = target.replace("/", "")
    rows = []
    for seed in args.seeds:
        for recipe in args.recipes:
            extra = dict(RECIPES[recipe], augment=args.augment)
            if recipe in SELF_SUPERVISED:
                extra["init"] = pretrained["run"]
            elif recipe != "scratch":
                extra["init"] = str(source_dir)
            tag = f"_{args.tag}" if args.tag else ""
            out = SCRATCH / f"transfer_{slug}{tag}_{recipe}_{seed}"
            row = timed_run(target, args.model, seed, protocol, out, **extra)
            row["model"] = recipe  # summarise groups by this column
            print(row, flush=True)
            rows.append(row)
            write_target(args, protocol, target, source, pretrained, rows)


def write_target(
    args: argparse.Namespace,
    protocol: Protocol,
    target: str,
    source: dict[str, Any],
    pretrained: dict[str, Any] | None,
    rows: list[dict[str, Any]],
) -> None:
    """Write (after every run, so an interrupted benchmark keeps what finished) and print
    the target's results so far."""
    slug = target.replace("/", "")
    summary = summarise(rows, ("test_mcc", "val_mcc", "cpu_seconds", "best_epoch"))
    chosen = max(summary, key=lambda r: summary[r]["val_mcc"]["mean"])
    payload = {
        "source": {"task": SOURCE_TASK, "model": args.model, "seed": 1, **source},
        "self_supervised": pretrained,
        "target": f"{target} (official train/dev/test)",
        "protocol": protocol.record(
            "best dev-loss epoch; recipe chosen on mean dev MCC",
            model=args.model,
            augment=args.augment,
            source_epochs=args.source_epochs or protocol.epochs,
        ),
        "recipes": {r: RECIPES[r] for r in args.recipes},
        "chosen_on_dev": chosen,
        "summary": summary,
    }
    name = f"transfer_gue_tf0_to_{slug}" + (f"_{args.tag}" if args.tag else "")
    write_s0_results(name, payload, rows)
    for recipe, entry in summary.items():
        print(
            f"{recipe:13s} test MCC {entry['test_mcc']['text']}  dev MCC "
            f"{entry['val_mcc']['text']}  CPU s {entry['cpu_seconds']['text']}"
        )
    print(f"{target} chosen on dev: {chosen}; source CPU s {source['cpu_seconds']}")


if __name__ == "__main__":
    main()
