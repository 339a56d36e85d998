"""Run directories written before model files were validated still load and predict the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genoclass.cli import main

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_runs"


@pytest.mark.parametrize("run, data", [("cnn", "seqs.csv"), ("forest", "expr.csv")])
def test_old_run_directory_loads_and_predicts_as_before(run: str, data: str, tmp_path) -> None:
    out = tmp_path / "pred.csv"
    argv = ["predict", "--model", str(LEGACY / run), "--input", str(LEGACY / data)]
    assert main([*argv, "--out", str(out)]) == 0
    ours, theirs = pd.read_csv(out), pd.read_csv(LEGACY / f"{run}_pred.csv")
    assert ours.columns.tolist() == theirs.columns.tolist()
    assert ours["predicted_label"].tolist() == theirs["predicted_label"].tolist()
    proba = [c for c in ours.columns if c.startswith("prob_")]
    np.testing.assert_allclose(ours[proba].to_numpy(), theirs[proba].to_numpy(), atol=1e-6)
