"""Guessing the format of a sequence source from its folder layout, name and first bytes."""

from __future__ import annotations

from pathlib import Path

from genoclass.errors import InputError
from genoclass.io.fasta import is_fasta_name
from genoclass.io.layouts import GB_SPLITS, fasta_files, gue_files
from genoclass.io.textfile import head_bytes

#: Every format ``read_sequences`` understands (``auto`` picks one of them).
FORMATS = ("fasta", "fasta-dir", "csv", "tsv", "parquet", "gb", "gue")
#: Formats whose source is a folder rather than a file.
FOLDER_FORMATS = ("fasta-dir", "gb", "gue")
#: Other names users may give for a format.
ALIASES = {"vasani": "tsv", "fa": "fasta", "genomic-benchmarks": "gb"}
#: Table format of single-column files, whose header shows no delimiter.
_TABLE_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv"}

_PARQUET_MAGIC = b"PAR1"


def canonical_format(name: str) -> str:
    """The canonical spelling of a format name, or InputError listing the formats."""
    fmt = ALIASES.get(name.lower(), name.lower())
    if fmt not in FORMATS:
        raise InputError(f"unknown format {name!r}; formats: auto, {', '.join(FORMATS)}")
    return fmt


def check_source(path: Path, fmt: str) -> None:
    """Raise InputError unless ``path`` exists and is a folder exactly when ``fmt`` needs one."""
    if not path.exists():
        raise InputError("no such file or folder", path=path)
    if path.is_dir() != (fmt in FOLDER_FORMATS):
        wanted = "a folder" if fmt in FOLDER_FORMATS else "a file"
        raise InputError(f"format {fmt!r} reads {wanted}", path=path)


def detect_format(path: Path) -> str:
    """The format of an existing file or folder; InputError when it cannot be told."""
    if path.is_dir():
        return _detect_folder(path)
    if not path.is_file():
        raise InputError("no such file or folder", path=path)
    if is_fasta_name(path):
        return "fasta"
    head = head_bytes(path)
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    if text.lstrip().startswith(">"):
        return "fasta"
    header = text.splitlines()[0] if text.strip() else ""
    if "\t" in header:
        return "tsv"
    if "," in header:
        return "csv"
    suffix = Path(path.name.lower().removesuffix(".gz")).suffix
    if suffix in _TABLE_SUFFIXES:
        return _TABLE_SUFFIXES[suffix]
    raise InputError(
        "cannot detect the format (not FASTA, CSV, TSV or Parquet); "
        f"pass --format, one of: {', '.join(FORMATS)}",
        path=path,
    )


def _detect_folder(folder: Path) -> str:
    if all((folder / split).is_dir() for split in GB_SPLITS):
        return "gb"
    if "train" in gue_files(folder):
        return "gue"
    if fasta_files(folder):
        return "fasta-dir"
    raise InputError(
        "cannot detect the folder layout; expected train/ and test/ class folders (gb), "
        "train.csv + dev.csv + test.csv (gue) or FASTA files, one per class (fasta-dir)",
        path=folder,
    )
