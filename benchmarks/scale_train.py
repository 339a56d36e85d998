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
    args = parser.parse_args(argv)
    need = args.rows * (args.length + 30) * 3.3  # csv + fasta (the generator writes both) + store
    free = shutil.disk_usage(args.workdir).free
    if free < need:
        raise SystemExit(f"need {need / 1e9:.1f} GB free in {args.workdir}, have {free / 1e9:.1f}")
    os.environ["OMP_NUM_THREADS"] = "1"
    folder = Path(tempfile.mkdtemp(prefix="genoclass_scale_train_", dir=args.workdir))
    store, run = folder / "store", folder / "run"
    try:
        start = time.perf_counter()
        sources = generate(folder, args.rows, args.length, args.seed)
        sources["fasta"].unlink()
        result: dict = {
            "protocol": {
                "rows": args.rows,
                "length": args.length,
                "steps": args.steps,
                "batch_size": args.batch_size,
                "generate_seconds": round(time.perf_counter() - start, 1),
                "python": platform.python_version(),
                "cpus": "2 shared cores, 1 torch thread",
            }
        }
        result["pack"] = timed(["_pack", str(sources["csv"]), str(store)])
        print("pack", json.dumps(result["pack"]), flush=True)
        sources["csv"].unlink()
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
        )
        print("train", json.dumps(result["train"]), flush=True)
        out = folder / "predictions.parquet"
        predict = f"predict --model {run} --data {store} --out {out} --threads 1".split()
        result["predict"] = timed(["_cli", *predict], script=__file__)
        seconds = result["predict"]["seconds"]
        result["predict"].update(
            rows=args.rows,
            seq_per_s=round(args.rows / seconds, 1),
            parquet_mb=round(out.stat().st_size / 1e6, 1),
        )
        print("predict", json.dumps(result["predict"]), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "scale_train.json" if args.rows == 5_000_000 else f"scale_train_{args.rows}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
