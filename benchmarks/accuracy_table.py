"""The accuracy table of issue 12: every (dataset, model, seed) run as an ordinary
``genoclass train`` call, several runs at a time, test scored once per run.

Datasets (official or fixed splits, so only the model seed varies): the GUE tasks with their
train / dev / test files (dev = validation), human_nontata_promoters under the S0 protocol
(the fixed seed-42 split file written by ``s0_nontata.py``) and Vasani human on the
duplicate-aware seed-42 split (``--dedup exact --split-seed 42``, S1's 1,000-nt input). Models
run with their own recipe (``RECIPES``, which may name a registered model with other
hyperparameters); ``auto`` with the library defaults, so each
candidate gets the recipe ``--model auto`` gives it.

Each job runs in its own process (one torch thread; ``--accelerator`` as given, default
``auto``: a CUDA GPU when there is one) and writes one JSON row with test and validation
figures, the best epoch, wall and process CPU seconds and the device it ran on. The parent
keeps ``--parallel`` jobs running, starts none after ``--stop-starting`` seconds and stops
any still running at ``--deadline`` (logged as killed, no row), so a fixed time slot yields
every finished row.

    python benchmarks/accuracy_table.py --data-root ../shared/data/dna --out /tmp/acc \
        --parallel 2 --jobs gue/tf/1:gated_dilated_cnn:1,2,3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from genoclass.workflows.auto import CANDIDATES

REPO = Path(__file__).resolve().parents[1]
#: S1's input length for neural models on Vasani human (whole sequences reach 18,921 nt)
VASANI_MAX_LEN = 1000

#: the gated models' recipe is the one ``--model auto`` gives its gated candidate, so a
#: standalone gated row and that candidate are the same fit (chosen on dev, BENCHMARKS.md)
GATED = next(dict(c.recipe) for c in CANDIDATES["sequence"] if c.model == "gated_dilated_cnn")
#: per-model training settings
RECIPES: dict[str, dict[str, Any]] = {
    "gated_dilated_cnn": GATED,
    "gated_kmer_cnn": GATED,
    # the smaller preset at fast_accurate_cnn's epoch budget (chosen on dev, BENCHMARKS.md)
    "gated_dilated_cnn_small": {**GATED, "epochs": 10},
    "fast_accurate_cnn": {"epochs": 10, "lr": 1e-3},
    "kmer_lr": {},
    "kmer_nb": {},
    "auto": {},
}


def dataset_settings(name: str, root: Path) -> dict[str, Any]:
    """TrainConfig settings of one table dataset, files under ``root``."""
    if name.startswith("gue/"):
        return {"data": str(root / name)}
    if name == "nontata":  # S0 protocol: the fixed seed-42 split file (s0_nontata.py)
        return {"data": str(root / "nontata_split.csv")}
    if name == "vasani":  # S1's data, duplicate-aware seed-42 split, whole sequences
        return {
            "data": str(root / "vasani_human_dna" / "human_data.txt"),
            "label_col": "class",
            "dedup": "exact",
            "split_seed": 42,
            "max_len": VASANI_MAX_LEN,
        }
    raise SystemExit(f"unknown dataset {name!r}")


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Train one (dataset, model, seed) and return its row."""
    import torch

    from genoclass.config import TrainConfig
    from genoclass.workflows.train import train

    torch.set_num_threads(1)
    settings = {
        **dataset_settings(job["dataset"], Path(job["root"])),
        **RECIPES[job["model"]],
        **job.get("extra", {}),
    }
    config = TrainConfig(
        model=settings.pop("model", job["model"]),
        seed=job["seed"],
        out=job["out"],
        accelerator=job["accelerator"],
        **settings,
    )
    start = time.perf_counter()
    result = train(config, overwrite=True, progress=False)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    metrics = result.metrics
    test, val = metrics["test"], metrics.get("val", {})
    row = {
        "dataset": job["dataset"],
        "model": job["model"],
        "seed": job["seed"],
        "chosen": metrics.get("auto", {}).get("chosen", job["model"]),
        "test_mcc": test["mcc"],
        "test_accuracy": test["accuracy"],
        "val_mcc": val.get("mcc"),
        "val_accuracy": val.get("accuracy"),
        "best_epoch": metrics.get("best_epoch"),
        "epochs_run": metrics.get("epochs_run"),
        "params": metrics.get("params"),
        "train_seconds": metrics.get("train_seconds"),
        "wall_seconds": round(time.perf_counter() - start, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "device": metrics.get("runtime", {}).get("device"),
        "settings": {k: v for k, v in settings.items() if k != "data"},
    }
    if "auto" in metrics:
        row["auto"] = metrics["auto"]
    return row


def anchor_rows(datasets: list[str], root: Path, vasani_splits: Path) -> list[dict[str, Any]]:
    """The 6-mer logistic regression (raw counts, C = 1) fitted on each dataset's training
    rows and scored on its test rows (Vasani: the split of a finished table run, read from
    its ``splits.parquet``, on whole sequences and on their first 1,000 nt)."""
    import pandas as pd
    from s0_common import kmer_lr_anchor

    rows = []
    for name in datasets:
        if name.startswith("gue/"):
            train, test = (pd.read_csv(root / name / f"{s}.csv.gz") for s in ("train", "test"))
            parts = {"": (train, test)}
        elif name == "nontata":
            table = pd.read_csv(root / "nontata_split.csv")
            parts = {"": (table[table.split == "train"], table[table.split == "test"])}
        else:
            table = pd.read_csv(root / "vasani_human_dna" / "human_data.txt", sep="\t")
            table = table.rename(columns={"class": "label"})
            split = pd.read_parquet(vasani_splits).set_index("source_row")["split"]
            table["split"] = split.reindex(range(1, len(table) + 1)).to_numpy()
            cropped = table.assign(sequence=table.sequence.str[:VASANI_MAX_LEN])
            parts = {
                " (whole)": (table[table.split == "train"], table[table.split == "test"]),
                f" (first {VASANI_MAX_LEN} nt)": (
                    cropped[cropped.split == "train"],
                    cropped[cropped.split == "test"],
                ),
            }
        for suffix, (train, test) in parts.items():
            start = time.process_time()
            scores = kmer_lr_anchor(train, test)
            rows.append(
                {
                    "dataset": name,
                    "model": "6-mer LR" + suffix,
                    "test_mcc": scores["mcc"],
                    "test_accuracy": scores["accuracy"],
                    "cpu_seconds": round(time.process_time() - start, 1),
                }
            )
            print(rows[-1], flush=True)
    return rows


def metric_of(dataset: str) -> str:
    """The table's metric: accuracy for the S0 / S1 datasets, MCC for GUE."""
    return "test_mcc" if dataset.startswith("gue/") else "test_accuracy"


def markdown(rows: list[dict[str, Any]]) -> str:
    """One markdown table: per dataset and model, the test metric over seeds (mean ± sd and
    each seed), the validation metric, what auto chose, and wall / CPU seconds per run."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    lines = [
        "| dataset | model | metric | test (mean ± sd) | per seed | val | chosen | device "
        "| wall s / run | CPU s / run |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (dataset, model), group in frame.groupby(["dataset", "model"], sort=False):
        key = metric_of(dataset)
        test, val = group[key].astype(float), group[key.replace("test", "val")].astype(float)
        spread = f" ± {test.std():.3f}" if len(test) > 1 else ""
        chosen = ", ".join(sorted(set(group["chosen"]))) if model == "auto" else ""
        lines.append(
            f"| {dataset} | {model} | {key.split('_')[1]} | {test.mean():.3f}{spread} "
            f"| {' / '.join(f'{v:.3f}' for v in test)} | {val.mean():.3f} | {chosen} "
            f"| {', '.join(sorted(set(map(str, group['device']))))} "
            f"| {group['wall_seconds'].mean():.0f} | {group['cpu_seconds'].mean():.0f} |"
        )
    return "\n".join(lines)


def parse_jobs(specs: list[str]) -> list[tuple[str, str, int]]:
    """``dataset:model:seed,seed`` specs as (dataset, model, seed), in the order given."""
    jobs = []
    for spec in specs:
        dataset, model, seeds = spec.split(":")
        jobs += [(dataset, model, int(s)) for s in seeds.split(",")]
    return jobs


def schedule(args: argparse.Namespace) -> None:
    """Keep ``args.parallel`` job processes running until the jobs or the time are spent."""
    out, rows_dir = Path(args.out), Path(args.scratch) / "rows"
    out.mkdir(parents=True, exist_ok=True)
    rows_dir.mkdir(parents=True, exist_ok=True)
    pending = parse_jobs(args.jobs)
    running: dict[subprocess.Popen, tuple[str, float]] = {}
    start = time.monotonic()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    while pending or running:
        elapsed = time.monotonic() - start
        while pending and len(running) < args.parallel and elapsed < args.stop_starting:
            dataset, model, seed = pending.pop(0)
            name = f"{dataset.replace('/', '_')}__{model}__{seed}"
            job = {
                "dataset": dataset,
                "model": model,
                "seed": seed,
                "root": args.data_root,
                "out": str(Path(args.scratch) / "runs" / name),
                "accelerator": args.accelerator,
                "extra": json.loads(args.extra),
            }
            cmd = [
                sys.executable,
                __file__,
                "--job",
                json.dumps(job),
                "--row",
                str(rows_dir / f"{name}.json"),
            ]
            with open(rows_dir / f"{name}.log", "w") as log:  # the child keeps its own copy
                proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
            running[proc] = (name, time.monotonic())
            print(f"{elapsed:6.0f}s start {name}", flush=True)
        for proc, (name, began) in list(running.items()):
            if proc.poll() is not None:
                del running[proc]
                collect(rows_dir, out)
                print(
                    f"{time.monotonic() - start:6.0f}s done {name} rc={proc.returncode} "
                    f"({time.monotonic() - began:.0f}s)",
                    flush=True,
                )
            elif time.monotonic() - start > args.deadline:
                proc.kill()
                proc.wait()
                del running[proc]
                print(f"{time.monotonic() - start:6.0f}s killed {name} at the deadline", flush=True)
        if elapsed >= args.stop_starting and pending:
            print(f"not started (time): {pending}", flush=True)
            pending = []
        time.sleep(1)
    print(f"{collect(rows_dir, out)} rows in {out / 'rows.json'}", flush=True)


def collect(rows_dir: Path, out: Path) -> int:
    """Gather every finished job's row into ``out/rows.json`` (rewritten after each job, so
    a stopped schedule keeps what finished); returns the number of rows."""
    rows = [json.loads(p.read_text()) for p in sorted(rows_dir.glob("*.json"))]
    (out / "rows.json").write_text(json.dumps(rows, indent=1))
    return len(rows)


def main() -> None:
    """Run the scheduler, or (``--job``) one job in this process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", nargs="+", default=[], help="dataset:model:seed,seed ...")
    parser.add_argument("--data-root", default=str(REPO.parent / "shared" / "data" / "dna"))
    parser.add_argument("--out", default="/tmp/genoclass_bench/accuracy_table")
    parser.add_argument("--scratch", default="/tmp/genoclass_bench/accuracy_runs")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--accelerator", default="auto")
    parser.add_argument("--stop-starting", type=float, default=float("inf"))
    parser.add_argument("--deadline", type=float, default=float("inf"))
    parser.add_argument("--extra", default="{}", help="JSON TrainConfig settings for every job")
    parser.add_argument(
        "--anchors", nargs="+", help="datasets: fit the 6-mer LR anchor on each, no jobs"
    )
    parser.add_argument("--vasani-splits", help="splits.parquet of a Vasani table run")
    parser.add_argument("--table", nargs="+", help="rows.json files: print the markdown table")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--row", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        row = run_job(json.loads(args.job))
        print(json.dumps(row), flush=True)
        Path(args.row).write_text(json.dumps(row))
        return
    if args.table:
        print(markdown([r for p in args.table for r in json.loads(Path(p).read_text())]))
        return
    if args.anchors:
        rows = anchor_rows(args.anchors, Path(args.data_root), Path(args.vasani_splits or ""))
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "anchors.json").write_text(json.dumps(rows, indent=1))
        return
    schedule(args)


if __name__ == "__main__":
    main()
