"""Third-party warnings a user cannot act on stay out of genoclass's output, and only those."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

from genoclass.data.synthetic import demo_sequences
from genoclass.library_warnings import LIBRARY_WARNINGS, silence_library_warnings

LEAFSPEC = (
    "`isinstance(treespec, LeafSpec)` is deprecated, use `isinstance(treespec, TreeSpec) "
    "and treespec.is_leaf()` instead."
)
LIGHTNING_PYTREE = "lightning.pytorch.utilities._pytree"
#: a printed warning: Python's "file.py:12: FutureWarning: ..." or the shorter
#: "file.py:12: ..." of the format Lightning installs
WARNING_LINE = re.compile(r"\.py:\d+: |\b\w*Warning: ")


def test_cli_neural_run_prints_no_warning(tmp_path: Path) -> None:
    """A real interpreter (pytest's own warning capture would hide what a user sees)."""
    demo_sequences(seed=0, n_per_class=40, length=40).to_csv(tmp_path / "d.csv", index=False)
    argv = ["train", "--data", str(tmp_path / "d.csv"), "--model", "fast_accurate_cnn"]
    argv += ["--epochs", "1", "--out", str(tmp_path / "run")]
    done = subprocess.run(
        [sys.executable, "-m", "genoclass.cli", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "run" / "report.html").is_file()
    assert not WARNING_LINE.search(done.stderr), done.stderr


def test_filters_are_narrow() -> None:
    """The LeafSpec warning from Lightning is silenced; the same message from elsewhere and
    another warning from Lightning's module still show."""
    assert len(LIBRARY_WARNINGS) >= 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_library_warnings()
        for message, module in (
            (LEAFSPEC, LIGHTNING_PYTREE),
            ("something else", LIGHTNING_PYTREE),
            (LEAFSPEC, "genoclass.training.fit"),
        ):
            warnings.warn_explicit(message, FutureWarning, "x.py", 1, module=module)
    assert [(str(w.message), w.category) for w in caught] == [
        ("something else", FutureWarning),
        (LEAFSPEC, FutureWarning),
    ]
