"""k-mer deep averaging network: exact averaging, padding and N handling, k-mer dropout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from genoclass.cli import main
from genoclass.data.synthetic import demo_sequences
from genoclass.errors import InputError
from genoclass.models import get_spec
from genoclass.models.kmer_dan import KmerAveragingNetwork
from genoclass.models.layers import token_kmer_ids
from genoclass.sequence.encoding import tokenize


def _model(**hp: object) -> torch.nn.Module:
    torch.manual_seed(0)
    spec = get_spec("kmer_dan")
    return spec.builder(3, 0, **spec.hparams({"k": 4, **hp}))


def _tokens(seqs: list[str], width: int) -> tuple[torch.Tensor, torch.Tensor]:
    tokens, lengths = tokenize(seqs, max_len=width)
    return torch.from_numpy(tokens.astype(np.int64)), torch.from_numpy(lengths)


def test_prediction_is_the_head_of_the_mean_of_valid_kmer_vectors() -> None:
    model = _model().eval()
    seqs = ["ACGTACGGATTNCAGGT", "GATTACA"]
    x, lengths = _tokens(seqs, 40)
    ids = token_kmer_ids(x, 4)
    expected = []
    for row in ids:
        valid = row[row != 4**4]  # k-mers with N or padding do not count
        expected.append(model.embedding.weight[valid].mean(0))
    with torch.no_grad():
        torch.testing.assert_close(model(x, lengths), model.head(torch.stack(expected)))
        torch.testing.assert_close(model(x, lengths), model(*_tokens(seqs, 300)))


def test_kmer_dropout_only_in_training_and_rows_stay_averages() -> None:
    model = _model(kmer_dropout=0.8)
    x, _ = _tokens(["ACGT" * 500, "ACGTA"], 2000)
    ids = token_kmer_ids(x, 4)
    model.train()
    weights = model.kmer_weights(ids)
    torch.testing.assert_close(weights.sum(1), torch.ones(2))
    kept = (weights[0] > 0).float().mean().item()
    assert kept == pytest.approx(0.2, abs=0.03)
    assert (weights[1] > 0).sum() >= 1  # a short row never loses all its k-mers
    model.eval()
    eval_weights = model.kmer_weights(ids)
    assert (eval_weights[0] > 0).sum() == 1997
    assert torch.equal(eval_weights, model.kmer_weights(ids))


def test_bad_kmer_dropout_is_rejected() -> None:
    with pytest.raises(InputError, match=r"--param kmer_dropout must be a number in \[0, 1\)"):
        _model(kmer_dropout=1.0)  # the registry's bounds
    with pytest.raises(ValueError, match="kmer_dropout must be in"):
        KmerAveragingNetwork(3, 0, k=4, kmer_dropout=1.0)  # the model itself


def test_learns_a_planted_motif_through_train(tmp_path: Path) -> None:
    data = tmp_path / "demo.csv"
    demo_sequences(seed=4, n_per_class=200, length=50).to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--model", "kmer_dan", "--param", "k=6"]
    argv += ["--param", "kmer_dropout=0.5"]
    argv += ["--epochs", "15", "--lr", "0.01", "--batch-size", "32", "--out", str(tmp_path / "r")]
    assert main(argv) == 0
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.85
