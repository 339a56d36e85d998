"""Training and inference throughput of sequence models (default: gb_cnn, fast_accurate_cnn,
gated_dilated_cnn) at 101 and 251 nt on CPU, at 1 and 2 torch threads.

Every model runs through genoclass's own code path: training is ``training.fit.fit_model``
(Lightning loop, AdamW + OneCycleLR + gradient clipping, the S0 recipe) for one epoch over
``--train-n`` real sequences at batch 64, without a validation set; inference is
``training.fit.predict_proba`` at batch 256 over ``--infer-n`` sequences. Data: the first
rows of GUE tf/0 ``train`` (101 nt) and of human_nontata_promoters (251 nt). Times include
batching (padding, tensor or one-hot conversion) and the Lightning loop, so they are what
``genoclass train`` / ``predict`` users see. For every thread count and length the models
alternate for ``--repeats`` rounds and the median is kept; the machine is shared, so the
ratios between models (measured side by side) are more trustworthy than absolute numbers.
The estimated epoch time on GUE tf/0 is its 32,378 training sequences over the 101-nt rate.

    .venv/bin/python benchmarks/speed_models.py
    .venv/bin/python benchmarks/speed_models.py --models gb_cnn fast_accurate_cnn \
        --lengths 251 --threads 1 --name speed_models     # the first (two-model) table
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import pandas as pd
import torch
from s0_common import RESULTS, SHARED

from genoclass.data.loaders import SequenceFeatures
from genoclass.models import get_spec
from genoclass.models.outputs import n_outputs
from genoclass.sequence.encoding import tokenize
from genoclass.training.fit import FitSettings, fit_model, predict_proba

SOURCES = {
    101: SHARED / "gue" / "tf" / "0" / "train.csv.gz",
    251: SHARED / "genomic_benchmarks" / "human_nontata_promoters" / "test.csv.gz",
}
MODELS = ("gb_cnn", "fast_accurate_cnn", "gated_dilated_cnn")
TF0_TRAIN = 32_378


def features(name: str, n: int, width: int) -> SequenceFeatures:
    """The first ``n`` real sequences of the ``width``-nt source, encoded for ``name``."""
    spec = get_spec(name)
    table = pd.read_csv(SOURCES[width], nrows=n)
    tokens, lengths = tokenize(table["sequence"].str.upper().tolist(), max_len=width)
    y = table["label"].to_numpy(np.int64)
    fixed = width if spec.fixed_length else None
    return SequenceFeatures(tokens, lengths, y, input_kind=spec.input_kind, fixed_width=fixed)


def build(name: str, width: int) -> torch.nn.Module:
    """A fresh binary model with the registry defaults."""
    spec = get_spec(name)
    return spec.builder(n_outputs(2), width, **spec.hparams())


def train_rate(name: str, n: int, width: int, batch: int) -> float:
    """Sequences per second of one fit_model epoch over ``n`` sequences."""
    feats = features(name, n, width)
    model = build(name, width)
    settings = FitSettings(epochs=1, batch_size=batch, progress=False)
    start = time.perf_counter()
    fit_model(model, feats, None, 2, settings)
    return n / (time.perf_counter() - start)


def infer_rate(name: str, n: int, width: int, batch: int) -> float:
    """Sequences per second of predict_proba over ``n`` sequences (after one warm-up batch)."""
    feats = features(name, n, width)
    model = build(name, width)
    predict_proba(model, features(name, batch, width), batch)
    start = time.perf_counter()
    predict_proba(model, feats, batch)
    return n / (time.perf_counter() - start)


def measure(models: list[str], width: int, args: argparse.Namespace) -> dict[str, object]:
    """Median train / inference rates of ``models`` at ``width`` nt, alternating them."""
    rates: dict[str, dict[str, list[float]]] = {m: {"train": [], "infer": []} for m in models}
    for _ in range(args.repeats):
        for model in models:
            rates[model]["train"].append(train_rate(model, args.train_n, width, 64))
            rates[model]["infer"].append(infer_rate(model, args.infer_n, width, 256))
    out: dict[str, object] = {}
    for model in models:
        train = statistics.median(rates[model]["train"])
        out[model] = {
            "params": sum(p.numel() for p in build(model, width).parameters() if p.requires_grad),
            "train_seqs_per_s": round(train, 1),
            "infer_seqs_per_s": round(statistics.median(rates[model]["infer"]), 1),
            "train_all": [round(v, 1) for v in rates[model]["train"]],
            "infer_all": [round(v, 1) for v in rates[model]["infer"]],
            "tf0_epoch_seconds_estimate": round(TF0_TRAIN / train, 1),
        }
    if "fast_accurate_cnn" in models:
        ref = out["fast_accurate_cnn"]
        out["speed_relative_to_fast_accurate_cnn"] = {
            m: {
                "train": round(out[m]["train_seqs_per_s"] / ref["train_seqs_per_s"], 2),
                "infer": round(out[m]["infer_seqs_per_s"] / ref["infer_seqs_per_s"], 2),
            }
            for m in models
        }
    return out


def main(argv: list[str] | None = None) -> None:
    """Measure the models side by side per thread count and length; print and write
    results/<name>.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--lengths", type=int, nargs="+", default=[101, 251], choices=SOURCES)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch threads")
    parser.add_argument("--train-n", type=int, default=2048)
    parser.add_argument("--infer-n", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--name", default="speed_models_101_251", help="results file stem")
    args = parser.parse_args(argv)
    result: dict[str, object] = {
        "protocol": {
            "data": "first rows of GUE tf/0 train (101 nt), human_nontata_promoters (251 nt)",
            "train": f"fit_model 1 epoch, {args.train_n} seqs, batch 64, onecycle, no val",
            "inference": f"predict_proba, {args.infer_n} seqs, batch 256",
            "repeats": args.repeats,
            "statistic": "median sequences/s, models alternating",
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
        }
    }
    for threads in args.threads:
        torch.set_num_threads(threads)
        for width in args.lengths:
            key = f"threads_{threads}_{width}nt"
            result[key] = measure(args.models, width, args)
            result[key]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
            print(key, json.dumps(result[key]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
