"""Trunk + head contract of every neural sequence model in the registry: forward is
head(features), heads can be swapped, trunks frozen, padding ignored, old weights load."""

import json

import pytest
import safetensors.torch
import torch

from genoclass.models import available
from genoclass.models.serialize import ModelCard, build_model, load_model, save_model
from genoclass.models.windowed import WindowedClassifier

SEQUENCE_MODELS = [
    s
    for s in available()
    if s.family == "neural" and s.input_kind in ("tokens", "onehot") and s.meta_build
]
LENGTH = 64


def _inputs(spec, lengths, width):
    """Random bases (token rows or one-hot) of the given lengths, right-padded to width."""
    gen = torch.Generator().manual_seed(1)
    tokens = torch.randint(1, 5, (len(lengths), width), generator=gen)
    tokens[torch.arange(width)[None, :] >= torch.tensor(lengths)[:, None]] = 0
    if spec.input_kind == "tokens":
        return tokens
    onehot = torch.nn.functional.one_hot(tokens, 5)[..., 1:].float()
    return onehot.transpose(1, 2)


def _model(spec, n_outputs=1):
    torch.manual_seed(0)
    return spec.builder(n_outputs, LENGTH, **spec.hparams()).eval()


def test_every_sequence_model_is_covered():
    names = {s.name for s in SEQUENCE_MODELS}
    assert {"gb_cnn", "fast_accurate_cnn", "cnn", "kmer_cnn", "kmer_dan", "lstm"} <= names
    assert {"gru", "bilstm", "cnn_lstm", "cnn_gru", "cnn_bilstm"} <= names


@pytest.mark.parametrize("spec", SEQUENCE_MODELS, ids=lambda s: s.name)
def test_forward_is_head_of_features(spec):
    model = _model(spec, n_outputs=3)
    x = _inputs(spec, [LENGTH, LENGTH - 5], LENGTH)
    lengths = torch.tensor([LENGTH, LENGTH - 5])
    features = model.features(x, lengths)
    assert features.shape == (2, model.feature_dim)
    assert torch.equal(model(x, lengths), model.head(features))
    head_keys = {k for k in model.state_dict() if k.startswith("head.")}
    assert head_keys == {"head." + k for k in model.head.state_dict()}


@pytest.mark.parametrize("spec", SEQUENCE_MODELS, ids=lambda s: s.name)
def test_head_swap_keeps_the_trunk_and_changes_the_outputs(spec):
    model = _model(spec)
    trunk = {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("head.")}
    model.head = torch.nn.Linear(model.feature_dim, 5)
    x = _inputs(spec, [LENGTH, LENGTH], LENGTH)
    assert model(x).shape == (2, 5)
    after = {k: v for k, v in model.state_dict().items() if not k.startswith("head.")}
    assert after.keys() == trunk.keys()
    assert all(torch.equal(after[k], trunk[k]) for k in trunk)


@pytest.mark.parametrize("spec", SEQUENCE_MODELS, ids=lambda s: s.name)
def test_frozen_trunk_gives_gradients_to_the_head_only(spec):
    model = _model(spec).train()
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("head."))
    x = _inputs(spec, [LENGTH, LENGTH - 9, LENGTH - 3], LENGTH)
    model(x, torch.tensor([LENGTH, LENGTH - 9, LENGTH - 3])).sum().backward()
    grads = {n: p.grad is not None for n, p in model.named_parameters()}
    assert grads == {n: n.startswith("head.") for n in grads}


@pytest.mark.parametrize(
    "spec", [s for s in SEQUENCE_MODELS if not s.fixed_length], ids=lambda s: s.name
)
def test_features_ignore_padding(spec):
    model = _model(spec)
    lengths = torch.tensor([40, 23])
    x = _inputs(spec, lengths.tolist(), 40)
    padded = torch.nn.functional.pad(x, (0, 31))
    assert torch.allclose(model.features(x, lengths), model.features(padded, lengths), atol=1e-5)


@pytest.mark.parametrize(
    "spec",
    [s for s in SEQUENCE_MODELS if hasattr(_model(s), "position_features")],
    ids=lambda s: s.name,
)
def test_position_features_are_per_base_zero_past_the_end_and_ignore_padding(spec):
    model = _model(spec)
    lengths = torch.tensor([40, 23])
    x = _inputs(spec, lengths.tolist(), 40)
    out = model.position_features(x, lengths)
    assert out.shape[0] == 2 and out.shape[-1] == 40
    assert torch.count_nonzero(out[1, :, 23:]) == 0
    assert torch.count_nonzero(out[1, :, :20]) > 0
    padded = model.position_features(torch.nn.functional.pad(x, (0, 13)), lengths)
    assert torch.allclose(padded[..., :40], out, atol=1e-5)


def test_models_with_per_position_output_expose_it():
    with_positions = {s.name for s in SEQUENCE_MODELS if hasattr(_model(s), "position_features")}
    assert {"fast_accurate_cnn", "kmer_cnn", "lstm", "bilstm", "cnn_gru"} <= with_positions


def test_windowed_features_average_the_inner_features_over_windows():
    spec = next(s for s in SEQUENCE_MODELS if s.name == "fast_accurate_cnn")
    inner = _model(spec)
    wrapped = WindowedClassifier(inner, size=20, stride=10).eval()
    x = _inputs(spec, [40], 40)
    windows = torch.stack([x[0, s : s + 20] for s in (0, 10, 20)])
    want = inner.features(windows, torch.tensor([20, 20, 20])).mean(0)
    assert torch.allclose(wrapped.features(x, torch.tensor([40]))[0], want, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "old_names"),
    [("gb_cnn", {"trunk.": "features.", "head.": "dense."}), ("cnn", {"trunk.": "features."})],
)
@pytest.mark.parametrize("window", [None, {"size": 64, "stride": 32}])
def test_run_directories_written_before_the_trunk_rename_still_load(
    tmp_path, name, old_names, window
):
    spec = next(s for s in SEQUENCE_MODELS if s.name == name)
    card = ModelCard(
        name, spec.hparams(), ["a", "b"], 128, extra={"window": window} if window else {}
    )
    torch.manual_seed(3)
    model = build_model(card).eval()
    save_model(model, card, tmp_path)
    prefix = "inner." if window else ""
    old_state = {}
    for key, value in model.state_dict().items():
        for new, old in old_names.items():
            if key.startswith(prefix + new):
                key = prefix + old + key[len(prefix + new) :]
        old_state[key] = value.contiguous()
    assert not any(k.startswith(prefix + "trunk.") for k in old_state)
    safetensors.torch.save_file(old_state, str(tmp_path / "weights.safetensors"))
    loaded, _ = load_model(tmp_path)
    x = _inputs(spec, [128, 128], 128)
    assert torch.equal(loaded(x), model(x))
    assert json.loads((tmp_path / "model.json").read_text())["name"] == name
