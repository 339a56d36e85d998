"""Model files: safetensors + JSON round trip, no pickle."""

import json

import pytest
import torch

from genoclass.errors import InputError
from genoclass.models import get_spec
from genoclass.models.serialize import ModelCard, build_model, load_model, save_model


def test_round_trip_gives_identical_outputs(tmp_path):
    card = ModelCard(
        "gb_cnn", get_spec("gb_cnn").hparams(), ["neg", "pos"], 64, input={"featurizer": "sequence"}
    )
    torch.manual_seed(1)
    model = build_model(card).eval()
    save_model(model, card, tmp_path / "model")
    loaded, loaded_card = load_model(tmp_path / "model")
    x = torch.randint(1, 6, (5, 64))
    assert torch.equal(model(x), loaded(x))
    assert loaded_card.classes == ["neg", "pos"]
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "model.json",
        "weights.safetensors",
    ]
    meta = json.loads((tmp_path / "model" / "model.json").read_text())
    assert meta["name"] == "gb_cnn" and meta["genoclass_version"]


def test_weights_file_is_not_a_pickle(tmp_path):
    card = ModelCard("gb_cnn", get_spec("gb_cnn").hparams(), ["neg", "pos"], 80)
    save_model(build_model(card), card, tmp_path)
    head = (tmp_path / "weights.safetensors").read_bytes()[:2]
    assert head != b"\x80\x04" and head != b"PK"  # neither a pickle nor a torch zip


def test_missing_model_json_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no model.json"):
        load_model(tmp_path)
