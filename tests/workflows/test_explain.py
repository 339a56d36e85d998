"""`genoclass explain` end to end: CLI, output files, and an explain.html whose plots render."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genoclass.cli import main
from genoclass.config import TrainConfig
from genoclass.data.synthetic import DEMO_CONSENSUS, consensus_pwm, planted_motif_sequences
from genoclass.workflows.train import run_training

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo_like_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small demo-style run (planted consensus motif), trained for two epochs."""
    folder = tmp_path_factory.mktemp("explain_cli")
    motifs = {"background": None, "motif": consensus_pwm(DEMO_CONSENSUS)}
    planted_motif_sequences(150, 50, motifs, seed=0).to_csv(folder / "data.csv", index=False)
    config = TrainConfig(
        data=str(folder / "data.csv"),
        model="fast_accurate_cnn",
        model_params={"embed_dim": 8, "channels": [8, 16, 16], "hidden": 16},
        epochs=2,
        seed=1,
        out=str(folder / "run"),
    )
    return run_training(config, progress=False), folder / "data.csv"


def embedded_pngs(html: str) -> list[bytes]:
    """The decoded PNG images embedded in a report."""
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    return [base64.b64decode(b) for b in found]


def test_cli_explain_writes_arrays_motifs_and_a_rendering_report(demo_like_run, capsys) -> None:
    run, data = demo_like_run
    argv = [
        "explain",
        "--model",
        str(run),
        "--data",
        str(data),
        "--method",
        "saliency,deeplift",
        "--max-examples",
        "30",
    ]
    assert main(argv) == 0
    out = run / "explain"
    printed = capsys.readouterr().out
    assert "explain.html" in printed
    # progress: a line per method and (at least the last) per batch of attributions
    lines = printed.splitlines()
    assert [x.split("  ")[:2] for x in lines if x.startswith("attribution method")] == [
        ["attribution method 1/2", "saliency"],
        ["attribution method 2/2", "deeplift"],
    ]
    assert any(x.startswith("deeplift batch 1/1  elapsed") for x in lines)
    arrays = np.load(out / "attributions.npz")
    assert arrays["saliency"].shape == arrays["deeplift"].shape == arrays["onehot"].shape
    assert arrays["onehot"].shape[1] == 4 and len(arrays["id"]) <= 60
    assert {"class", "motif", "n_seqlets"} <= set(pd.read_csv(out / "motifs.csv").columns)
    html = (out / "explain.html").read_text()
    images = embedded_pngs(html)
    assert len(images) >= 3  # profile + at least one logo per class
    assert all(img.startswith(PNG_MAGIC) and len(img) > 2000 for img in images)
    assert 'href="../report.html"' in html
    assert 'href="explain/explain.html"' in (run / "report.html").read_text()


def test_cli_explain_rejects_unknown_method_and_class(demo_like_run, capsys) -> None:
    run, data = demo_like_run
    base = ["explain", "--model", str(run), "--data", str(data)]
    assert main([*base, "--method", "shap"]) == 2
    assert main([*base, "--class", "nope"]) == 2
    assert "not among the model's classes" in capsys.readouterr().err


def test_kmer_model_is_explained_by_ism_and_finds_the_planted_motif(tmp_path: Path, capsys) -> None:
    motifs = {"background": None, "motif": consensus_pwm(DEMO_CONSENSUS)}
    planted_motif_sequences(150, 50, motifs, seed=1).to_csv(tmp_path / "data.csv", index=False)
    config = TrainConfig(
        data=str(tmp_path / "data.csv"),
        model="kmer_dan",
        model_params={"k": 6, "kmer_dropout": 0.5},
        epochs=4,
        lr=0.01,
        batch_size=32,
        seed=0,
        out=str(tmp_path / "run"),
    )
    run = run_training(config, progress=False)
    base = ["explain", "--model", str(run), "--data", str(tmp_path / "data.csv")]
    assert main([*base, "--method", "integrated_gradients"]) == 2
    assert "kmer_dan looks up k-mer identities" in capsys.readouterr().err
    # every split: the 30 test sequences of the class are too few seqlets for a motif
    assert main([*base, "--max-examples", "40", "--class", "motif", "--split", "all"]) == 0
    assert set(np.load(run / "explain" / "attributions.npz")) >= {"ism"}
    motifs_found = pd.read_csv(run / "explain" / "motifs.csv")
    assert DEMO_CONSENSUS in motifs_found["consensus"].str.upper().tolist()


@pytest.mark.parametrize("model", ["kmer_nb", "kmer_lr"])
def test_classical_kmer_models_are_explained_by_recounting_mutants(model, tmp_path) -> None:
    """ISM through re-counted mutants puts the contribution on the planted sites."""
    motifs = {"background": None, "motif": consensus_pwm(DEMO_CONSENSUS)}
    data = planted_motif_sequences(150, 50, motifs, seed=2)
    data.to_csv(tmp_path / "data.csv", index=False)
    config = TrainConfig(
        data=str(tmp_path / "data.csv"), model=model, seed=0, out=str(tmp_path / "run")
    )
    run = run_training(config, progress=False)
    base = ["explain", "--model", str(run), "--data", str(tmp_path / "data.csv")]
    assert main([*base, "--max-examples", "40", "--class", "motif", "--split", "all"]) == 0
    arrays = np.load(run / "explain" / "attributions.npz")
    contributions = (arrays["ism"] * arrays["onehot"]).sum(1)
    starts = data.set_index("id").loc[arrays["id"], "motif_start"].to_numpy()
    inside = np.zeros(contributions.shape, dtype=bool)
    for row, start in enumerate(starts):
        inside[row, start : start + len(DEMO_CONSENSUS)] = True
    assert contributions[inside].mean() > 5 * abs(contributions[~inside].mean())
