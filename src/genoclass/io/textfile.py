"""Reading small text files that may be gzip-compressed, recognised by their magic bytes, and
the one translation of a failed read into an InputError naming the file."""

from __future__ import annotations

import gzip
import hashlib
import zipfile
import zlib
from pathlib import Path

from genoclass.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
#: what readers (ours, pandas, pyarrow, anndata) raise on a damaged or unreadable file
READ_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    RuntimeError,
    KeyError,
    zlib.error,
    zipfile.BadZipFile,
)


def read_problem(exc: BaseException, path: str | Path, what: str) -> InputError:
    """An InputError for a file that could not be read as ``what`` (e.g. "csv")."""
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        reason = "truncated or damaged compressed file"
    elif isinstance(exc, (RuntimeError, zipfile.BadZipFile)) and "zip" in f"{exc} {path}".lower():
        reason = f"unreadable zip archive ({exc})"  # e.g. encrypted: "password required"
    elif isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror
    else:
        reason = str(exc) or type(exc).__name__
    return InputError(f"cannot read as {what}: {reason}", path=path)


def read_text(path: str | Path) -> str:
    """Whole file as text, gunzipped when compressed; undecodable bytes become U+FFFD."""
    try:
        data = Path(path).read_bytes()
        if data[:2] == GZIP_MAGIC:
            data = gzip.decompress(data)
    except READ_ERRORS as exc:
        raise read_problem(exc, path, "text") from exc
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
        except (OSError, EOFError, zlib.error):
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
