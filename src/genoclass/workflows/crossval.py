"""The ``train --cv K`` job: stratified K-fold cross-validation, repeated over seeds.

Each fold is an ordinary run directory (``<out>/folds/s<seed>_f<k>/``, written by
``run_training``): the fold is its test split, and ``val_size`` of the remaining rows is
carved out for validation (best epoch). The cross-validation directory also holds
``cv.csv`` (one row per fold), ``cv_summary.csv`` (mean ± sd of each metric over all folds)
and ``cv.json`` (both, with the protocol and per-class F1). Finished folds are kept, so
re-running the same command resumes an interrupted cross-validation.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from genoclass.atomic import write_table_atomic
from genoclass.config import TrainConfig
from genoclass.errors import InputError
from genoclass.evaluation.bootstrap import mean_sd
from genoclass.evaluation.desirability import integrated_f1_relative
from genoclass.io.run_files import RunFiles
from genoclass.reporting.cv_report import write_cv_report
from genoclass.training.progress import Steps
from genoclass.workflows.auto import AUTO
from genoclass.workflows.fitting import split_groups
from genoclass.workflows.inputs import LabelledData, check_run
from genoclass.workflows.kinds import input_kind
from genoclass.workflows.rundir import write_json
from genoclass.workflows.train import run_training

#: test metrics kept per fold and summarised as mean ± sd
CV_METRICS = (
    "accuracy",
    "f1_macro",
    "mcc",
    "integrated_f1",
    "sensitivity",
    "specificity",
    "roc_auc",
)


def fold_assignments(
    labels: np.ndarray, k: int, seed: int, groups: np.ndarray | None = None
) -> np.ndarray:
    """Fold number (0..k-1) of every row: stratified, shuffled with ``seed``; with ``groups``
    rows sharing a group share a fold (stratified as far as the groups allow)."""
    counts = pd.Series(labels).value_counts()
    if k < 2 or counts.min() < k:
        raise InputError(
            f"--cv {k} needs k >= 2 and at least k samples per class; smallest class "
            f"{counts.idxmin()!r} has {counts.min()}"
        )
    if groups is not None and len(np.unique(groups)) < k:
        raise InputError(f"--cv {k} needs at least k groups; the grouping has fewer")
    folds = np.empty(len(labels), dtype=np.int64)
    splitter = (
        StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        if groups is None
        else StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    )
    for fold, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups)):
        folds[test] = fold
    return folds


def run_crossval(config: TrainConfig, *, overwrite: bool = False, progress: bool = False) -> Path:
    """Cross-validate ``config.model`` (``config.cv`` folds x ``config.cv_seeds`` seeds
    starting at ``config.seed``) and write the cross-validation directory ``config.out``."""
    if not config.out:
        raise InputError("--out is required")
    out = Path(config.out)
    if (out / "cv.json").exists() and not overwrite:
        raise InputError("cross-validation directory is complete; pass --overwrite", path=out)
    if config.model == AUTO:
        raise InputError(
            "--model auto cannot be combined with --cv yet: choose with "
            "`genoclass train --model auto`, then cross-validate the chosen model"
        )
    spec, _ = check_run(config)
    data = input_kind(spec.input_kind).reader(config)
    table = data.table.reset_index(drop=True)
    seeds = [config.seed + i for i in range(max(config.cv_seeds, 1))]
    rows = []
    groups = split_groups(table, config)
    with Steps(config.cv * len(seeds), "cross-validation fold") as steps:
        for seed in seeds:
            folds = fold_assignments(table["label"].to_numpy(), config.cv, seed, groups)
            for fold in range(config.cv):
                run_dir = out / "folds" / f"s{seed}_f{fold + 1}"
                earlier = RunFiles(run_dir).finished()
                if not earlier:
                    fold_table = table.assign(split=np.where(folds == fold, "test", None))
                    fold_config = dataclasses.replace(
                        config, cv=0, seed=seed, split_seed=seed, out=str(run_dir)
                    )
                    run_training(
                        fold_config,
                        overwrite=True,
                        progress=progress,
                        data=LabelledData(fold_table, data.info, data.store),
                    )
                rows.append(_fold_row(run_dir, seed, fold + 1))
                steps.step(_fold_note(rows[-1], config.cv, earlier))
    folds_frame = pd.DataFrame(rows)
    summary = summarize_folds(folds_frame)
    write_table_atomic(folds_frame, out / "cv.csv")
    write_table_atomic(summary, out / "cv_summary.csv")
    write_json(
        out / "cv.json",
        {
            "model": spec.name,
            "data": config.data,
            "protocol": {
                "folds": config.cv,
                "seeds": seeds,
                "stratified": True,
                "grouped": groups is not None,
                "val_size_of_training_part": config.val_size,
                "epochs": config.epochs if spec.family == "neural" else None,
                "preprocess": config.preprocess if spec.input_kind == "expression" else None,
            },
            "summary": summary.set_index("metric").to_dict(orient="index"),
            "per_class_f1": _per_class_f1(folds_frame),
            "folds": rows,
        },
    )
    write_cv_report(out)
    return out


def _fold_row(run_dir: Path, seed: int, fold: int) -> dict[str, Any]:
    metrics = RunFiles(run_dir).read_metrics()
    test = metrics["test"]
    row: dict[str, Any] = {"seed": seed, "fold": fold, "n_test": metrics["n_test"]}
    row.update({m: test.get(m) for m in CV_METRICS})
    row.update({f"f1_{c}": v["f1"] for c, v in test["per_class"].items()})
    row["train_seconds"] = metrics.get("train_seconds")
    row["run"] = str(run_dir)
    return row


def _fold_note(row: dict[str, Any], k: int, earlier: bool) -> str:
    """What a progress line says about a finished fold: which one and its test scores."""
    done = " (finished earlier)" if earlier else ""
    return (
        f"seed {row['seed']} fold {row['fold']}/{k}{done}: test accuracy "
        f"{row['accuracy']:.3f}  MCC {row['mcc']:.3f}"
    )


def summarize_folds(folds: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd (ddof=1) and count of each CV metric over the fold rows."""
    return pd.DataFrame(
        [{"metric": m, **mean_sd(folds[m].tolist())} for m in CV_METRICS if m in folds]
    )


def _per_class_f1(folds: pd.DataFrame) -> dict[str, float]:
    columns = [c for c in folds.columns if c.startswith("f1_") and c != "f1_macro"]
    return {c[3:]: float(folds[c].mean()) for c in columns}


def compare_crossvals(cv_dirs: dict[str, Path]) -> pd.DataFrame:
    """One row per cross-validated alternative (name -> cv directory): accuracy and fixed
    integrated F1 as mean ± sd over folds, and the relative integrated F1 of the mean
    per-class F1 values, whose Harrington scale ends (-2, 5) sit at the worst and best F1
    among the alternatives compared."""
    records, f1_rows = [], []
    for name, directory in cv_dirs.items():
        cv = json.loads((Path(directory) / "cv.json").read_text())
        acc, fixed = cv["summary"]["accuracy"], cv["summary"]["integrated_f1"]
        records.append(
            {
                "model": name,
                "accuracy_mean": acc["mean"],
                "accuracy_sd": acc["sd"],
                "integrated_f1_fixed_mean": fixed["mean"],
                "integrated_f1_fixed_sd": fixed["sd"],
                "folds": acc["n"],
            }
        )
        f1_rows.append(cv["per_class_f1"])
    matrix = pd.DataFrame(f1_rows).fillna(0.0).to_numpy()
    frame = pd.DataFrame(records)
    frame["integrated_f1_relative"] = integrated_f1_relative(matrix)
    return frame
