"""Shared by the tests of the one-hot models built on the gated dilated trunk
(``gated_dilated_cnn``, ``gated_kmer_cnn``): tiny models, padded batches, the padding and
reverse-complement invariance checks and a planted-motif training run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from genoclass.cli import main
from genoclass.data.synthetic import consensus_pwm, planted_motif_sequences
from genoclass.models import get_spec
from genoclass.models.layers import reverse_complement_onehot, reverse_within_length
from genoclass.sequence.encoding import one_hot

TINY = {"width": 8, "dilations": [1, 2, 4], "kernel_size": 5, "stem_kernel": 5}


def build(name: str, n_outputs: int = 1, **overrides) -> torch.nn.Module:
    """A tiny model ``name`` in evaluation mode whose batch-norm running statistics are not
    the identity."""
    spec = get_spec(name)
    torch.manual_seed(0)
    model = spec.builder(n_outputs, 40, **spec.hparams({**TINY, **overrides}))
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


def batch(lengths: list[int], width: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random right-padded one-hot sequences (with some N) of the given lengths."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, 6, size=(len(lengths), width)).astype(np.uint8)
    tokens[np.arange(width)[None, :] >= np.array(lengths)[:, None]] = 0
    return torch.from_numpy(one_hot(tokens)), torch.tensor(lengths)


def assert_trunk_head_contract(model: torch.nn.Module, feature_dim: int) -> None:
    """``features`` is (B, feature_dim), forward is ``head(features)``, the head is the only
    ``head.`` state (dropout + linear), per-position features are zero past each length."""
    x, lengths = batch([40, 25, 9], 40)
    feats = model.features(x, lengths)
    assert feats.shape == (3, model.feature_dim) == (3, feature_dim)
    assert torch.equal(model(x, lengths), model.head(feats))
    pos = model.position_features(x, lengths)
    assert pos.shape == (3, TINY["width"], 40)
    assert pos[1, :, 25:].abs().sum() == 0 and pos[2, :, 9:].abs().sum() == 0
    head_keys = {k for k in model.state_dict() if k.startswith("head.")}
    assert head_keys == {f"head.{k}" for k in model.head.state_dict()}
    assert head_keys == {"head.1.weight", "head.1.bias"}


def assert_padding_never_changes_a_prediction(model: torch.nn.Module) -> None:
    """Each sequence alone, unpadded and without lengths, scores as in a padded batch."""
    x, lengths = batch([40, 31, 12], 40)
    together = model(torch.nn.functional.pad(x, (0, 23)), lengths)
    for i, n in enumerate(lengths.tolist()):
        alone = model(x[i : i + 1, :, :n])  # no padding, no lengths: the unmasked path
        assert torch.allclose(alone, together[i : i + 1], atol=1e-5), i


def assert_rc_average_is_strand_invariant(name: str, **overrides) -> None:
    """With ``rc_average`` predictions and per-position features do not change with the
    strand; without it they do."""
    x, lengths = batch([40, 33, 17, 5], 40, seed=3)
    rc = reverse_complement_onehot(x, lengths)
    averaged = build(name, rc_average=True, **overrides)
    assert torch.allclose(averaged(x, lengths), averaged(rc, lengths), atol=1e-5)
    assert torch.allclose(
        averaged.position_features(rc, lengths),
        reverse_within_length(averaged.position_features(x, lengths), lengths),
        atol=1e-5,
    )
    one_strand = build(name, rc_average=False, **overrides)
    assert not torch.allclose(one_strand(x, lengths), one_strand(rc, lengths), atol=1e-3)


def train_on_planted_motif(tmp_path: Path, name: str, params: dict) -> dict:
    """``genoclass train`` of model ``name`` on 200 + 200 40-nt sequences, half of the
    motif class carrying a 10-nt motif on the forward strand and half its reverse
    complement; returns metrics.json (after checking every test row was predicted)."""
    motif = consensus_pwm("TTGACGTCAGCA"[:8] + "GG", 0.95)  # not its own reverse complement
    table = planted_motif_sequences(200, 40, {"background": None, "motif": motif}, seed=4)
    flip = (table["label"] == "motif") & (np.arange(len(table)) % 2 == 0)
    rc = str.maketrans("ACGT", "TGCA")
    table.loc[flip, "sequence"] = [s.translate(rc)[::-1] for s in table.loc[flip, "sequence"]]
    data = tmp_path / "motif.csv"
    table.drop(columns=["motif_start", "motif_end"]).to_csv(data, index=False)
    out = tmp_path / "run"
    argv = ["train", "--data", str(data), "--model", name]
    argv += [f"--param={k}={json.dumps(v)}" for k, v in params.items()]
    argv += ["--epochs", "8", "--lr", "5e-3", "--batch-size", "16", "--seed", "1"]
    argv += ["--augment", "rc=0.5,shift=0.5", "--out", str(out)]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    predictions = pd.read_parquet(out / "predictions.parquet")
    assert len(predictions) == metrics["n_test"]
    return metrics
