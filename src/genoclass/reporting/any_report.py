"""Rebuild the report of any genoclass output directory (``genoclass report DIR``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from genoclass.errors import InputError
from genoclass.io.run_files import RunFiles
from genoclass.reporting.compare_report import write_compare_report
from genoclass.reporting.cv_report import write_cv_report
from genoclass.reporting.run_report import write_run_report

#: file that marks a kind of output directory -> the writer of its report, checked in order
REPORT_WRITERS: tuple[tuple[str, Callable[[Path], Path]], ...] = (
    ("comparison.json", write_compare_report),
    ("cv.json", write_cv_report),
    (RunFiles.METRICS, write_run_report),
)


def write_report(directory: str | Path) -> Path:
    """Write the HTML report of a run, compare or cross-validation directory; returns its
    path."""
    directory = Path(directory)
    for marker, writer in REPORT_WRITERS:
        if (directory / marker).is_file():
            return writer(directory)
    markers = ", ".join(m for m, _ in REPORT_WRITERS)
    raise InputError(f"not a genoclass output directory (none of {markers})", path=directory)
