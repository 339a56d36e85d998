"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from genoclass.config import TrainConfig
from genoclass.data.synthetic import demo_sequences
from genoclass.library_warnings import LIBRARY_WARNINGS

#: Real public data beside the project (``../shared/data``); absent in a user's clone.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    """Silence the third-party warnings genoclass silences for its users (pytest resets the
    warning filters around every test, so they join its ``filterwarnings`` list)."""
    for message, category, module in LIBRARY_WARNINGS:
        config.addinivalue_line("filterwarnings", f"ignore:{message}:{category.__name__}:{module}")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data``; skips the test when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder not found: {SHARED_DATA}")
    return SHARED_DATA


#: a small fast_accurate_cnn: enough to learn one motif in a few epochs on 2 CPU cores
TINY_CNN = {"embed_dim": 16, "channels": [16, 32, 32], "hidden": 32, "dropout": 0.1}


def train_tiny_cnn(data: Path, out: Path, epochs: int = 8) -> Path:
    """Train the TINY_CNN on a labelled sequence CSV (batch 32, lr 0.005, seed 0) into
    ``out``; returns the run directory."""
    from genoclass.workflows.train import run_training

    config = TrainConfig(
        data=str(data),
        model="fast_accurate_cnn",
        model_params=TINY_CNN,
        epochs=epochs,
        batch_size=32,
        lr=5e-3,
        seed=0,
        out=str(out),
    )
    return run_training(config, progress=False)


@pytest.fixture(scope="session")
def tiny_cnn_trainer():
    """``train_tiny_cnn`` for test modules (conftest functions are not importable)."""
    return train_tiny_cnn


@pytest.fixture(scope="session")
def tiny_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo's task at a fraction of its size: sequences with the demo's planted 12-nt
    site (400 per class, 60 nt) and the TINY_CNN trained on them for 8 epochs (about 5 s,
    test accuracy about 0.94); returns the run directory and the data CSV."""
    folder = tmp_path_factory.mktemp("tiny_demo")
    data = folder / "demo_sequences.csv"
    demo_sequences(seed=0, n_per_class=400, length=60).to_csv(data, index=False)
    return train_tiny_cnn(data, folder / "run"), data


@pytest.fixture(scope="session")
def tiny_demo_explained(tiny_demo: tuple[Path, Path]) -> Path:
    """``genoclass explain`` of the tiny demo run with default options (the run's test
    split); returns the explain directory (``RUN/explain``)."""
    from genoclass.cli import main

    run, data = tiny_demo
    assert main(["explain", "--model", str(run), "--data", str(data)]) == 0
    return run / "explain"
