"""Supervised transfer on GUE: a fast_accurate_cnn trained on human TF binding (tf/0) as
the starting point for mouse TF binding (mouse/0), against training from scratch.

Protocol: official train/dev/test splits of both tasks; the S0 recipe and budget for every
run (AdamW + OneCycleLR, batch 64, max lr 1e-3, 10 epochs, weights of the lowest dev-loss
epoch kept). The source model is trained once (seed 1) on tf/0 and its cost is counted
once. On mouse/0, for each seed: ``scratch``; ``finetune`` (all weights from the source,
trunk at lr x 0.1, the head kept because both tasks name their classes 0/1); ``finetune_lr1``
(trunk at the full lr); ``features`` (source trunk frozen in eval mode, head trained);
``gradual`` (trunk frozen for 2 epochs, then all weights at the full lr). The recipe to
prefer is chosen on mean dev MCC; test MCC is reported for all of them. CPU
seconds are the process's user + system time of each run (one torch thread).

    .venv/bin/python benchmarks/transfer_gue.py                 # seeds 1 2 3
    .venv/bin/python benchmarks/transfer_gue.py --seeds 1 --recipes scratch gradual --tag b

A source model already trained by an earlier invocation (its run directory and
``source.json`` in the scratch folder) is reused, with the CPU seconds it cost then.
"""

from __future__ import annotations

import argparse
import json
import resource
from pathlib import Path
from typing import Any

from s0_common import SCRATCH, SHARED, Protocol, limit_threads, summarise, train_once
from s0_common import write_results as write_s0_results

MODEL = "fast_accurate_cnn"
SOURCE_TASK, TARGET_TASK = "tf/0", "mouse/0"
#: recipe name -> extra TrainConfig settings (init is added for every recipe but scratch)
RECIPES: dict[str, dict[str, Any]] = {
    "scratch": {},
    "finetune": {"transfer": "finetune", "trunk_lr_scale": 0.1},
    "finetune_lr1": {"transfer": "finetune", "trunk_lr_scale": 1.0},
    "features": {"transfer": "features"},
    "gradual": {"transfer": "finetune", "trunk_lr_scale": 1.0, "unfreeze_after": 2},
}


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_run(task: str, seed: int, protocol: Protocol, out: Path, **extra: Any) -> dict:
    """One training run with its CPU seconds."""
    start = cpu_seconds()
    row = train_once(str(SHARED / "gue" / task), MODEL, seed, protocol, out, **extra)
    row["cpu_seconds"] = round(cpu_seconds() - start, 1)
    return row


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
    rows = []
    for seed in args.seeds:
        for recipe in args.recipes:
            extra = dict(RECIPES[recipe])
            if recipe != "scratch":
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
