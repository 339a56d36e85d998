"""Atomic writes and output locks: nothing half-written, no temp or lock file left behind."""

from __future__ import annotations

import errno
import os

import pytest

from genoclass.atomic import atomic_path, output_lock, write_text_atomic
from genoclass.errors import InputError


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path) -> None:
    target = write_text_atomic(tmp_path / "a.txt", "old")
    with pytest.raises(InputError, match="a.txt: cannot write: no space left on the device"):
        with atomic_path(target) as temp:
            temp.write_text("half")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as temp:
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == ["a.txt"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_output_lock_refuses_a_second_holder_and_cleans_up(tmp_path) -> None:
    out = tmp_path / "new" / "deeper" / "run"
    with output_lock(out):
        assert (tmp_path / "new" / "deeper" / "run.lock").read_text().strip() == str(os.getpid())
        with pytest.raises(
            InputError, match=f"in use by another genoclass process \\(PID {os.getpid()}\\)"
        ):
            with output_lock(out):
                pass
    assert os.listdir(tmp_path) == []  # the lock file and the folders made for it are gone
