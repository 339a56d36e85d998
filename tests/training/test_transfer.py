"""Transfer learning from an earlier run: trunk copied, head kept or new, frozen trunk
unchanged, parameter groups, origin recorded, and every mismatch refused with exit 2."""

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import safetensors.torch
import torch

from genoclass.cli import main
from genoclass.data.synthetic import demo_sequences
from genoclass.io.textfile import file_sha256
from genoclass.models import get_spec
from genoclass.training.transfer import TrunkFreezer, parameter_groups

SMALL = "--param channels=[8,16] --param embed_dim=8 --batch-size 32"


def cli(command: str) -> int:
    """Run a genoclass command line (paths here contain no spaces)."""
    return main(command.split())


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("data")
    table = demo_sequences(seed=4, n_per_class=60, length=50)
    paths = {"same": folder / "same.csv", "renamed": folder / "renamed.csv"}
    table.to_csv(paths["same"], index=False)
    table.assign(label=table["label"].map({"background": "neg", "motif": "pos"})).to_csv(
        paths["renamed"], index=False
    )
    return paths


@pytest.fixture(scope="module")
def source(data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "source"
    assert cli(f"train --data {data['same']} --epochs 2 --seed 1 {SMALL} --out {out}") == 0
    return out


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return safetensors.torch.load_file(str(run / "model" / "weights.safetensors"))


def _split(state: dict[str, torch.Tensor]) -> tuple[dict, dict]:
    trunk = {k: v for k, v in state.items() if not k.startswith("head.")}
    return trunk, {k: v for k, v in state.items() if k.startswith("head.")}


def test_features_mode_keeps_the_trunk_and_records_the_origin(data, source, tmp_path):
    out = tmp_path / "features"
    # trunk hyperparameters come from the earlier run: --param channels is not repeated
    command = f"train --data {data['renamed']} --epochs 2 --seed 2 --batch-size 32"
    assert cli(f"{command} --init {source} --transfer features --out {out}") == 0
    source_trunk, source_head = _split(_weights(source))
    trunk, head = _split(_weights(out))
    assert trunk.keys() == source_trunk.keys()
    assert all(torch.equal(trunk[k], source_trunk[k]) for k in trunk)  # BN statistics too
    assert not all(torch.equal(head[k], source_head[k]) for k in head)
    init = json.loads((out / "metrics.json").read_text())["init"]
    assert init["path"] == str((source / "model").resolve())
    assert init["weights_sha256"] == file_sha256(source / "model" / "weights.safetensors")
    assert (init["transfer"], init["head"]) == ("features", "new")
    assert init["trunk_hparams_inherited"] == {"embed_dim": 8, "channels": [8, 16]}
    card = json.loads((out / "model" / "model.json").read_text())
    assert card["hparams"]["channels"] == [8, 16]
    assert card["extra"]["init"]["weights_sha256"] == init["weights_sha256"]
    assert f"init: {source}" in (out / "config.yaml").read_text()
    assert init["weights_sha256"] in (out / "report.html").read_text()


def test_finetune_with_the_same_classes_keeps_the_head_and_moves_the_trunk(data, source, tmp_path):
    out = tmp_path / "finetune"
    command = f"train --data {data['same']} --epochs 1 --seed 2 {SMALL} --lr 0.01"
    assert cli(f"{command} --init {source} --trunk-lr-scale 0.5 --out {out}") == 0
    init = json.loads((out / "metrics.json").read_text())["init"]
    assert (init["transfer"], init["head"], init["trunk_lr_scale"]) == ("finetune", "kept", 0.5)
    source_trunk, _ = _split(_weights(source))
    trunk, _ = _split(_weights(out))
    assert not all(torch.equal(trunk[k], source_trunk[k]) for k in trunk)


def test_parameter_groups_give_the_trunk_its_learning_rate():
    spec = get_spec("fast_accurate_cnn")
    model = spec.builder(1, 40, **spec.hparams({"channels": [4], "embed_dim": 4}))
    head, trunk = parameter_groups(model, 0.01, 0.1)
    assert (head["lr"], trunk["lr"]) == (0.01, pytest.approx(0.001))
    assert {id(p) for p in head["params"]} == {id(p) for p in model.head.parameters()}
    assert len(head["params"]) + len(trunk["params"]) == len(list(model.parameters()))
    (single,) = parameter_groups(model, 0.01, 1.0)
    assert len(single["params"]) == len(list(model.parameters()))


def test_trunk_freezer_freezes_for_the_first_epochs_then_releases():
    spec = get_spec("kmer_dan")
    model = spec.builder(1, 40, **spec.hparams({"k": 3, "embed_dim": 4}))
    module = SimpleNamespace(model=model.train())
    freezer = TrunkFreezer(frozen_epochs=2)
    for epoch, frozen in [(0, True), (1, True), (2, False)]:
        model.train()
        trainer = SimpleNamespace(current_epoch=epoch)
        freezer.on_train_epoch_start(trainer, module)
        freezer.on_train_batch_start(trainer, module, None, 0)
        assert model.embedding.weight.requires_grad is not frozen
        assert model.training is not frozen  # k-mer dropout off while frozen
        assert model.head.training and all(p.requires_grad for p in model.head.parameters())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("--model kmer_cnn", "the run's model is 'fast_accurate_cnn', this run's 'kmer_cnn'"),
        (f"{SMALL.replace('[8,16]', '[8,32]')}", "hyperparameter channels differs"),
        ("--transfer features --trunk-lr-scale 0.5", "--trunk-lr-scale has no effect"),
        ("--trunk-lr-scale 0", "--trunk-lr-scale must be a number in (0, 10]"),
    ],
)
def test_mismatched_init_exits_2_with_the_reason(data, source, tmp_path, capsys, options, message):
    code = cli(
        f"train --data {data['same']} --epochs 1 --init {source} {options} --out {tmp_path}/x"
    )
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_changed_encoding_and_missing_init_are_refused(data, source, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(source / "model", copy)
    card = json.loads((copy / "model.json").read_text())
    card["input"]["alphabet"] = "A0 C1 G2 T3"
    (copy / "model.json").write_text(json.dumps(card))
    base = f"train --data {data['same']} --epochs 1 {SMALL} --out {tmp_path}/x"
    assert cli(f"{base} --init {copy}") == 2
    assert "input encoding differs: alphabet 'A0 C1 G2 T3'" in capsys.readouterr().err
    assert cli(f"{base} --transfer features") == 2
    assert "--transfer need --init" in capsys.readouterr().err
    assert cli(f"{base} --init {tmp_path}") == 2
    assert "not a run directory or model folder" in capsys.readouterr().err


def test_a_classical_run_has_no_trunk(data, tmp_path, capsys):
    classical = tmp_path / "nb"
    assert cli(f"train --data {data['same']} --model kmer_nb --out {classical}") == 0
    capsys.readouterr()
    assert cli(f"train --data {data['same']} --model kmer_nb --init {classical} --out x") == 2
    assert "--init with 'kmer_nb': only classical models that read a numeric matrix" in (
        capsys.readouterr().err
    )  # a classical model given --init is fitted on embeddings: k-mer models cannot be
