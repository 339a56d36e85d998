"""gated_dilated_cnn: trunk + head contract, exact padding and reverse-complement invariance,
batch-norm statistics blind to padding, bad hyperparameters, a planted motif learned end to end."""

import numpy as np
import pytest
import torch

from genoclass.errors import InputError
from genoclass.models import get_spec
from genoclass.models.gated_dilated_cnn import GatedDilatedBlock
from genoclass.models.layers import reverse_complement_onehot, reverse_within_length
from genoclass.sequence.encoding import one_hot, reverse_complement_tokens

from .gated_helpers import (
    TINY,
    assert_padding_never_changes_a_prediction,
    assert_rc_average_is_strand_invariant,
    assert_trunk_head_contract,
    batch,
    build,
    train_on_planted_motif,
)

NAME = "gated_dilated_cnn"


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
    assert_trunk_head_contract(build(NAME, n_outputs=3), feature_dim=16)


@pytest.mark.parametrize("rc_average", [True, False])
def test_padding_never_changes_a_prediction(rc_average):
    assert_padding_never_changes_a_prediction(build(NAME, rc_average=rc_average))


def test_batch_norm_statistics_in_training_ignore_padding():
    x, lengths = batch([40, 22, 13], 40)
    models = [build(NAME, dropout=0.0, head_dropout=0.0).train() for _ in range(2)]
    out = models[0](x, lengths)
    # statistics that counted padding would change with the amount of padding
    assert torch.allclose(models[1](torch.nn.functional.pad(x, (0, 50)), lengths), out, atol=1e-5)
    for a, b in zip(models[0].modules(), models[1].modules(), strict=True):
        if isinstance(a, torch.nn.BatchNorm1d):
            assert torch.allclose(a.running_mean, b.running_mean, atol=1e-6)
            assert torch.allclose(a.running_var, b.running_var, atol=1e-6)


def test_rc_averaged_predictions_are_invariant_to_reverse_complement():
    assert_rc_average_is_strand_invariant(NAME)


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
    metrics = train_on_planted_motif(tmp_path, NAME, {**TINY, "width": 16})
    assert metrics["test"]["accuracy"] >= 0.9, metrics["test"]["accuracy"]


def test_small_preset_keeps_both_invariances_and_its_centre_sees_a_whole_101_nt_input():
    spec = get_spec("gated_dilated_cnn_small")
    assert spec.builder is get_spec(NAME).builder and spec.hparams()["width"] == 32
    torch.manual_seed(0)
    model = spec.builder(1, 101, **spec.hparams()).eval()
    assert_padding_never_changes_a_prediction(model)
    x, lengths = batch([40, 33, 17], 40, seed=3)
    rc = reverse_complement_onehot(x, lengths)
    assert torch.allclose(model(x, lengths), model(rc, lengths), atol=1e-5)
    assert model.receptive_field // 2 >= 50  # the centre of a 101-nt input sees both ends
    full = get_spec(NAME).builder(1, 101, **get_spec(NAME).hparams())
    size = [sum(p.numel() for p in m.parameters()) for m in (model, full)]
    assert size[0] < size[1] / 4
