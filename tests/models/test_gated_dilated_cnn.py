"""gated_dilated_cnn: trunk + head contract, exact padding and reverse-complement invariance,
batch-norm statistics blind to padding, bad hyperparameters, a planted motif learned end to end."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from genoclass.cli import main
from genoclass.data.synthetic import consensus_pwm, planted_motif_sequences
from genoclass.errors import InputError
from genoclass.models import get_spec
from genoclass.models.gated_dilated_cnn import GatedDilatedBlock
from genoclass.models.layers import reverse_complement_onehot, reverse_within_length
from genoclass.sequence.encoding import one_hot, reverse_complement_tokens

TINY = {"width": 8, "dilations": [1, 2, 4], "kernel_size": 5, "stem_kernel": 5}


def build(n_outputs: int = 1, **overrides) -> torch.nn.Module:
    """A tiny model whose batch-norm running statistics are not the identity."""
    spec = get_spec("gated_dilated_cnn")
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


def test_reverse_complement_matches_the_token_reverse_complement():
    rng = np.random.default_rng(1)
    tokens = rng.integers(1, 6, size=(3, 12)).astype(np.uint8)
    lengths = np.array([12, 7, 1])
    tokens[np.arange(12)[None, :] >= lengths[:, None]] = 0
    expected = one_hot(reverse_complement_tokens(tokens, lengths))
    got = reverse_complement_onehot(torch.from_numpy(one_hot(tokens)), torch.from_numpy(lengths))
    assert torch.equal(got, torch.from_numpy(expected))
    x = torch.arange(6.0).reshape(1, 1, 6)
    assert reverse_within_length(x, torch.tensor([4])).tolist() == [[[3, 2, 1, 0, 0, 0]]]


def test_trunk_head_contract():
    model = build(n_outputs=3)
    x, lengths = batch([40, 25, 9], 40)
    feats = model.features(x, lengths)
    assert feats.shape == (3, model.feature_dim) == (3, 16)
    assert torch.equal(model(x, lengths), model.head(feats))
    pos = model.position_features(x, lengths)
    assert pos.shape == (3, 8, 40)
    assert pos[1, :, 25:].abs().sum() == 0 and pos[2, :, 9:].abs().sum() == 0
    head_keys = {k for k in model.state_dict() if k.startswith("head.")}
    assert (
        head_keys
        == {f"head.{k}" for k in model.head.state_dict()}
        == {
            "head.1.weight",
            "head.1.bias",
        }
    )
    assert model.head(feats).shape == (3, 3)


@pytest.mark.parametrize("rc_average", [True, False])
def test_padding_never_changes_a_prediction(rc_average):
    model = build(rc_average=rc_average)
    x, lengths = batch([40, 31, 12], 40)
    together = model(torch.nn.functional.pad(x, (0, 23)), lengths)
    for i, n in enumerate(lengths.tolist()):
        alone = model(x[i : i + 1, :, :n])  # no padding, no lengths: the unmasked path
        assert torch.allclose(alone, together[i : i + 1], atol=1e-5), i


def test_batch_norm_statistics_in_training_ignore_padding():
    x, lengths = batch([40, 22, 13], 40)
    models = [build(dropout=0.0, head_dropout=0.0).train() for _ in range(2)]
    out = models[0](x, lengths)
    # statistics that counted padding would change with the amount of padding
    assert torch.allclose(models[1](torch.nn.functional.pad(x, (0, 50)), lengths), out, atol=1e-5)
    for a, b in zip(models[0].modules(), models[1].modules(), strict=True):
        if isinstance(a, torch.nn.BatchNorm1d):
            assert torch.allclose(a.running_mean, b.running_mean, atol=1e-6)
            assert torch.allclose(a.running_var, b.running_var, atol=1e-6)


def test_rc_averaged_predictions_are_invariant_to_reverse_complement():
    x, lengths = batch([40, 33, 17, 5], 40, seed=3)
    rc = reverse_complement_onehot(x, lengths)
    averaged = build(rc_average=True)
    assert torch.allclose(averaged(x, lengths), averaged(rc, lengths), atol=1e-5)
    assert torch.allclose(
        averaged.position_features(rc, lengths),
        reverse_within_length(averaged.position_features(x, lengths), lengths),
        atol=1e-5,
    )
    one_strand = build(rc_average=False)
    assert not torch.allclose(one_strand(x, lengths), one_strand(rc, lengths), atol=1e-3)


@pytest.mark.parametrize("gate", ["pointwise", "conv"])
def test_short_inputs_skip_only_taps_that_read_padding(gate):
    torch.manual_seed(0)
    for dilation in (1, 16, 64, 256):
        block = GatedDilatedBlock(6, 5, dilation, 0.0, gate)
        for width in (1, 40, 101, 300):
            z = torch.randn(2, 6, width)
            assert torch.allclose(block.dilated(z), block.conv(z), atol=1e-5), (dilation, width)


def test_receptive_field_is_what_the_model_states_and_defaults_cover_gue_inputs():
    spec = get_spec("gated_dilated_cnn")
    model = spec.builder(1, 101, **spec.hparams()).double().eval()
    reach = model.receptive_field // 2  # centred convolutions: this far on each side
    assert reach >= 100  # every position of a 101-nt input sees the whole input
    tokens = np.random.default_rng(0).integers(1, 5, size=(1, 701)).astype(np.uint8)
    centre = model._one_strand(torch.from_numpy(one_hot(tokens)).double(), None)[0, :, 350]
    for distance, changes in ((reach, True), (reach + 1, False)):
        mutated = tokens.copy()
        mutated[0, 350 + distance] = mutated[0, 350 + distance] % 4 + 1
        moved = model._one_strand(torch.from_numpy(one_hot(mutated)).double(), None)[0, :, 350]
        assert bool((moved != centre).any()) == changes, distance
    params = sum(p.numel() for p in model.parameters())
    assert 0.1e6 < params < 1.8e6


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"kernel_size": 4}, "kernel_size must be odd"),
        ({"width": 0}, r"width must be an integer in \[1, 4096\]"),
        ({"dilations": []}, "dilations must be a list of integers"),
        ({"dilations": [1, "x"]}, "dilations must be a list of integers"),
        ({"gate": "maybe"}, "gate must be one of conv, pointwise"),
    ],
)
def test_bad_hyperparameters_are_input_errors(override, message):
    spec = get_spec("gated_dilated_cnn")
    with pytest.raises(InputError, match=message):
        spec.builder(1, 50, **spec.hparams(override))


def test_learns_a_planted_motif_on_either_strand_through_train(tmp_path):
    motif = consensus_pwm("TTGACGTCAGCA"[:8] + "GG", 0.95)  # not its own reverse complement
    table = planted_motif_sequences(200, 40, {"background": None, "motif": motif}, seed=4)
    flip = (table["label"] == "motif") & (np.arange(len(table)) % 2 == 0)
    rc = str.maketrans("ACGT", "TGCA")
    table.loc[flip, "sequence"] = [s.translate(rc)[::-1] for s in table.loc[flip, "sequence"]]
    data = tmp_path / "motif.csv"
    table.drop(columns=["motif_start", "motif_end"]).to_csv(data, index=False)
    out = tmp_path / "run"
    params = [f"--param={k}={json.dumps(v)}" for k, v in {**TINY, "width": 16}.items()]
    argv = ["train", "--data", str(data), "--model", "gated_dilated_cnn", *params]
    argv += ["--epochs", "8", "--lr", "5e-3", "--batch-size", "16", "--seed", "1"]
    argv += ["--augment", "rc=0.5,shift=0.5", "--out", str(out)]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.9, metrics["test"]["accuracy"]
    predictions = pd.read_parquet(out / "predictions.parquet")
    assert len(predictions) == metrics["n_test"]
