"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Real public data beside the project (``../shared/data``); absent in a user's clone.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data``; skips the test when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder not found: {SHARED_DATA}")
    return SHARED_DATA
