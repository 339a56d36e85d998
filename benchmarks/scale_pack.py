"""Scale: pack 5,000,000 sequences x 200 nt into a store, then read random batches from it.

The data is generated here (random bases, 2 classes, an official 80/10/10 split column, and
per 500,000 rows 5,000 exact and 5,000 reverse-complement copies of other rows) as CSV and as
FASTA in a temporary folder, which is deleted at the end. Each step runs in its own process
under ``/usr/bin/time -v`` so that its peak resident memory is measured alone:

* ``pack``: ``genoclass.data.pack.pack_sequences`` (the code of ``genoclass data pack``) on the
  CSV and on the FASTA file: throughput in MB of source text per second;
* ``read``: open the store (manifest, sizes and checksums of the per-sequence arrays), then
  ``--batches`` random batches of 64 rows through ``StoreFeatures.batch`` (int64 tokens, as
  ``gb_cnn`` takes them);
* ``dedup``: duplicate groups and cross-split duplicate counts of all rows from the stored
  hashes (the planted copies must come out as duplicate rows).

    .venv/bin/python benchmarks/scale_pack.py            # ~1 GB of text per format
    .venv/bin/python benchmarks/scale_pack.py --rows 200000   # quick check
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
CHUNK_ROWS = 500_000
COPIES = 5_000  # exact and reverse-complement copies planted per chunk of 500,000 rows
_COMPLEMENT = np.zeros(256, dtype=np.uint8)
_COMPLEMENT[np.frombuffer(b"ACGT", np.uint8)] = np.frombuffer(b"TGCA", np.uint8)


def generate(folder: Path, rows: int, length: int, seed: int) -> dict[str, Path]:
    """Write data.csv and data.fa with the same rows; return their paths."""
    rng = np.random.default_rng(seed)
    paths = {"csv": folder / "data.csv", "fasta": folder / "data.fa"}
    splits = np.array([b"train", b"val", b"test"])
    with open(paths["csv"], "wb") as csv, open(paths["fasta"], "wb") as fasta:
        csv.write(b"id,sequence,label,split\n")
        for first in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - first)
            bases = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, size=(n, length))]
            plant_copies(bases, rng)
            labels = rng.integers(0, 2, size=n).tolist()
            split = splits[rng.choice(3, size=n, p=[0.8, 0.1, 0.1])].tolist()
            seqs = [row.tobytes() for row in bases]
            ids = range(first, first + n)
            csv.write(
                b"".join(
                    b"s%d,%s,%d,%s\n" % (i, s, y, p)
                    for i, s, y, p in zip(ids, seqs, labels, split, strict=True)
                )
            )
            fasta.write(
                b"".join(
                    b">s%d label=%d\n%s\n" % (i, y, s)
                    for i, s, y in zip(ids, seqs, labels, strict=True)
                )
            )
    return paths


def plant_copies(bases: np.ndarray, rng: np.random.Generator) -> None:
    """Overwrite COPIES rows with copies and COPIES with reverse complements of other rows."""
    order = rng.permutation(len(bases))
    k = min(COPIES, len(bases) // 4)
    exact, rc, sources = order[:k], order[k : 2 * k], order[2 * k : 4 * k]
    bases[exact] = bases[sources[:k]]
    bases[rc] = _COMPLEMENT[bases[sources[k:]][:, ::-1]]


def planted(rows: int) -> int:
    """How many rows are copies (exact or reverse complement) of another row."""
    full, rest = divmod(rows, CHUNK_ROWS)
    return 2 * (full * min(COPIES, CHUNK_ROWS // 4) + min(COPIES, rest // 4))


def timed(args: list[str], script: str = __file__) -> dict:
    """Run ``script`` (default: this one) with ``args`` under /usr/bin/time -v; its last
    output line (JSON) + time's figures."""
    command = ["/usr/bin/time", "-v", sys.executable, script, *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"step failed: {' '.join(args)}\n{done.stdout}\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", done.stderr)
    result["peak_rss_mib"] = round(int(rss.group(1)) / 1024, 1)
    result["wall_clock"] = wall.group(1)
    return result


