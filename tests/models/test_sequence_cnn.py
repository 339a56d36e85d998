"""S0 models: shapes, any-length input, padding invariance, registry."""

import pytest
import torch

from genoclass.errors import InputError
from genoclass.models import available, get_spec
from genoclass.models.serialize import ModelCard, build_model


def build(name, n_outputs=1, length=120, **overrides):
    spec = get_spec(name)
    torch.manual_seed(0)
    model = spec.builder(n_outputs, length, **spec.hparams(overrides))
    return model.eval()


def test_registry_lists_s0_models_with_descriptions():
    names = {s.name: s for s in available()}
    assert {"gb_cnn", "fast_accurate_cnn"} <= set(names)
    assert names["gb_cnn"].fixed_length and not names["fast_accurate_cnn"].fixed_length


def test_unknown_model_and_hyperparameter_are_input_errors():
    with pytest.raises(InputError, match="unknown model 'nope'"):
        get_spec("nope")
    with pytest.raises(InputError, match="unknown hyperparameter"):
        get_spec("gb_cnn").hparams({"depth": 3})


def test_gb_cnn_matches_the_reference_layout():
    model = build("gb_cnn", n_outputs=1, length=251)
    convs = [m for m in model.trunk if isinstance(m, torch.nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size[0]) for c in convs] == [
        (100, 16, 8),
        (8 * 2, 8, 8),
        (8, 4, 8),
    ]
    assert model.head[0].out_features == 512
    assert model(torch.randint(1, 6, (3, 251))).shape == (3, 1)


def test_fast_accurate_cnn_takes_any_length_and_multiclass_outputs():
    model = build("fast_accurate_cnn", n_outputs=7)
    for length in (9, 120, 1001):
        assert model(torch.randint(1, 6, (2, length))).shape == (2, 7)


@pytest.mark.parametrize("positional", [False, True])
def test_fast_accurate_cnn_ignores_padding(positional):
    model = build("fast_accurate_cnn", positional=positional)
    x = torch.randint(1, 6, (1, 57))
    lengths = torch.tensor([57])
    padded = torch.nn.functional.pad(x, (0, 70))
    assert torch.allclose(model(x, lengths), model(padded, lengths), atol=1e-5)


def test_model_card_rebuilds_the_registered_architecture():
    card = ModelCard(
        "fast_accurate_cnn", get_spec("fast_accurate_cnn").hparams(), ["a", "b", "c"], 50
    )
    model = build_model(card)
    assert model(torch.randint(1, 6, (4, 50))).shape == (4, 3)
