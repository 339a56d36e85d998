"""``--model auto``: fit every candidate model on the training split and keep the one with
the highest validation MCC.

Only the validation split is scored while choosing, so the test split never steers the
choice (its labels are read with the data but no candidate is scored on them). The chosen
model is then trained again by the normal run (same seed, so the same weights for a
deterministic model) and its run directory records every candidate's validation figures.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from genoclass.config import TrainConfig
from genoclass.errors import InputError
from genoclass.training.progress import Steps
from genoclass.workflows.fitting import fit_one, prepare
from genoclass.workflows.inputs import LabelledData, check_run
from genoclass.workflows.kinds import input_kind

AUTO = "auto"

#: candidates per kind of data, cheapest first (a tie keeps the earlier, cheaper one)
CANDIDATES: dict[str, tuple[str, ...]] = {
    "sequence": ("kmer_nb", "kmer_lr", "fast_accurate_cnn", "gated_dilated_cnn"),
    "expression": ("logistic_regression", "random_forest", "expr_mlp"),
}


def read_for_auto(config: TrainConfig) -> tuple[str, LabelledData]:
    """The data's kind and the data, read once for every candidate of that kind (they share
    one reader): ``sequence`` when ``config.data`` reads as labelled sequences, else
    ``expression`` (a matrix of samples x genes); an input that is neither raises the
    sequence reader's error, which names the file and the problem."""
    try:
        return "sequence", input_kind("tokens").reader(config)
    except InputError as sequence_error:
        try:
            return "expression", input_kind("expression").reader(config)
        except InputError:
            raise sequence_error from None


def choose_model(
    config: TrainConfig, *, progress: bool = False, data: LabelledData | None = None
) -> tuple[dict[str, Any], LabelledData]:
    """Fit each candidate for the data's kind with ``config``'s settings (on ``data`` when
    given, already read, else on ``config.data``) and return the choice (``chosen``,
    ``selection`` and one row per candidate: validation MCC, accuracy and macro F1,
    parameters, CPU seconds) and the data, for the chosen run."""
    if config.model_params:
        raise InputError(
            "--param names one model's hyperparameters; it cannot go with --model auto"
        )
    if data is None:
        kind, data = read_for_auto(config)
    else:
        kind = "expression" if "sequence" not in data.table else "sequence"
    rows = []
    names = CANDIDATES[kind]
    with Steps(len(names), "auto: candidate") as steps:
        for name in names:
            candidate = dataclasses.replace(config, model=name)
            spec, _ = check_run(candidate)
            prep = prepare(candidate, spec, data)
            if "val" not in prep.features:
                raise InputError(
                    "--model auto chooses on the validation split: give --val or --val-size > 0"
                )
            cpu = time.process_time()
            fitted = fit_one(candidate, prep, splits=("val",), progress=progress)
            val = fitted.metrics("val")
            rows.append(
                {
                    "model": name,
                    "val_mcc": round(float(val["mcc"]), 4),
                    "val_accuracy": round(float(val["accuracy"]), 4),
                    "val_f1_macro": round(float(val["f1_macro"]), 4),
                    "params": fitted.classifier.n_parameters(),
                    "cpu_seconds": round(time.process_time() - cpu, 1),
                }
            )
            steps.step(
                f"{name}: validation MCC {val['mcc']:.3f}, accuracy {val['accuracy']:.3f} "
                f"({rows[-1]['cpu_seconds']} CPU s)"
            )
    best = max(rows, key=lambda row: row["val_mcc"])  # max keeps the first of equals
    print(f"auto: chose {best['model']} (highest validation MCC)", flush=True)
    choice = {"chosen": best["model"], "selection": "highest validation MCC", "candidates": rows}
    return choice, data
