"""Exceptions of genoclass; the CLI turns InputError into one line and exit code 2."""

from __future__ import annotations

import re
import signal
from pathlib import Path


class GenoclassError(Exception):
    """Base class of every error genoclass raises on purpose."""


class InputError(GenoclassError):
    """Bad user input: names the file, the place in it (row, record, column) and the problem.

    The message is always one line (line breaks in a wrapped reason, such as a YAML parser's
    report, are folded), so the CLI can print it as exactly one line."""

    def __init__(
        self,
        reason: str,
        *,
        path: str | Path | None = None,
        where: str | None = None,
        value: object = None,
    ) -> None:
        self.reason = reason
        self.path = None if path is None else str(path)
        self.where = where
        self.value = value
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.path, self.where) if p]
        message = self.reason if self.value is None else f"{self.reason}: {self.value!r}"
        return one_line(": ".join([*parts, message]))


class InputWarning(UserWarning):
    """Input genoclass accepts but changes or doubts (e.g. duplicate record ids made unique);
    the CLI prints each as one ``genoclass: warning:`` line."""


class Interrupted(BaseException):  # noqa: N818 - named for what happened, like KeyboardInterrupt
    """A stop signal (SIGINT, SIGTERM) arrived; raised from the CLI's signal handler.

    A BaseException, so that ``except Exception`` blocks (in genoclass, Lightning and Optuna)
    let it through while ``finally`` blocks and temp-file cleanup still run."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


def one_line(text: str) -> str:
    """``text`` with its line breaks (and the indentation after them) folded into ' | '."""
    return re.sub(r"\s*\n\s*", " | ", text.strip())


def name_few(names: object, show: int = 10, *, quote: bool = False) -> str:
    """The first ``show`` of ``names`` (an iterable), comma-separated, then how many more:
    an error about a 20,000-gene matrix names a few genes and counts the rest."""
    items = [repr(str(n)) if quote else str(n) for n in names]  # type: ignore[attr-defined]
    more = f" ... (+{len(items) - show:,} more)" if len(items) > show else ""
    return ", ".join(items[:show]) + more
