"""Planted-truth check of sequence interpretation: a JASPAR motif planted in the positive
class must come back as the top motif, and attributions must peak inside the planted site."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genoclass.interpret.motifs import aligned_pearson
from genoclass.workflows.explain import ExplainOptions, run_explain


@pytest.fixture(scope="module")
def explained(ctcf_run, tmp_path_factory: pytest.TempPathFactory):
    run_dir, _ = ctcf_run
    out = tmp_path_factory.mktemp("explain") / "ctcf"
    options = ExplainOptions(  # every row: 100 correctly classified ctcf sequences
        methods=["integrated_gradients", "ism"], classes=["ctcf"], max_examples=100, split="all"
    )
    return run_explain(run_dir, run_dir.parent / "data.csv", out, options)


def test_top_motif_is_the_planted_jaspar_matrix(explained, ctcf) -> None:
    top = pd.read_csv(explained / "motifs.csv").iloc[0]  # the largest cluster comes first
    pwm = np.load(explained / "motifs.npz")[f"pwm_{top['motif']}"]
    r, _, _ = aligned_pearson(pwm, ctcf.pwm)
    assert top["jaspar_id"] == ctcf.matrix_id or r >= 0.8


@pytest.mark.parametrize("method", ["integrated_gradients", "ism"])
def test_attributions_peak_inside_the_planted_site(explained, ctcf_run, method) -> None:
    _, table = ctcf_run
    arrays = np.load(explained / "attributions.npz")
    planted = table.set_index("id").loc[arrays["id"]]
    peak = (arrays[method] * arrays["onehot"]).sum(1).argmax(1)
    inside = (peak >= planted["motif_start"].to_numpy()) & (peak < planted["motif_end"].to_numpy())
    assert len(peak) == 100 and inside.mean() >= 0.8
