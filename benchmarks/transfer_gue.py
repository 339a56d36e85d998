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
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from s0_common import (
    SCRATCH,
    SHARED,
    Protocol,
    cpu_seconds,
    limit_threads,
    pretrain_once,
    summarise,
    train_once,
)
from s0_common import write_results as write_s0_results

from genoclass.training.pretrain import PretrainConfig

MODEL = "fast_accurate_cnn"
SOURCE_TASK, TARGET_TASK = "tf/0", "mouse/0"
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
#: pretraining corpus: the training sequences of both tasks (their dev and test excluded)
PRETRAIN_DATA = ("tf/0", "mouse/0")
PRETRAIN_EPOCHS = 3


def timed_run(task: str, seed: int, protocol: Protocol, out: Path, **extra: Any) -> dict:
    """One training run with its CPU seconds."""
    start = cpu_seconds()
    row = train_once(str(SHARED / "gue" / task), MODEL, seed, protocol, out, **extra)
    row["cpu_seconds"] = round(cpu_seconds() - start, 1)
    return row


def self_supervised_trunk() -> dict[str, Any]:
    """Pretrain (once; reused afterwards) the trunk on both tasks' training sequences;
    returns its run directory, losses and CPU seconds."""
    config = PretrainConfig(
        data=[str(SHARED / "gue" / task / "train.csv.gz") for task in PRETRAIN_DATA],
        model=MODEL,
        window=101,
        stride=101,
        epochs=PRETRAIN_EPOCHS,
        seed=1,
        out=str(SCRATCH / "transfer_pretrain_gue"),
    )
    return pretrain_once(config, SCRATCH / "transfer_pretrain_gue.json")


def main(argv: list[str] | None = None) -> None:
    """Train the source once, then every recipe x seed on the target; write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES))
    parser.add_argument("--tag", default="", help="suffix of the results files")
    args = parser.parse_args(argv)
    limit_threads(1)
    protocol = Protocol(seeds=tuple(args.seeds))
    source_dir = SCRATCH / "transfer_source_tf0"
    record = SCRATCH / "transfer_source_tf0.json"
    if record.is_file() and (source_dir / "model" / "model.json").is_file():
        source = json.loads(record.read_text())
    else:
        source = timed_run(SOURCE_TASK, 1, protocol, source_dir)
        record.write_text(json.dumps(source))
    print(f"source {SOURCE_TASK}: {source}", flush=True)
    pretrained = None
    if SELF_SUPERVISED & set(args.recipes):
        pretrained = self_supervised_trunk()
        print(f"self-supervised trunk: {pretrained}", flush=True)
    rows = []
    for seed in args.seeds:
        for recipe in args.recipes:
            extra = dict(RECIPES[recipe])
            if recipe in SELF_SUPERVISED:
                extra["init"] = pretrained["run"]
            elif recipe != "scratch":
                extra["init"] = str(source_dir)
            out = SCRATCH / f"transfer_mouse0_{recipe}_{seed}"
            row = timed_run(TARGET_TASK, seed, protocol, out, **extra)
            row["model"] = recipe  # summarise groups by this column
            print(row, flush=True)
            rows.append(row)
    summary = summarise(rows, ("test_mcc", "val_mcc", "cpu_seconds", "best_epoch"))
    chosen = max(summary, key=lambda r: summary[r]["val_mcc"]["mean"])
    payload = {
        "source": {"task": SOURCE_TASK, "model": MODEL, "seed": 1, **source},
        "self_supervised": pretrained,
        "target": f"{TARGET_TASK} (official train/dev/test)",
        "protocol": protocol.record("best dev-loss epoch; recipe chosen on mean dev MCC"),
        "recipes": {r: RECIPES[r] for r in args.recipes},
        "chosen_on_dev": chosen,
        "summary": summary,
    }
    name = "transfer_gue_tf0_to_mouse0" + (f"_{args.tag}" if args.tag else "")
    write_s0_results(name, payload, rows)
    for recipe, entry in summary.items():
        print(
            f"{recipe:13s} test MCC {entry['test_mcc']['text']}  dev MCC "
            f"{entry['val_mcc']['text']}  CPU s {entry['cpu_seconds']['text']}"
        )
    print(f"chosen on dev: {chosen}; source CPU s {source['cpu_seconds']}")


if __name__ == "__main__":
    main()
