"""Planted-truth runs shared by the interpretation tests (trained once per session)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from genoclass.data.synthetic import planted_motif_sequences
from genoclass.interpret.motifs import KnownMotif, jaspar_motif


@pytest.fixture(scope="session")
def ctcf() -> KnownMotif:
    """JASPAR's CTCF matrix (19 nt, high information), read from pyjaspar's local database."""
    return jaspar_motif("MA0139.2")


@pytest.fixture(scope="session")
def ctcf_run(
    tmp_path_factory: pytest.TempPathFactory, ctcf: KnownMotif, tiny_cnn_trainer
) -> tuple[Path, pd.DataFrame]:
    """A tiny CNN trained on 60-nt sequences, class ``ctcf`` carrying a CTCF site sampled
    from its PWM at a random position; returns the run directory and the planted table."""
    folder = tmp_path_factory.mktemp("ctcf")
    table = planted_motif_sequences(500, 60, {"background": None, "ctcf": ctcf.pwm.T}, seed=3)
    table.to_csv(folder / "data.csv", index=False)
    return tiny_cnn_trainer(folder / "data.csv", folder / "run"), table
