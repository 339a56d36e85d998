"""Peak memory of `genoclass pretrain` on a FASTA of at least 100 Mb (streamed windows).

Writes a synthetic genome (two 50 Mb records of uniform random bases, 60 bases a line, with
a 12-base motif planted every 500 bases) to /tmp (not committed), then runs one epoch of
`genoclass pretrain` on it under `/usr/bin/time -v` with one torch thread and reports the
peak resident set size and the CPU seconds. The stride sets how many windows are trained
on (1,000 by default: about 100,000 windows of 200 bases); the whole file is read either
way, so the memory figure does not depend on it.

    .venv/bin/python benchmarks/pretrain_rss.py
    .venv/bin/python benchmarks/pretrain_rss.py --megabases 100 --stride 1000
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

SCRATCH = Path("/tmp/genoclass_bench")
REPO = Path(__file__).resolve().parents[1]
MOTIF = np.frombuffer(b"TATAAAGGCCGC", dtype=np.uint8)
LINE = 60


def write_genome(path: Path, megabases: int, seed: int = 0) -> int:
    """Write two records of ``megabases / 2`` Mb each, block by block; returns bytes."""
    rng = np.random.default_rng(seed)
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    block = 600_000  # bases per write: a multiple of the line length
    per_record = megabases * 500_000
    with open(path, "wb") as handle:
        for record in (1, 2):
            handle.write(f">chr{record}\n".encode())
            for start in range(0, per_record, block):
                seq = bases[rng.integers(0, 4, min(block, per_record - start))]
                for at in range(0, len(seq) - len(MOTIF), 500):
                    seq[at : at + len(MOTIF)] = MOTIF
                lines = seq.reshape(-1, LINE) if len(seq) % LINE == 0 else [seq]
                handle.write(b"".join(bytes(line) + b"\n" for line in lines))
    return path.stat().st_size


def main(argv: list[str] | None = None) -> None:
    """Write the FASTA, run pretrain under /usr/bin/time -v, print RSS and CPU time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabases", type=int, default=100)
    parser.add_argument("--stride", type=int, default=1000)
    args = parser.parse_args(argv)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    fasta = SCRATCH / f"synthetic_{args.megabases}mb.fa"
    size = write_genome(fasta, args.megabases)
    command = [
        "/usr/bin/time", "-v", str(Path(sys.executable).with_name("genoclass")), "pretrain",
        "--data", str(fasta), "--window", "200", "--stride", str(args.stride),
        "--epochs", "1", "--batch-size", "128", "--out", str(SCRATCH / "pretrain_rss"),
        "--overwrite",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    report = done.stderr
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", report).group(1))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", report).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", report).group(1))
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)")
    print(
        f"FASTA {size / 1e6:.1f} MB, stride {args.stride}: exit {done.returncode}, peak RSS "
        f"{rss_kb / 2**20:.2f} GiB, CPU {user + system:.0f} s"
    )


if __name__ == "__main__":
    main()