def step_pack(source: str, out: str) -> dict:
    from genoclass.data.pack import pack_sequences

    result = pack_sequences(source, out)
    return {
        "rows": result.rows,
        "bases": result.residues,
        "source_mb": round(result.bytes_read / 1e6, 1),
        "store_mb": round(result.store_bytes / 1e6, 1),
        "seconds": round(result.seconds, 1),
        "mb_per_s": round(result.megabytes_per_second, 1),
    }


def step_read(store_path: str, batches: int, batch_size: int, seed: int) -> dict:
    import torch

    from genoclass.data.store import SequenceStore

    torch.set_num_threads(1)
    start = time.perf_counter()
    store = SequenceStore(store_path)
    y = store.y()
    opened = time.perf_counter() - start
    features = store.features(y=y, input_kind="tokens", max_len=200, fixed_width=200)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(batches):
        batch = features.batch(rng.integers(0, len(store), size=batch_size))
    reading = time.perf_counter() - start
    return {
        "open_seconds": round(opened, 2),
        "batches": batches,
        "batch_size": batch_size,
        "batch_shape": list(batch["x"].shape),
        "batches_per_s": round(batches / reading, 1),
        "rows_per_s": round(batches * batch_size / reading),
    }


def step_dedup(store_path: str) -> dict:
    from genoclass.data.store import (
        SequenceStore,
        store_cross_split_duplicates,
        store_duplicate_groups,
    )

    store = SequenceStore(store_path, verify="sizes")
    start = time.perf_counter()
    groups = store_duplicate_groups(store, include_rc=True)
    grouped = time.perf_counter() - start
    leakage = store_cross_split_duplicates(store)
    return {
        "duplicate_rows": int(len(store) - (groups.max() + 1)),
        "groups_seconds": round(grouped, 2),
        "cross_split_exact": leakage["total_cross_split_exact"],
        "cross_split_rc": leakage["total_cross_split_rc"],
        "total_seconds": round(time.perf_counter() - start, 2),
    }


def main(argv: list[str] | None = None) -> None:
    """Generate, pack (CSV and FASTA) and read; print and write results/scale_pack.json."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_pack":
        print(json.dumps(step_pack(argv[1], argv[2])))
        return
    if argv and argv[0] == "_read":
        print(json.dumps(step_read(argv[1], int(argv[2]), int(argv[3]), int(argv[4]))))
        return
    if argv and argv[0] == "_dedup":
        print(json.dumps(step_dedup(argv[1])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    args = parser.parse_args(argv)
    need = args.rows * (args.length + 30) * 3.3  # csv + fasta + one store at a time
    free = shutil.disk_usage(args.workdir).free
    if free < need:
        raise SystemExit(f"need {need / 1e9:.1f} GB free in {args.workdir}, have {free / 1e9:.1f}")
    folder = Path(tempfile.mkdtemp(prefix="genoclass_scale_", dir=args.workdir))
    try:
        start = time.perf_counter()
        sources = generate(folder, args.rows, args.length, args.seed)
        result: dict = {
            "protocol": {
                "rows": args.rows,
                "length": args.length,
                "planted_duplicate_rows": planted(args.rows),
                "generate_seconds": round(time.perf_counter() - start, 1),
                "python": platform.python_version(),
                "cpus": "2 shared cores",
            }
        }
        for fmt, source in sources.items():
            store = folder / f"store_{fmt}"
            result[f"pack_{fmt}"] = timed(["_pack", str(source), str(store)])
            print(fmt, json.dumps(result[f"pack_{fmt}"]), flush=True)
            if fmt == "csv":
                read_args = [str(store), str(args.batches), str(args.batch_size), "1"]
                result["read"] = timed(["_read", *read_args])
                print("read", json.dumps(result["read"]), flush=True)
                result["dedup"] = timed(["_dedup", str(store)])
                print("dedup", json.dumps(result["dedup"]), flush=True)
            shutil.rmtree(store)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "scale_pack.json" if args.rows == 5_000_000 else f"scale_pack_{args.rows}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
