"""Store format choice: random 64-row batches from the store's flat files vs Arrow IPC.

The same 1,000,000 random 200-nt token rows are written (in a temporary folder, deleted at
the end) as the store's flat ``tokens.u8`` + ``offsets.i64`` and as an Arrow IPC file with
one ``large_binary`` column in record batches of 65,536 rows (what a streaming writer makes).
The store is read by ``SequenceStore.gather`` (positioned reads), the Arrow file is
memory-mapped and read by ``ChunkedArray.take``; a batch is 64 random rows turned into a
right-padded uint8 (64, 200) matrix. The two readers alternate for ``--rounds`` rounds of
``--batches`` batches; medians.

    .venv/bin/python benchmarks/store_format.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from genoclass.data.pack import pack_sequences
from genoclass.data.store import SequenceStore

Reader = Callable[[np.ndarray], np.ndarray]


def write_sources(folder: Path, rows: int, length: int) -> tuple[Path, Path]:
    """A CSV packed into a store, and the same token rows as an Arrow IPC file."""
    rng = np.random.default_rng(0)
    bases = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, size=(rows, length))]
    csv = folder / "rows.csv"
    with open(csv, "wb") as handle:
        handle.write(b"sequence\n")
        handle.write(np.hstack([bases, np.full((rows, 1), 10, np.uint8)]).tobytes())
    pack_sequences(csv, folder / "store")
    tokens = np.asarray(SequenceStore(folder / "store").array("tokens")).reshape(rows, length)
    arrow = folder / "rows.arrow"
    schema = pa.schema([("tokens", pa.large_binary())])
    with pa.OSFile(str(arrow), "wb") as sink, ipc.new_file(sink, schema) as writer:
        for first in range(0, rows, 65_536):
            block = tokens[first : first + 65_536]
            column = pa.array([row.tobytes() for row in block], type=pa.large_binary())
            writer.write_batch(pa.record_batch([column], schema=schema))
    return folder / "store", arrow


def store_reader(store_path: Path) -> Reader:
    store = SequenceStore(store_path)
    return lambda rows: store.gather(rows)[0]


def arrow_reader(path: Path) -> Reader:
    table = ipc.open_file(pa.memory_map(str(path))).read_all()
    column = table.column("tokens")

    def read(rows: np.ndarray) -> np.ndarray:
        taken = column.take(pa.array(rows)).combine_chunks()
        _, offsets_buffer, data_buffer = taken.buffers()
        offsets = np.frombuffer(offsets_buffer, np.int64)[: len(rows) + 1]
        data = np.frombuffer(data_buffer, np.uint8)
        lengths = np.diff(offsets)
        out = np.zeros((len(rows), int(lengths.max())), np.uint8)
        for i, (start, n) in enumerate(zip(offsets[:-1].tolist(), lengths.tolist(), strict=True)):
            out[i, :n] = data[start : start + n]
        return out

    return read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="genoclass_format_"))
    try:
        store, arrow = write_sources(folder, args.rows, 200)
        readers = {"store_flat_files": store_reader(store), "arrow_ipc": arrow_reader(arrow)}
        rng = np.random.default_rng(1)
        batches = [rng.integers(0, args.rows, size=64) for _ in range(args.batches)]
        same = all(
            np.array_equal(readers["store_flat_files"](b), readers["arrow_ipc"](b))
            for b in batches[:50]
        )
        rates: dict[str, list[float]] = {name: [] for name in readers}
        for _ in range(args.rounds):  # alternate so background load hits both alike
            for name, read in readers.items():
                start = time.perf_counter()
                for rows in batches:
                    read(rows)
                rates[name].append(args.batches / (time.perf_counter() - start))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "protocol": {"rows": args.rows, "length": 200, "batch": 64, "identical": same},
        **{
            name: {"median_batches_per_s": round(statistics.median(r))} for name, r in rates.items()
        },
    }
    result["flat_files_over_arrow"] = round(
        statistics.median(rates["store_flat_files"]) / statistics.median(rates["arrow_ipc"]), 2
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
