"""Training and inference throughput of gb_cnn and fast_accurate_cnn at 251 nt on CPU.

Both models run through genoclass's own code path: training is ``training.fit.fit_model``
(Lightning loop, AdamW + OneCycleLR + gradient clipping, the S0 recipe) for one epoch over
``--train-n`` real 251-nt human_nontata_promoters sequences at batch 64, without a
validation set; inference is ``training.fit.predict_proba`` at batch 256 over ``--infer-n``
sequences. Times include batching (padding, tensor conversion) and the Lightning loop, so
they are what ``genoclass train`` / ``predict`` users see. The models alternate for
``--repeats`` rounds and the median is kept; the machine is shared, so the ratio between
the models (measured side by side) is more trustworthy than the absolute numbers.

    .venv/bin/python benchmarks/speed_models.py
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
from genoclass.models.heads import n_outputs
from genoclass.sequence.encoding import tokenize
from genoclass.training.fit import FitSettings, fit_model, predict_proba

SOURCE = SHARED / "genomic_benchmarks" / "human_nontata_promoters" / "test.csv.gz"
MODELS = ("gb_cnn", "fast_accurate_cnn")
WIDTH = 251


def features(n: int, fixed: bool) -> SequenceFeatures:
    """The first ``n`` real sequences as token features (fixed width for gb_cnn)."""
    table = pd.read_csv(SOURCE, nrows=n)
    tokens, lengths = tokenize(table["sequence"].str.upper().tolist(), max_len=WIDTH)
    y = table["label"].to_numpy(np.int64)
    return SequenceFeatures(tokens, lengths, y, fixed_width=WIDTH if fixed else None)


def build(name: str) -> torch.nn.Module:
    """A fresh binary model with the registry defaults."""
    spec = get_spec(name)
    return spec.builder(n_outputs(2), WIDTH, **spec.hparams())


def train_rate(name: str, n: int, batch: int) -> float:
    """Sequences per second of one fit_model epoch over ``n`` sequences."""
    feats = features(n, get_spec(name).fixed_length)
    model = build(name)
    settings = FitSettings(epochs=1, batch_size=batch, progress=False)
    start = time.perf_counter()
    fit_model(model, feats, None, 2, settings)
    return n / (time.perf_counter() - start)


def infer_rate(name: str, n: int, batch: int) -> float:
    """Sequences per second of predict_proba over ``n`` sequences (after one warm-up batch)."""
    feats = features(n, get_spec(name).fixed_length)
    model = build(name)
    predict_proba(model, features(batch, get_spec(name).fixed_length), batch)
    start = time.perf_counter()
    predict_proba(model, feats, batch)
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    """Measure both models side by side; print and write results/speed_models.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-n", type=int, default=2048)
    parser.add_argument("--infer-n", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--name", default="speed_models", help="results file stem")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rates: dict[str, dict[str, list[float]]] = {m: {"train": [], "infer": []} for m in MODELS}
    for _ in range(args.repeats):
        for model in MODELS:
            rates[model]["train"].append(train_rate(model, args.train_n, 64))
            rates[model]["infer"].append(infer_rate(model, args.infer_n, 256))
    result: dict[str, object] = {
        "protocol": {
            "data": "human_nontata_promoters, first rows, 251 nt",
            "train": f"fit_model 1 epoch, {args.train_n} seqs, batch 64, onecycle, no val",
            "inference": f"predict_proba, {args.infer_n} seqs, batch 256",
            "repeats": args.repeats,
            "statistic": "median sequences/s, models alternating",
            "torch_threads": args.threads,
            "cpu_count": os.cpu_count(),
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
            "torch": torch.__version__,
        }
    }
    for model in MODELS:
        result[model] = {
            "params": sum(p.numel() for p in build(model).parameters() if p.requires_grad),
            "train_seqs_per_s": round(statistics.median(rates[model]["train"]), 1),
            "infer_seqs_per_s": round(statistics.median(rates[model]["infer"]), 1),
            "train_all": [round(v, 1) for v in rates[model]["train"]],
            "infer_all": [round(v, 1) for v in rates[model]["infer"]],
        }
    fa, gb = result["fast_accurate_cnn"], result["gb_cnn"]
    result["ratio_fast_over_gb"] = {
        "train": round(fa["train_seqs_per_s"] / gb["train_seqs_per_s"], 2),
        "infer": round(fa["infer_seqs_per_s"] / gb["infer_seqs_per_s"], 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
