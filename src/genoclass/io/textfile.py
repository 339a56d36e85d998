"""Reading small text files that may be gzip-compressed, recognised by their magic bytes."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b"


def read_text(path: str | Path) -> str:
    """Whole file as text, gunzipped when compressed; undecodable bytes become U+FFFD."""
    data = Path(path).read_bytes()
    if data[:2] == GZIP_MAGIC:
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def head_bytes(path: str | Path, size: int = 8192) -> bytes:
    """The first ``size`` bytes of a file, gunzipped when compressed (for sniffing)."""
    with open(path, "rb") as handle:
        start = handle.read(size)
    if start[:2] != GZIP_MAGIC:
        return start
    with gzip.open(path, "rb") as handle:
        try:
            return handle.read(size)
        except (OSError, EOFError):
            return b""


def is_gzip(path: str | Path) -> bool:
    """Whether a file starts with the gzip magic bytes, whatever its name."""
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def file_sha256(path: str | Path, block: int = 1 << 24) -> str:
    """Hex SHA-256 of a file's bytes, read block by block."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while data := handle.read(block):
            digest.update(data)
    return digest.hexdigest()
