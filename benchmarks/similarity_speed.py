"""Speed of similarity clustering (``--dedup similar``): 100,000 sequences of 200-1,000 nt.

The data are generated here: random background sequences plus planted families (a random
parent and mutated copies at 0.5-3 % substitutions, every third copy reverse-complemented),
20 % of the rows in families. Timed: ``similarity_clusters`` at 0.8 and 0.5 (9-mers,
64 hash functions) on 1 and on 2 threads, alternating, with wall and CPU seconds and peak
memory. Recall: of the planted (parent, copy) pairs whose exact similarity reaches the
threshold, the share that ends in one cluster (LSH may miss a pair; 1.0 is perfect).
When ``datasketch`` is installed, its MinHash (``MinHash.bulk`` over the same canonical
9-mers) is timed against genoclass's numpy sketch on the first 5,000 sequences, alternating.

    OMP_NUM_THREADS=1 python benchmarks/similarity_speed.py
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from genoclass.data.similarity import kmer_similarity, similarity_clusters, sketch_sequences
from genoclass.sequence.kmers import stranded_kmer_codes

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
N, FAMILY_SHARE, FAMILY_SIZE = 100_000, 0.2, 10
_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def planted_data(seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Sequences and their planted family (-1 for background)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(200, 1001, N)
    text = rng.choice(_BASES, int(lengths.sum())).tobytes().decode()
    ends = np.cumsum(lengths)
    seqs = [text[e - n : e] for e, n in zip(ends, lengths, strict=True)]
    family = np.full(N, -1)
    n_planted = int(N * FAMILY_SHARE)
    for i in range(n_planted):
        parent = i - i % FAMILY_SIZE
        family[i] = parent // FAMILY_SIZE
        if i == parent:
            continue
        copy = np.frombuffer(seqs[parent].encode(), dtype=np.uint8).copy()
        hit = rng.random(len(copy)) < rng.uniform(0.005, 0.03)
        copy[hit] = rng.choice(_BASES, int(hit.sum()))
        seqs[i] = copy.tobytes().decode()
        if i % 3 == 0:
            seqs[i] = seqs[i].translate(_COMPLEMENT)[::-1]
    return seqs, family


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def parent_copy_similarity(seqs: list[str], family: np.ndarray) -> pd.DataFrame:
    """Exact similarity of every planted copy to its family's parent."""
    rows = [
        (i - i % FAMILY_SIZE, i, kmer_similarity(seqs[i - i % FAMILY_SIZE], seqs[i]))
        for i in np.flatnonzero(family >= 0)
        if i % FAMILY_SIZE
    ]
    return pd.DataFrame(rows, columns=["parent", "copy", "similarity"])


def timed_clusters(seqs: list[str], pairs: pd.DataFrame, threshold: float, threads: int) -> dict:
    """One clustering run: seconds, clusters and the recall of planted pairs >= threshold."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    groups = similarity_clusters(seqs, threshold, threads=threads)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    above = pairs[pairs["similarity"] >= threshold]
    joined = groups[above["parent"]] == groups[above["copy"]]
    return {
        "threshold": threshold,
        "threads": threads,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "clusters": int(groups.max() + 1),
        "planted_pairs_above": int(len(above)),
        "recall": round(float(joined.mean()), 5),
    }


def datasketch_comparison(seqs: list[str], repeats: int = 2) -> dict | None:
    """Seconds to sketch the same sequences with datasketch and with genoclass (alternating)."""
    try:
        from datasketch import MinHash
    except ImportError:
        return None

    def with_datasketch() -> None:
        sets = []
        for seq in seqs:
            forward, reverse, _ = stranded_kmer_codes([seq], 9)
            sets.append([int(x).to_bytes(4, "little") for x in np.minimum(forward, reverse)])
        MinHash.bulk(sets, num_perm=64)

    times: dict[str, list[float]] = {"datasketch": [], "genoclass": []}
    for _ in range(repeats):
        for name, job in (
            ("datasketch", with_datasketch),
            ("genoclass", lambda: sketch_sequences(seqs)),
        ):
            start = time.perf_counter()
            job()
            times[name].append(round(time.perf_counter() - start, 3))
    return {"sequences": len(seqs), "seconds": times}


def main() -> None:
    seqs, family = planted_data()
    print(f"{len(seqs)} sequences, {sum(map(len, seqs)):,} bases, {family.max() + 1} families")
    pairs = parent_copy_similarity(seqs, family)
    runs = []
    for threshold in (0.8, 0.5):
        for threads in (1, 2, 1, 2):
            runs.append(timed_clusters(seqs, pairs, threshold, threads))
            print(json.dumps(runs[-1]), flush=True)
    versus = datasketch_comparison(seqs[:5000])
    print(json.dumps(versus))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS.mkdir(exist_ok=True)
    result = {"runs": runs, "datasketch_vs_numpy": versus, "peak_rss_mib": round(peak_mib)}
    (RESULTS / "similarity_speed.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
