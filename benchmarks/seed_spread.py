"""Seed and thread variance of small-data training: GUE mouse/0 and mouse/2 (official
splits), ``gb_cnn`` and ``fast_accurate_cnn`` under the S0 budget (10 epochs, batch 64,
lr 1e-3, onecycle; best dev-loss epoch), 10 seeds x {1, 2} torch threads (``--threads``).

For each seed the 1-thread and 2-thread runs follow each other, so machine load drifts
over both alike. Rows are appended to ``results/seed_spread.csv`` as they finish; a rerun
skips the (task, model, seed, threads) rows already there. The summary
(``results/seed_spread.json``) gives per task x model x threads the mean, sd, min and max
test MCC, the mean |MCC(1 thread) - MCC(2 threads)| of the same seed, and the seeds needed
for a 95 % interval of +-0.02 MCC on a model's mean (``seeds_for_ci``).

    cd benchmarks && OMP_WAIT_POLICY=PASSIVE ../.venv/bin/python seed_spread.py   # 80 runs
    cd benchmarks && ../.venv/bin/python seed_spread.py --seeds 1 2 --tasks mouse/2

``OMP_WAIT_POLICY=PASSIVE`` lets idle OpenMP threads sleep instead of spinning, which keeps
the 2-thread runs from wasting CPU on a loaded machine; it does not change results (the
split of work over threads is the same: the mouse/2 gb_cnn seed-1 2-thread run gives MCC
0.62200 with and without it).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
from s0_common import RESULTS, SCRATCH, SHARED, Protocol, cpu_seconds, train_once
from scipy import stats

TASKS = ("mouse/0", "mouse/2")
MODELS = ("gb_cnn", "fast_accurate_cnn")
THREADS = (1, 2)
KEY = ["task", "model", "seed", "threads"]
CSV = RESULTS / "seed_spread.csv"


def seeds_for_ci(sd: float, half_width: float = 0.02, most: int = 50) -> int:
    """Fewest seeds n whose 95 % t-interval on the mean, t(n-1) * sd / sqrt(n), is at most
    ``half_width`` (``most`` if none up to it)."""
    for n in range(2, most + 1):
        if stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) <= half_width:
            return n
    return most


def summarise(runs: pd.DataFrame) -> list[dict[str, object]]:
    """One entry per task x model x threads (see the module docstring)."""
    out = []
    for (task, model), group in runs.groupby(["task", "model"], sort=False):
        paired = group.pivot(index="seed", columns="threads", values="test_mcc").dropna()
        thread_gap = (paired[1] - paired[2]).abs() if {1, 2} <= set(paired) else pd.Series()
        for threads, runs_t in group.groupby("threads"):
            mcc = runs_t["test_mcc"].to_numpy()
            sd = float(np.std(mcc, ddof=1)) if len(mcc) > 1 else float("nan")
            out.append(
                {
                    "task": task,
                    "model": model,
                    "threads": int(threads),
                    "n_seeds": len(mcc),
                    "mcc_mean": float(mcc.mean()),
                    "mcc_sd": sd,
                    "mcc_min": float(mcc.min()),
                    "mcc_max": float(mcc.max()),
                    "mean_abs_gap_1_vs_2_threads": float(thread_gap.mean()),
                    "seeds_for_ci": seeds_for_ci(sd) if len(mcc) > 1 else None,
                    "cpu_seconds_per_run": float(runs_t["cpu_seconds"].median()),
                }
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(1, 11)))
    args = parser.parse_args()
    protocol = Protocol(seeds=tuple(args.seeds))
    done = pd.read_csv(CSV) if CSV.exists() else pd.DataFrame(columns=KEY)
    finished = set(map(tuple, done[KEY].to_numpy().tolist()))
    RESULTS.mkdir(parents=True, exist_ok=True)
    for task in args.tasks:
        folder = SHARED / "gue" / task
        for seed in args.seeds:
            for model in args.models:
                for threads in THREADS:
                    if (task, model, seed, threads) in finished:
                        continue
                    out = SCRATCH / f"spread_{task.replace('/', '_')}_{model}_{seed}_{threads}"
                    start = cpu_seconds()
                    row = train_once(str(folder), model, seed, protocol, out, threads=threads)
                    row.update(task=task, threads=threads, cpu_seconds=cpu_seconds() - start)
                    print(row, flush=True)
                    pd.DataFrame([row]).to_csv(CSV, mode="a", header=not CSV.exists(), index=False)
    runs = pd.read_csv(CSV)
    payload = {
        "data": "shared/data/dna/gue/{mouse/0, mouse/2} (official train/dev/test)",
        "protocol": protocol.record("best dev-loss epoch", threads=list(THREADS)),
        "summary": summarise(runs),
    }
    (RESULTS / "seed_spread.json").write_text(json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload["summary"], indent=2))


if __name__ == "__main__":
    main()
