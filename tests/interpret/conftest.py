"""Planted-truth runs shared by the interpretation tests (trained once per session)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from genoclass.config import TrainConfig
from genoclass.data.synthetic import planted_motif_sequences
from genoclass.interpret.motifs import KnownMotif, jaspar_motif
from genoclass.workflows.train import run_training

#: a small fast_accurate_cnn: enough to learn one motif in a few epochs on 2 CPU cores
TINY_CNN = {"embed_dim": 16, "channels": [16, 32, 32], "hidden": 32, "dropout": 0.1}


@pytest.fixture(scope="session")
def ctcf() -> KnownMotif:
    """JASPAR's CTCF matrix (19 nt, high information), read from pyjaspar's local database."""
    return jaspar_motif("MA0139.2")


@pytest.fixture(scope="session")
def ctcf_run(
    tmp_path_factory: pytest.TempPathFactory, ctcf: KnownMotif
) -> tuple[Path, pd.DataFrame]:
    """A tiny CNN trained on 60-nt sequences, class ``ctcf`` carrying a CTCF site sampled
    from its PWM at a random position; returns the run directory and the planted table."""
    folder = tmp_path_factory.mktemp("ctcf")
    table = planted_motif_sequences(500, 60, {"background": None, "ctcf": ctcf.pwm.T}, seed=3)
    table.to_csv(folder / "data.csv", index=False)
    config = TrainConfig(
        data=str(folder / "data.csv"),
        model="fast_accurate_cnn",
        model_params=TINY_CNN,
        epochs=8,
        batch_size=32,
        lr=5e-3,
        seed=0,
        out=str(folder / "run"),
    )
    return run_training(config, progress=False), table
