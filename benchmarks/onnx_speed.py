"""Inference speed of the PyTorch and ONNX engines, side by side, and the export's
agreement with PyTorch.

For each model (gb_cnn, fast_accurate_cnn, gated_dilated_cnn at their defaults) a run is
trained for one epoch on 2,000 planted-motif sequences of 251 nt (speed does not depend on
the weights), exported with ``TrainedRun.export_onnx``, and both engines predict the same
``--n`` (20,000) encoded sequences of 251 nt, batch 256, alternating torch / onnx for ``--rounds``
rounds at 1 and 2 threads; the median sequences per second of each and their ratio are
written to ``results/onnx_speed.json``. ``--demo RUN_DIR`` also reports the largest
|probability difference| between the engines on the demo run's 5,000 sequences.

    cd benchmarks && ../.venv/bin/python onnx_speed.py --demo ../genoclass_demo/run \
        --models gb_cnn fast_accurate_cnn; ... --models gated_dilated_cnn --n 4000
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from s0_common import RESULTS

from genoclass.config import TrainConfig
from genoclass.data.synthetic import demo_sequences
from genoclass.training.export import OnnxPredictor
from genoclass.workflows.apply import TrainedRun
from genoclass.workflows.train import run_training

MODELS = ("gb_cnn", "fast_accurate_cnn", "gated_dilated_cnn")


def seqs_per_second(predict, features, n: int) -> float:
    """Sequences per second of one full prediction pass."""
    start = time.perf_counter()
    predict(features)
    return n / (time.perf_counter() - start)


def measure(model: str, folder: Path, rounds: int, n: int) -> dict[str, object]:
    """Train, export and time one model (see the module docstring)."""
    data = folder / "train.csv"
    demo_sequences(seed=0, n_per_class=1000, length=251).to_csv(data, index=False)
    config = TrainConfig(data=str(data), model=model, epochs=1, seed=0, out=str(folder / model))
    run = TrainedRun.load(run_training(config, progress=False))
    path, check = run.export_onnx(folder / f"{model}.onnx")
    table = demo_sequences(seed=1, n_per_class=n // 2, length=251)
    features = run.featurizer.transform(table, None)
    out: dict[str, object] = {"model": model, "export_check_max_abs_diff": check["max_abs_diff"]}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        onnx = OnnxPredictor(path, threads=threads)
        speeds: dict[str, list[float]] = {"torch": [], "onnx": []}
        for _ in range(rounds):
            speeds["torch"].append(
                seqs_per_second(run.classifier.predict_proba, features, len(table))
            )
            speeds["onnx"].append(seqs_per_second(onnx.predict_proba, features, len(table)))
        torch_median = statistics.median(speeds["torch"])
        onnx_median = statistics.median(speeds["onnx"])
        out[f"threads_{threads}"] = {
            "torch_seq_per_s": round(torch_median),
            "onnx_seq_per_s": round(onnx_median),
            "onnx_over_torch": round(onnx_median / torch_median, 2),
        }
        print(model, threads, out[f"threads_{threads}"], flush=True)
    return out


def demo_agreement(run_dir: str) -> float:
    """Largest |probability difference| between the engines on the demo run's data."""
    run = TrainedRun.load(run_dir)
    path, _ = run.export_onnx(Path(tempfile.mkdtemp()) / "demo.onnx")
    table = demo_sequences(seed=run.config.seed)
    features = run.featurizer.transform(table, None)
    expected = run.classifier.predict_proba(features)
    return float(np.abs(OnnxPredictor(path).predict_proba(features) - expected).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=20_000, help="sequences predicted per pass")
    parser.add_argument("--demo", help="demo run directory (make demo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(m, Path(tmp), args.rounds, args.n) for m in args.models]
    payload: dict[str, object] = {
        "protocol": f"{args.n:,} sequences x 251 nt, batch 256, median of alternating rounds",
        "rounds": args.rounds,
        "models": rows,
    }
    if args.demo:
        payload["demo_max_abs_diff"] = demo_agreement(args.demo)
        print("demo run max |dprob|:", payload["demo_max_abs_diff"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "onnx_speed.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
