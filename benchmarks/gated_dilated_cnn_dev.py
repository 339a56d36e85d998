"""Development runs of gated_dilated_cnn on GUE tasks, scored on the official dev split only.

Each call trains one configuration through ``genoclass train`` (in-process) on a GUE task's
``train`` file with ``dev`` as validation set (best epoch = lowest dev loss) and appends one
row to ``benchmarks/results/gated_dilated_cnn_dev.csv``: dev MCC / accuracy of the chosen
epoch, dev MCC of the same weights with reverse-complement averaging switched, the epoch
with the best dev accuracy, epochs, parameters, wall and CPU seconds, and how the best
epoch would fare chosen by dev MCC instead of dev loss (``selection_by_halves``). The
task's ``test`` file is never read: ``dev`` is also passed as ``--test`` (through a link of
another name, as record ids must be unique across inputs) so the run directory is complete
without touching test labels. Torch runs with one thread.

    .venv/bin/python benchmarks/gated_dilated_cnn_dev.py --task mouse/0 --name base \\
        -- --model gated_dilated_cnn --epochs 20 --augment rc=0.5
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import matthews_corrcoef

from genoclass.cli import main as genoclass_main
from genoclass.training.module import ClassifierModule
from genoclass.workflows.apply import TrainedRun

REPO = Path(__file__).resolve().parents[1]
GUE = REPO.parent / "shared" / "data" / "dna" / "gue"
LOG = REPO / "benchmarks" / "results" / "gated_dilated_cnn_dev.csv"
SCRATCH = Path("/tmp/genoclass_bench/gated_dilated_cnn_dev")


def dev_mcc_other_rc(run_dir: Path, dev: Path) -> float | None:
    """Dev MCC of the run's chosen weights with ``rc_average`` switched the other way
    (None for a model without the switch): the same weights with and without averaging."""
    run = TrainedRun.load(run_dir)
    if not hasattr(run.model, "rc_average"):
        return None
    run.model.rc_average = not run.model.rc_average
    return round(float(run.evaluate(dev)["mcc"]), 4)


class EpochPredictions:
    """Keeps every validation epoch's dev probabilities and labels (wraps the training
    module's epoch-end hook for the duration of a ``with`` block)."""

    def __enter__(self) -> list[tuple[np.ndarray, np.ndarray]]:
        self.epochs: list[tuple[np.ndarray, np.ndarray]] = []
        self.hook = ClassifierModule.on_validation_epoch_end

        def keep(module: ClassifierModule) -> None:
            if module._val_y:
                proba = torch.cat(module._val_proba).double().numpy()
                self.epochs.append((proba, torch.cat(module._val_y).numpy()))
            self.hook(module)

        ClassifierModule.on_validation_epoch_end = keep
        return self.epochs

    def __exit__(self, *exc: object) -> None:
        ClassifierModule.on_validation_epoch_end = self.hook


def selection_by_halves(epochs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Dev MCC of the epoch chosen on one random half of dev (by lowest log loss or by
    highest MCC) scored on the other half, mean of both directions: an estimate of each
    selection rule that does not score the rule on the rows it chose with."""
    y = epochs[0][1]
    half = np.random.default_rng(0).permutation(len(y)) % 2 == 0
    scores: dict[str, list[float]] = {"by_loss": [], "by_mcc": []}
    for pick, score in ((half, ~half), (~half, half)):
        loss = [-np.log(np.clip(p[pick, y[pick]], 1e-12, None)).mean() for p, _ in epochs]
        mcc = [matthews_corrcoef(y[pick], p[pick].argmax(1)) for p, _ in epochs]
        for rule, best in (("by_loss", int(np.argmin(loss))), ("by_mcc", int(np.argmax(mcc)))):
            proba = epochs[best][0]
            scores[rule].append(matthews_corrcoef(y[score], proba[score].argmax(1)))
    return {f"halves_mcc_{rule}": round(float(np.mean(v)), 4) for rule, v in scores.items()}


def dev_run(task: str, name: str, train_args: list[str], seed: int) -> dict[str, object]:
    """Train one configuration on ``task`` (train -> dev) and return its dev figures."""
    folder = GUE / task
    out = SCRATCH / f"{task.replace('/', '_')}_{name}_{seed}"
    dev = folder / "dev.csv.gz"
    dev_as_test = SCRATCH / f"{task.replace('/', '_')}_dev_as_test.csv.gz"  # ids differ from dev's
    SCRATCH.mkdir(parents=True, exist_ok=True)
    dev_as_test.unlink(missing_ok=True)
    dev_as_test.symlink_to(dev)
    argv = ["train", "--data", str(folder / "train.csv.gz"), "--val", str(dev)]
    argv += ["--test", str(dev_as_test), "--seed", str(seed), "--out", str(out), "--overwrite"]
    cpu, wall = time.process_time(), time.perf_counter()
    with EpochPredictions() as epochs:
        if genoclass_main(argv + train_args) != 0:
            raise SystemExit(f"genoclass train failed for {name}")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    metrics = json.loads((out / "metrics.json").read_text())
    history = pd.read_csv(out / "history.csv")
    best_acc = history.loc[history["val_accuracy"].idxmax()]
    best_mcc = history.loc[history["val_mcc"].idxmax()]
    return {
        "task": task,
        "name": name,
        "seed": seed,
        "args": " ".join(train_args),
        "dev_mcc": round(metrics["val"]["mcc"], 4),
        "dev_accuracy": round(metrics["val"]["accuracy"], 4),
        "dev_mcc_rc_average_switched": dev_mcc_other_rc(out, dev),
        "best_epoch": metrics["best_epoch"],
        "epochs_run": metrics["epochs_run"],
        "best_dev_loss": round(float(history["val_loss"].min()), 4),
        "last_train_loss": round(float(history["train_loss"].iloc[-1]), 4),
        "max_dev_accuracy": round(float(best_acc["val_accuracy"]), 4),
        "max_dev_accuracy_epoch": int(best_acc["epoch"]),
        "max_dev_mcc": round(float(best_mcc["val_mcc"]), 4),
        "max_dev_mcc_epoch": int(best_mcc["epoch"]),
        **selection_by_halves(epochs),
        "params": metrics["params"],
        "train_seconds": round(metrics["train_seconds"], 1),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse ``--task --name [--seed] -- TRAIN_ARGS``, run, append the row to the log."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", required=True, help="GUE task folder, e.g. mouse/0")
    parser.add_argument("--name", required=True, help="configuration label for the log")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("train_args", nargs=argparse.REMAINDER, help="-- genoclass train flags")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    train_args = [a for a in args.train_args if a != "--"]
    row = dev_run(args.task, args.name, train_args, args.seed)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame([row])
    if LOG.exists():  # columns may have been added since earlier rows
        frame = pd.concat([pd.read_csv(LOG), frame], ignore_index=True)
    frame.to_csv(LOG, index=False)
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
