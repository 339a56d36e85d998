"""Safe outputs: atomic writes (a temp file beside the target, then a rename, so a reader
never sees a half-written file and a failed write leaves the old file, or none, in place)
and an exclusive lock on an output that a second genoclass process cannot take.

Every file genoclass writes goes through ``atomic_path`` (or a helper built on it); a write
that fails for a reason the user can fix (full disk, no permission, a folder in the way)
becomes an ``InputError`` naming the file.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from genoclass.errors import InputError

#: errors of a write the user can fix; anything else is a genoclass bug
_USER_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EISDIR: "a folder is in the way",
    errno.ENOTDIR: "a parent is not a folder",
    errno.ENOENT: "the folder does not exist",
}


def write_problem(exc: OSError, path: str | Path) -> InputError:
    """An InputError for a failed write of ``path`` the user can fix, e.g. a full disk."""
    reason = _USER_ERRNOS.get(exc.errno or 0, exc.strerror or str(exc))
    return InputError(f"cannot write: {reason}", path=path)


@contextmanager
def atomic_path(target: str | Path, *, mode: int = 0o644) -> Iterator[Path]:
    """Yield a fresh temp path beside ``target``; when the block succeeds it is renamed to
    ``target`` (permissions ``mode``), when it fails it is removed. OS errors the user can
    fix become InputError naming ``target``."""
    target = Path(target)
    if target.is_dir():
        raise InputError("cannot write: a folder is in the way (give a file name)", path=target)
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise write_problem(exc, target) from exc
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.chmod(temp, mode)
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        if exc.errno in _USER_ERRNOS:
            raise write_problem(exc, target) from exc
        raise
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_with(target: str | Path, write: Callable[[Path], Any]) -> Path:
    """Atomically create ``target`` by calling ``write(temp_path)`` (e.g. a DataFrame's
    ``to_parquet``, ``safetensors.save_file``)."""
    with atomic_path(target) as temp:
        write(temp)
    return Path(target)


def write_text_atomic(target: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically, with the usual 0644 permissions."""
    return write_with(target, lambda temp: temp.write_text(text, encoding="utf-8"))


def write_table_atomic(frame: Any, target: str | Path) -> Path:
    """Write a pandas DataFrame atomically: Parquet for ``.parquet`` names, else CSV."""
    if Path(target).suffix == ".parquet":
        return write_with(target, lambda temp: frame.to_parquet(temp, index=False))
    return write_with(target, lambda temp: frame.to_csv(temp, index=False))


def write_csv_frames(frames: Iterable[Any], out: TextIO) -> int:
    """Write DataFrames with the same columns to the open text stream ``out`` as one CSV
    table (header once), one frame at a time; returns the rows written."""
    written = 0
    for frame in frames:
        frame.to_csv(out, index=False, header=written == 0)
        written += len(frame)
    return written


def write_tables_atomic(frames: Iterable[Any], target: str | Path) -> int:
    """Write a stream of DataFrames with the same columns as one table, atomically, holding
    one frame at a time: Parquet (one row group per frame) for ``.parquet`` names, else CSV.
    A column that is all missing in a frame is written as text. Returns the rows written."""
    written = 0

    def csv(temp: Path) -> None:
        nonlocal written
        with open(temp, "w", encoding="utf-8", newline="") as out:
            written = write_csv_frames(frames, out)

    def parquet(temp: Path) -> None:
        nonlocal written
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer = None
        try:
            for frame in frames:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                for at, f in enumerate(table.schema):
                    if pa.types.is_null(f.type):
                        table = table.set_column(at, f.name, table[f.name].cast(pa.string()))
                writer = writer or pq.ParquetWriter(temp, table.schema)
                writer.write_table(table)
                written += len(frame)
        finally:
            if writer is not None:
                writer.close()

    write_with(target, parquet if Path(target).suffix == ".parquet" else csv)
    return written


def check_output_file(target: str | Path, option: str) -> Path:
    """Refuse, before any work, an output file whose folder is missing or that is a folder."""
    target = Path(target)
    if target.is_dir():
        raise InputError(f"{option} is a folder; give a file name", path=target)
    if not target.parent.is_dir():
        raise InputError(f"{option}: the folder does not exist; create it first", path=target)
    return target


def lock_path(out: str | Path) -> Path:
    """The lock file of the output ``out``: ``OUT.lock`` beside it."""
    out = Path(out)
    return out.with_name(out.name + ".lock")


@contextmanager
def output_lock(out: str | Path) -> Iterator[Path]:
    """Hold an exclusive lock on the output ``out`` (a lock file beside it holding this
    process's id) until the block ends; when another process holds it, an InputError names
    that process. Missing parent folders are created; on release the lock file is removed,
    and so are the folders created here if they stayed empty."""
    out = Path(out)
    lock = lock_path(out)
    created = [p for p in (lock.parent, *lock.parent.parents) if not p.exists()]
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = _locked(lock, out)
    except OSError as exc:
        _remove_empty(created)
        raise write_problem(exc, out) from exc
    except BaseException:
        _remove_empty(created)
        raise
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield out
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)
        _remove_empty(created)


def _remove_empty(folders: list[Path]) -> None:
    """Remove the given folders (deepest first) that are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _locked(lock: Path, out: Path) -> int:
    """An open descriptor of ``lock`` holding its exclusive lock; retried when the file was
    replaced between opening and locking (its previous holder removed it)."""
    for _ in range(10):
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise InputError(
                f"output in use by another genoclass process (PID {holder}); wait for it to "
                "finish or choose another output",
                path=out,
            ) from None
        if lock.exists() and os.fstat(fd).st_ino == lock.stat().st_ino:
            return fd
        os.close(fd)
    raise InputError("cannot lock the output (its lock file keeps changing)", path=out)
