"""Atomic text writes: a temp file beside the target, then a rename, so a reader never sees
a half-written file and a failed write leaves the old file (or none) in place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomic(target: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` through a uniquely named temp file + rename; the
    file gets the usual 0644 permissions (mkstemp's own 0600 would hide reports)."""
    target = Path(target)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
