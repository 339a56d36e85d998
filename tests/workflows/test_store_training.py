"""Training from a packed store: the same run as from the file it was packed from, its split
column honoured, dedup and leakage counts from its hashes, worker processes changing nothing,
and a damaged store as a one-line input error."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from genoclass.cli import main
from genoclass.data.loaders import make_loader
from genoclass.data.pack import pack_sequences
from genoclass.data.synthetic import demo_sequences
from genoclass.sequence.augment import Augmenter
from genoclass.workflows import fitting

TRAIN = "--model gb_cnn --epochs 2 --batch-size 16 --seed 7 --threads 1"


def cli(command: str) -> int:
    return main(command.split())


@pytest.fixture(scope="module")
def motif_csv(tmp_path_factory):
    """Planted-motif sequences with some exact and reverse-complement copies of other rows."""
    table = demo_sequences(seed=3, n_per_class=60, length=60)
    copies = table.iloc[:6].copy()
    copies["id"] = [f"copy{i}" for i in range(6)]
    complement = str.maketrans("ACGT", "TGCA")
    copies.loc[copies.index[3:], "sequence"] = [
        s.translate(complement)[::-1] for s in copies["sequence"].iloc[3:]
    ]
    path = tmp_path_factory.mktemp("data") / "motif.csv"
    pd.concat([table, copies], ignore_index=True).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def motif_store(motif_csv):
    store = motif_csv.parent / "store"
    pack_sequences(motif_csv, store)
    return store


def read_run(run) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    metrics = json.loads((run / "metrics.json").read_text())
    return (
        metrics,
        pd.read_parquet(run / "predictions.parquet"),
        pd.read_parquet(run / "splits.parquet"),
    )


@pytest.mark.parametrize("dedup", ["none", "rc"])
def test_store_run_equals_the_run_on_its_source_file(motif_csv, motif_store, tmp_path, dedup):
    for name, data in (("file", motif_csv), ("store", motif_store)):
        assert cli(f"train --data {data} {TRAIN} --dedup {dedup} --out {tmp_path / name}") == 0
    file_metrics, file_pred, file_splits = read_run(tmp_path / "file")
    store_metrics, store_pred, store_splits = read_run(tmp_path / "store")
    for split in ("val", "test"):
        assert store_metrics[split] == file_metrics[split]
    assert store_metrics["data"]["duplicates"] == file_metrics["data"]["duplicates"]
    if dedup == "rc":  # the planted copies are grouped with their originals
        assert store_metrics["data"]["grouping"] == file_metrics["data"]["grouping"]
        assert store_metrics["data"]["duplicates"]["total_cross_split_exact"] == 0
    pd.testing.assert_frame_equal(store_pred, file_pred)
    assert (store_splits["split"].to_numpy() == file_splits["split"].to_numpy()).all()
    assert (store_splits["store_row"].to_numpy() == np.arange(len(file_splits))).all()
    manifest = store_metrics["data"]["files"]["data"]["manifest_sha256"]
    first_line = (tmp_path / "store" / "config.yaml").read_text().splitlines()[0]
    assert first_line.endswith(manifest) and len(manifest) == 64
    assert yaml.safe_load((tmp_path / "store" / "config.yaml").read_text())["data"] == str(
        motif_store
    )
    assert (tmp_path / "store" / "report.html").is_file()


def test_store_split_column_is_kept(tmp_path):
    table = demo_sequences(seed=4, n_per_class=40, length=60)
    table["split"] = np.resize(["train", "train", "dev", "test", "train"], len(table))
    source = tmp_path / "split.csv"
    table.to_csv(source, index=False)
    pack_sequences(source, tmp_path / "store")
    assert cli(f"train --data {tmp_path / 'store'} {TRAIN} --out {tmp_path / 'run'}") == 0
    metrics, predictions, splits = read_run(tmp_path / "run")
    expected = table["split"].replace({"dev": "val"}).to_numpy()
    assert (splits["split"].to_numpy() == expected).all()
    assert metrics["n_test"] == (expected == "test").sum() == len(predictions)
    assert predictions["id"].tolist() == table.loc[expected == "test", "id"].tolist()


def test_workers_give_the_same_batches_and_run(motif_store, tmp_path):
    from genoclass.data.store import SequenceStore

    store = SequenceStore(motif_store)
    augment = Augmenter(substitute=0.1, rc=0.5)
    features = store.features(y=store.y(), max_len=60).augmented(augment, seed=3)
    batches = {}
    for workers in (0, 2):
        loader = make_loader(features, 16, shuffle=True, seed=5, workers=workers)
        loader.sampler.set_epoch(1)
        batches[workers] = list(loader)
    assert len(batches[0]) == len(batches[2]) == -(-len(store) // 16)
    for a, b in zip(batches[0], batches[2], strict=True):
        assert all(torch.equal(a[key], b[key]) for key in a)
    runs = {}
    for workers in (0, 2):
        out = tmp_path / f"w{workers}"
        command = f"train --data {motif_store} {TRAIN} --augment rc=0.5 --workers {workers}"
        assert cli(f"{command} --out {out}") == 0
        runs[workers] = read_run(out)
    assert runs[2][0]["test"] == runs[0][0]["test"]
    pd.testing.assert_frame_equal(runs[2][1], runs[0][1])
    assert yaml.safe_load((tmp_path / "w2" / "config.yaml").read_text())["workers"] == 2


def test_text_models_on_a_store_up_to_the_stated_size(motif_store, tmp_path, monkeypatch, capsys):
    assert cli(f"train --data {motif_store} --model kmer_lr --out {tmp_path / 'kmer'}") == 0
    monkeypatch.setattr(fitting, "STORE_TEXT_ROWS", 50)
    assert cli(f"train --data {motif_store} --model kmer_lr --out {tmp_path / 'big'}") == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "at most 50 rows" in err and str(motif_store) in err


def test_damaged_store_is_a_one_line_error_naming_the_file(motif_store, tmp_path, capsys):
    damaged = tmp_path / "store"
    damaged.mkdir()
    for file in motif_store.iterdir():
        (damaged / file.name).write_bytes(file.read_bytes())
    tokens = damaged / "tokens.u8"
    data = bytearray(tokens.read_bytes())
    data[100] = 9  # a token id no base has: found when a batch holding it is read
    tokens.write_bytes(bytes(data))
    assert cli(f"train --data {damaged} {TRAIN} --out {tmp_path / 'run'}") == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(tokens) in err and "token ids outside 1-5" in err
    assert not (tmp_path / "run").exists()
    tokens.write_bytes(bytes(data[:-7]))
    assert cli(f"train --data {damaged} {TRAIN} --out {tmp_path / 'run'}") == 2
    err = capsys.readouterr().err.strip()
    assert str(tokens) in err and "truncated" in err


def test_max_steps_ends_training_early(motif_store, tmp_path):
    out = tmp_path / "run"
    command = f"train --data {motif_store} {TRAIN} --epochs 5 --max-steps 8 --out {out}"
    assert cli(command) == 0  # 6 steps per epoch: the 8th step is in the second epoch
    metrics, _, _ = read_run(out)
    assert metrics["epochs_run"] == 2 and metrics["stop_reason"] == "max_steps"
    assert yaml.safe_load((out / "config.yaml").read_text())["max_steps"] == 8


def test_evaluate_split_of_a_store_run_on_its_store(motif_store, tmp_path):
    run = tmp_path / "run"
    assert cli(f"train --data {motif_store} {TRAIN} --out {run}") == 0
    out = tmp_path / "eval.json"
    assert cli(f"evaluate --model {run} --data {motif_store} --split test --out {out}") == 0
    evaluated, recorded = json.loads(out.read_text())["metrics"], read_run(run)[0]["test"]
    for key in ("accuracy", "mcc", "roc_auc", "f1_macro"):
        assert evaluated[key] == pytest.approx(recorded[key], abs=1e-12)
