"""Scale: train ``gb_cnn`` from a packed store of 5,000,000 sequences x 200 nt, then predict
every row of it.

The data come from ``scale_pack.py``'s generator (random bases, 2 classes, an official 80/10/10
split column, planted exact and reverse-complement copies), written as CSV in a temporary
folder (deleted at the end) and packed with ``genoclass data pack``. Each step runs in its
own process under ``/usr/bin/time -v``, so its peak resident memory is measured alone, on one
torch thread:

* ``pack``: the CSV into a store (MB of source text per second);
* ``train``: ``genoclass train --data STORE --model gb_cnn --batch-size 64 --max-steps 2000``:
  shuffling over all training rows (the store's split column), validation and test metrics
  over every validation and test row, the whole run directory written;
* ``predict``: ``genoclass predict`` of the trained run over all rows of the store to Parquet
  (streamed in chunks of 65,536 rows).

The data are random, so the model learns nothing; the figures are throughput and memory.

    .venv/bin/python benchmarks/scale_train.py                  # ~30 min on 2 shared cores
    .venv/bin/python benchmarks/scale_train.py --rows 200000    # quick check
    .venv/bin/python benchmarks/scale_train.py --store STORE --no-predict   # train only, on
                                                  # an existing store (kept)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_pack import RESULTS, generate, timed  # noqa: E402


def step_cli(args: list[str]) -> dict:
    """Run one genoclass command in this process; its wall time."""
    from genoclass.cli import main

    start = time.perf_counter()
    code = main(args)
    if code != 0:
        raise SystemExit(code)
    return {"seconds": round(time.perf_counter() - start, 1)}


def generate_and_pack(folder: Path, store: Path, args: argparse.Namespace) -> dict:
    """Generate the CSV (``scale_pack.generate``) and pack it into ``store``; pack figures."""
    start = time.perf_counter()
    sources = generate(folder, args.rows, args.length, args.seed)
    sources["fasta"].unlink()
    seconds = round(time.perf_counter() - start, 1)
    result = {"generate_seconds": seconds, **timed(["_pack", str(sources["csv"]), str(store)])}
    print("pack", json.dumps(result), flush=True)
    sources["csv"].unlink()
    return result


def predict_all(run: Path, store: Path, out: Path, rows: int) -> dict:
    """``genoclass predict`` of every row of ``store`` to Parquet; time, memory, throughput."""
    predict = f"predict --model {run} --data {store} --out {out} --threads 1".split()
    result = timed(["_cli", *predict], script=__file__)
    result.update(
        rows=rows,
        seq_per_s=round(rows / result["seconds"], 1),
        parquet_mb=round(out.stat().st_size / 1e6, 1),
    )
    print("predict", json.dumps(result), flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    """Generate, pack, train and predict; print and write results/scale_train.json."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_cli":
        print(json.dumps(step_cli(argv[1:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--store", help="an existing store to use (not generated, not deleted)")
    parser.add_argument("--no-predict", action="store_true", help="skip the predict step")
    args = parser.parse_args(argv)
    need = 0 if args.store else args.rows * (args.length + 30) * 3.3  # csv + fasta + store
    free = shutil.disk_usage(args.workdir).free
    if free < need:
        raise SystemExit(f"need {need / 1e9:.1f} GB free in {args.workdir}, have {free / 1e9:.1f}")
    os.environ["OMP_NUM_THREADS"] = "1"
    folder = Path(tempfile.mkdtemp(prefix="genoclass_scale_train_", dir=args.workdir))
    store, run = Path(args.store or folder / "store"), folder / "run"
    result: dict = {
        "protocol": {
            "rows": args.rows,
            "length": args.length,
            "steps": args.steps,
            "batch_size": args.batch_size,
            "python": platform.python_version(),
            "cpus": "2 shared cores, 1 torch thread",
        }
    }
    try:
        if not args.store:
            result["pack"] = generate_and_pack(folder, store, args)
        train = (
            f"train --data {store} --model gb_cnn --batch-size {args.batch_size} --epochs 1 "
            f"--max-steps {args.steps} --seed {args.seed} --threads 1 --out {run}"
        ).split()
        result["train"] = timed(["_cli", *train], script=__file__)
        metrics = json.loads((run / "metrics.json").read_text())
        result["train"].update(
            n_train=metrics["n_train"],
            n_val=metrics["n_val"],
            n_test=metrics["n_test"],
            train_seconds=metrics["train_seconds"],
            steps_per_s=round(args.steps / metrics["train_seconds"], 2),
            train_seq_per_s=round(args.steps * args.batch_size / metrics["train_seconds"], 1),
            test_accuracy=metrics["test"]["accuracy"],
            test_inference_seq_per_s=metrics["inference_seq_per_s"],
            validated_epochs=int(pd.read_csv(run / "history.csv")["val_loss"].notna().sum()),
        )
        print("train", json.dumps(result["train"]), flush=True)
        if not args.no_predict:
            result["predict"] = predict_all(run, store, folder / "predictions.parquet", args.rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "scale_train" + ("" if args.rows == 5_000_000 else f"_{args.rows}")
    name += "_train_only.json" if args.no_predict else ".json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
