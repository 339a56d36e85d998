"""Shared helpers of the S0 benchmarks: fixed splits, the 6-mer anchor and model runs.

Every neural figure comes from ``genoclass.workflows.train.run_training`` (the code path of
``genoclass train``), so the numbers are what users get. Run directories go to a scratch
folder outside the repository; only small JSON/CSV summaries go to ``benchmarks/results``.
"""

from __future__ import annotations

import json
import resource
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

from genoclass.config import TrainConfig
from genoclass.training.pretrain import PretrainConfig
from genoclass.workflows.pretrain import run_pretraining
from genoclass.workflows.train import run_training

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "dna"
RESULTS = REPO / "benchmarks" / "results"
SCRATCH = Path("/tmp/genoclass_bench")
MODELS = ("gb_cnn", "fast_accurate_cnn")


@dataclass
class Protocol:
    """Training budget shared by both models in one comparison."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    recipe: str = "onecycle"
    seeds: tuple[int, ...] = (1, 2, 3)
    model_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(self, selection: str, **more: Any) -> dict[str, Any]:
        """The budget as written to a results file, with how the kept weights were chosen."""
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "recipe": self.recipe,
            "seeds": list(self.seeds),
            **more,
            "selection": selection,
        }


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pretrain_once(config: PretrainConfig, record: Path) -> dict[str, Any]:
    """Run ``genoclass pretrain`` with ``config`` unless ``record`` (JSON) says it ran
    before; returns its run directory, data, exclusions, losses and CPU seconds."""
    out = Path(config.out)
    if record.is_file() and (out / "model" / "model.json").is_file():
        return json.loads(record.read_text())
    start = cpu_seconds()
    run_pretraining(config, overwrite=True, progress=False)
    metrics = json.loads((out / "metrics.json").read_text())
    result = {
        "run": str(out),
        "data": config.data,
        "exclude": metrics.get("exclude"),
        "epochs": config.epochs,
        "unigram_baseline_loss": metrics["unigram_baseline_loss"],
        "final_val_loss": metrics["final_val_loss"],
        "cpu_seconds": round(cpu_seconds() - start, 1),
    }
    record.write_text(json.dumps(result))
    return result


def parse_augment(text: str) -> dict[str, float]:
    """A genoclass ``--augment`` value (``rc=0.5,shift=3``) as the TrainConfig mapping."""
    return {k: float(v) for k, v in (p.split("=") for p in text.split(",") if p)}


def limit_threads(n: int = 1) -> None:
    """Pin torch to ``n`` intra-op threads.

    On the shared 2-core machine (load average often 4-7) torch's default of 2 OpenMP
    threads makes every step 2-10x slower than one thread, because the threads spin waiting
    for each other; all S0 and speed figures here are taken with one thread.
    """
    torch.set_num_threads(n)


def kmer_lr_anchor(
    train: pd.DataFrame, test: pd.DataFrame, k: int = 6, c: float = 1.0
) -> dict[str, float]:
    """Fit CountVectorizer(char k-grams) + LogisticRegression on ``train``; score ``test``.

    Both frames need ``sequence`` and ``label`` columns. Returns accuracy, macro F1, MCC.
    """
    vec = CountVectorizer(analyzer="char", ngram_range=(k, k), lowercase=False)
    x_train = vec.fit_transform(train["sequence"])
    x_test = vec.transform(test["sequence"])
    clf = LogisticRegression(C=c, max_iter=2000)
    clf.fit(x_train, train["label"].astype(str))
    pred = clf.predict(x_test)
    y = test["label"].astype(str)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "f1_macro": float(f1_score(y, pred, average="macro")),
        "mcc": float(matthews_corrcoef(y, pred)),
    }


def train_once(
    data: str, model: str, seed: int, protocol: Protocol, out: Path, **extra: Any
) -> dict[str, Any]:
    """One ``run_training`` call; returns the test/val metrics and timing of the run."""
    config = TrainConfig(
        data=data,
        model=model,
        model_params=dict(protocol.model_params.get(model, {})),
        epochs=protocol.epochs,
        batch_size=protocol.batch_size,
        lr=protocol.lr,
        recipe=protocol.recipe,
        seed=seed,
        out=str(out),
        **extra,
    )
    start = time.perf_counter()
    run = run_training(config, overwrite=True, progress=False)
    wall = time.perf_counter() - start
    metrics = json.loads((run / "metrics.json").read_text())
    test, val = metrics["test"], metrics.get("val", {})
    return {
        "model": model,
        "seed": seed,
        "test_accuracy": test["accuracy"],
        "test_f1_macro": test["f1_macro"],
        "test_mcc": test["mcc"],
        "val_accuracy": val.get("accuracy"),
        "val_f1_macro": val.get("f1_macro"),
        "val_mcc": val.get("mcc"),
        "best_epoch": metrics["best_epoch"],
        "epochs_run": metrics["epochs_run"],
        "params": metrics["params"],
        "train_seconds": metrics["train_seconds"],
        "wall_seconds": round(wall, 1),
    }


def mean_sd(values: list[float]) -> str:
    """``mean ± sd`` (sample sd) with three decimals; just the value for one run."""
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def summarise(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Per model: mean, sd and the formatted ``mean ± sd`` of each metric key."""
    frame = pd.DataFrame(rows)
    out: dict[str, dict[str, Any]] = {}
    for model, group in frame.groupby("model", sort=False):
        entry: dict[str, Any] = {"n_seeds": len(group)}
        for key in keys:
            vals = [float(v) for v in group[key]]
            entry[key] = {
                "mean": float(np.mean(vals)),
                "sd": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0,
                "text": mean_sd(vals),
            }
        out[str(model)] = entry
    return out


def write_results(name: str, payload: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Write ``results/<name>.json`` (protocol + summary) and ``results/<name>.csv`` (runs)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    pd.DataFrame(rows).to_csv(RESULTS / f"{name}.csv", index=False)
