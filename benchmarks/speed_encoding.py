"""Encoding throughput: genoclass's vectorised tokenizer vs a per-sample Python tokenizer.

The Python reference mimics the Genomic Benchmarks reference pipeline (torchtext
``LetterTokenizer`` + ``vocab`` lookups in a per-batch collate function): each sequence is
split into characters, each character is looked up in a dict, and the id list is padded in
Python to the fixed length before the rows become one array. ``genoclass.sequence.encoding
.tokenize`` does one byte-table lookup over all sequences at once. Both encode the same
sequences (real 251-nt human_nontata_promoters rows, repeated to ``--copies`` x 9,034) to
the same (n, 251) token matrix; the runs alternate and the median of ``--repeats`` is kept.

    .venv/bin/python benchmarks/speed_encoding.py
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from s0_common import RESULTS, SHARED

from genoclass.alphabet import PAD_ID, TOKEN_IDS
from genoclass.sequence.encoding import tokenize

SOURCE = SHARED / "genomic_benchmarks" / "human_nontata_promoters" / "test.csv.gz"
VOCAB = {**TOKEN_IDS, "<pad>": PAD_ID}


def letter_tokenizer(seq: str) -> list[str]:
    """torchtext-style LetterTokenizer: one token per character."""
    return list(seq)


def python_tokenize(seqs: Sequence[str], pad_to: int) -> np.ndarray:
    """Per-sample Python encoding: characters -> dict lookups -> padded list -> array."""
    pad = VOCAB["<pad>"]
    unknown = VOCAB["N"]
    rows = []
    for seq in seqs:
        ids = [VOCAB.get(ch, unknown) for ch in letter_tokenizer(seq)][:pad_to]
        ids = ids + [pad] * (pad_to - len(ids))
        rows.append(ids)
    return np.array(rows, dtype=np.uint8)


def vectorised_tokenize(seqs: Sequence[str], pad_to: int) -> np.ndarray:
    """genoclass.sequence.encoding.tokenize to a fixed width."""
    return tokenize(seqs, max_len=pad_to)[0]


def time_once(fn: Callable[[Sequence[str], int], np.ndarray], seqs: list[str], width: int) -> float:
    """Seconds of one call of ``fn``."""
    start = time.perf_counter()
    fn(seqs, width)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    """Time both encoders side by side; print and write results/speed_encoding.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="repeat the 9,034 rows")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    base = pd.read_csv(SOURCE)["sequence"].str.upper().tolist()
    seqs = base * args.copies
    width = max(len(s) for s in seqs)
    megabytes = sum(len(s) for s in seqs) / 1e6
    encoders = {
        "python_per_sample": python_tokenize,
        "genoclass_tokenize": vectorised_tokenize,
    }
    reference = python_tokenize(seqs[:500], width)
    same = all(np.array_equal(reference, fn(seqs[:500], width)) for fn in encoders.values())
    times: dict[str, list[float]] = {name: [] for name in encoders}
    for _ in range(args.repeats):  # alternate so background load hits all alike
        for name, fn in encoders.items():
            times[name].append(time_once(fn, seqs, width))
    result = {
        "protocol": {
            "data": f"human_nontata_promoters test.csv.gz x{args.copies}",
            "sequences": len(seqs),
            "width": width,
            "megabytes": round(megabytes, 3),
            "repeats": args.repeats,
            "statistic": "median seconds, alternating runs",
            "identical_output": bool(same),
            "python": platform.python_version(),
        },
    }
    for name, values in times.items():
        med = statistics.median(values)
        result[name] = {
            "median_s": round(med, 4),
            "min_s": round(min(values), 4),
            "mb_per_s": round(megabytes / med, 1),
            "seqs_per_s": round(len(seqs) / med),
        }
    python_s = result["python_per_sample"]["median_s"]
    result["speedup"] = round(python_s / result["genoclass_tokenize"]["median_s"], 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed_encoding.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
