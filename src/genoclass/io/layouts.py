"""Folder layouts: Genomic Benchmarks, GUE and one FASTA file per class.

* ``gb``: ``NAME/{train,test}/CLASS/*.txt``, one sequence a file,
  id = ``split/CLASS/stem`` (unique).
* ``gue``: ``train.csv``, ``dev.csv``, ``test.csv`` (optionally ``.csv.gz``).
* ``fasta-dir``: FASTA files whose stem is the class of every record in them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from genoclass.errors import InputError
from genoclass.io.fasta import is_fasta_name, read_fasta
from genoclass.io.records import SPLIT_NAMES, RawRecords, ReadOptions, base_name, make_records
from genoclass.io.tables import read_table
from genoclass.io.textfile import read_text

GB_SPLITS = ("train", "test")
GUE_SUFFIXES = (".csv", ".csv.gz")


def read_gb(folder: Path, options: ReadOptions) -> list[RawRecords]:
    """Read a Genomic Benchmarks dataset folder; split and class come from the folders."""
    parts = []
    for split in GB_SPLITS:
        split_dir = folder / split
        if not split_dir.is_dir():
            raise InputError(f"Genomic Benchmarks folder has no '{split}/' folder", path=folder)
        for class_dir in sorted(p for p in split_dir.iterdir() if p.is_dir()):
            files = sorted(class_dir.glob("*.txt"))
            parts.append(
                make_records(
                    class_dir,
                    "file",
                    ids=[f"{split}/{class_dir.name}/{f.stem}" for f in files],
                    sequences=["".join(read_text(f).split()) for f in files],
                    labels=[class_dir.name] * len(files),
                    numbers=np.arange(1, len(files) + 1),
                    split=split,
                    files=[str(f) for f in files],
                )
            )
    return parts


def gue_files(folder: Path) -> dict[str, Path]:
    """Split name -> table file of a GUE-style folder (``dev`` and ``valid`` mean ``val``)."""
    found = {}
    for name, split in SPLIT_NAMES.items():
        for suffix in GUE_SUFFIXES:
            if (folder / f"{name}{suffix}").is_file():
                found[split] = folder / f"{name}{suffix}"
    return found


def read_gue(folder: Path, options: ReadOptions) -> list[RawRecords]:
    """Read a GUE folder: one CSV per official split (train, dev, test)."""
    files = gue_files(folder)
    if "train" not in files or "test" not in files:
        raise InputError("GUE folder needs train.csv and test.csv (dev.csv optional)", path=folder)
    return [read_table(path, options, fmt="csv", split=split) for split, path in files.items()]


def fasta_files(folder: Path) -> list[Path]:
    """The FASTA files directly inside a folder, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and is_fasta_name(p))


def read_fasta_files(paths: Sequence[Path], options: ReadOptions) -> list[RawRecords]:
    """Read FASTA files with one class per file; the class is the file stem."""
    if not paths:
        raise InputError("no FASTA files given")
    return [read_fasta(path, options, label=base_name(path)) for path in paths]
