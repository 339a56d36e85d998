"""Exceptions of genoclass; the CLI turns InputError into one line and exit code 2."""

from __future__ import annotations

from pathlib import Path


class GenoclassError(Exception):
    """Base class of every error genoclass raises on purpose."""


class InputError(GenoclassError):
    """Bad user input: names the file, the place in it (row, record, column) and the problem."""

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
        return ": ".join([*parts, message])
