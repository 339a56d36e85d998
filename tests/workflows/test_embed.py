"""`genoclass embed`: per-sequence trunk features of a neural sequence run, streamed to
Parquet, equal to TrainedRun.embed and to the model's own features."""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import torch

import genoclass
from genoclass.cli import main
from genoclass.config import TrainConfig
from genoclass.data.store import SequenceStore
from genoclass.data.synthetic import demo_sequences
from genoclass.data.synthetic_expression import planted_marker_expression
from genoclass.errors import InputError
from genoclass.sequence.encoding import tokenize
from genoclass.workflows import apply
from genoclass.workflows.train import run_training


def _embed(run_dir: Path, data: Path, out: Path, *extra: str, flag: str = "--data") -> int:
    return main(["embed", "--model", str(run_dir), flag, str(data), "--out", str(out), *extra])


def _emb(frame: pd.DataFrame) -> np.ndarray:
    return frame[[c for c in frame if c.startswith("emb_")]].to_numpy()


def test_embed_writes_the_trunk_features_of_every_row_in_order(tiny_demo, tmp_path, capsys):
    run_dir, data = tiny_demo
    out = tmp_path / "emb.parquet"
    assert _embed(run_dir, data, out, "--batch-size", "37") == 0
    progress = [line for line in capsys.readouterr().out.splitlines() if "batch" in line]
    assert [line.split("  ")[0] for line in progress] == [  # every 20 batches and the last
        "embed batch 20/22",
        "embed batch 22/22",
    ]
    assert "ETA" in progress[0] and all("elapsed" in line for line in progress)
    written = pd.read_parquet(out)
    source = pd.read_csv(data)
    run = genoclass.load(run_dir)
    dim = run.model.feature_dim
    assert list(written.columns) == ["id", "label", *(f"emb_{j}" for j in range(dim))]
    assert written["id"].tolist() == source["id"].astype(str).tolist()
    assert written["label"].tolist() == source["label"].astype(str).tolist()
    assert all(written[f"emb_{j}"].dtype == np.float32 for j in range(dim))
    assert pq.ParquetFile(out).metadata.num_row_groups == -(-len(source) // 37)  # streamed
    # the same numbers from the Python interface and straight from the model's trunk
    np.testing.assert_array_equal(_emb(written), run.embed(str(data)))
    assert run.card.input["input_kind"] == "tokens"
    tokens, lengths = tokenize(source["sequence"].tolist())  # A1 C2 G3 T4, all 60 nt
    with torch.no_grad():
        x, lengths = torch.from_numpy(tokens).long(), torch.from_numpy(lengths)
        direct = run.model.eval().features(x, lengths).numpy()
    np.testing.assert_allclose(_emb(written), direct, rtol=1e-5, atol=1e-6)
    assert genoclass.embed(run_dir, source["sequence"].head(5).tolist()) == pytest.approx(
        direct[:5], abs=1e-6
    )
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_split_and_unlabelled_data_keep_ids_only(tiny_demo, tmp_path) -> None:
    run_dir, data = tiny_demo
    run = genoclass.load(run_dir)
    assert _embed(run_dir, data, tmp_path / "test.parquet", "--split", "test") == 0
    test = pd.read_parquet(tmp_path / "test.parquet")
    recorded = pd.read_parquet(run_dir / "splits.parquet")
    assert set(test["id"]) == set(recorded.loc[recorded["split"] == "test", "id"].astype(str))
    np.testing.assert_array_equal(_emb(test), run.embed(str(data), split="test"))
    assert _embed(run_dir, data, tmp_path / "all.parquet", "--split", "all") == 0
    assert len(pd.read_parquet(tmp_path / "all.parquet")) == len(pd.read_csv(data))
    unlabelled = tmp_path / "unlabelled.csv"
    pd.read_csv(data).drop(columns=["label"]).head(50).to_csv(unlabelled, index=False)
    assert _embed(run_dir, unlabelled, tmp_path / "u.parquet", flag="--input") == 0
    assert "label" not in pd.read_parquet(tmp_path / "u.parquet")


def test_labels_of_another_task_are_kept_as_text(tiny_demo, tmp_path) -> None:
    run_dir, data = tiny_demo
    other = pd.read_csv(data).head(90)
    other["label"] = np.where(np.arange(90) % 3 == 0, "enhancer", "other")
    other.to_csv(tmp_path / "other.csv", index=False)
    assert _embed(run_dir, tmp_path / "other.csv", tmp_path / "o.parquet") == 0
    written = pd.read_parquet(tmp_path / "o.parquet")
    assert written["label"].tolist() == other["label"].tolist()
    np.testing.assert_array_equal(_emb(written), genoclass.load(run_dir).embed(other))


def test_a_packed_store_gives_the_embeddings_of_its_source_file(
    tiny_demo, tmp_path, monkeypatch
) -> None:
    run_dir, data = tiny_demo
    store = tmp_path / "store"
    assert main(["data", "pack", str(data), "--out", str(store)]) == 0
    assert _embed(run_dir, data, tmp_path / "file.parquet") == 0
    read = []  # rows per call of the store's id reader: one chunk at a time, never the file
    ids = SequenceStore.ids

    def counted(self, rows):
        read.append(len(rows))
        return ids(self, rows)

    monkeypatch.setattr(SequenceStore, "ids", counted)
    monkeypatch.setattr(apply, "PREDICT_CHUNK_ROWS", 300)
    assert _embed(run_dir, store, tmp_path / "store.parquet", "--batch-size", "64") == 0
    assert read == [300, 300, 200]
    from_file = pd.read_parquet(tmp_path / "file.parquet")
    from_store = pd.read_parquet(tmp_path / "store.parquet")
    assert from_store["id"].tolist() == from_file["id"].tolist()
    assert from_store["label"].tolist() == from_file["label"].tolist()
    np.testing.assert_allclose(_emb(from_store), _emb(from_file), atol=1e-6)


def _sequence_run(folder: Path) -> tuple[Path, list[str]]:
    """A k-mer naive Bayes run on small sequence data, and its data option."""
    data = folder / "d.csv"
    demo_sequences(seed=3, n_per_class=40, length=40).to_csv(data, index=False)
    return run_training(
        TrainConfig(data=str(data), model="kmer_nb", seed=0, out=str(folder / "run")),
        progress=False,
    ), ["--data", str(data)]


def _expression_run(folder: Path) -> tuple[Path, list[str]]:
    """A small expression MLP run (a samples x genes matrix with a labels table)."""
    matrix, labels, _ = planted_marker_expression(10, 30, 3, ["A", "B"], seed=1)
    matrix.to_csv(folder / "m.csv")
    labels.reset_index().to_csv(folder / "labels.csv", index=False)
    config = TrainConfig(
        data=str(folder / "m.csv"),
        labels=str(folder / "labels.csv"),
        model="expr_mlp",
        epochs=1,
        batch_size=4,
        seed=0,
        out=str(folder / "run"),
    )
    return run_training(config, progress=False), ["--data", str(folder / "m.csv")]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_sequence_run, "model 'kmer_nb' is a classical model (it has no learnt trunk)"),
        (_expression_run, "model 'expr_mlp' takes expression input (not a sequence trunk)"),
    ],
    ids=["classical", "expression"],
)
def test_a_run_without_a_trunk_is_refused_with_the_reason(make, reason, tmp_path, capsys):
    run_dir, data = make(tmp_path)
    capsys.readouterr()
    argv = ["embed", "--model", str(run_dir), *data, "--out", str(tmp_path / "e.parquet")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"genoclass: error: {run_dir}: cannot embed: {reason}"]
    assert not list(tmp_path.glob("*.parquet")) and not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(InputError, match="cannot embed"):
        genoclass.load(run_dir).embed(["ACGT"])


def test_a_bad_out_folder_leaves_no_file(tiny_demo, tmp_path, capsys) -> None:
    run_dir, data = tiny_demo
    missing = tmp_path / "missing" / "e.parquet"
    assert _embed(run_dir, data, missing) == 2
    assert "folder does not exist" in capsys.readouterr().err
    assert not missing.parent.exists()
    # a failure while writing removes the temp file and leaves no output
    blocked = tmp_path / "out"
    blocked.mkdir()
    (blocked / "e.parquet").mkdir()
    assert _embed(run_dir, data, blocked / "e.parquet") == 2
    assert [p.name for p in blocked.iterdir()] == ["e.parquet"]
    capsys.readouterr()
    assert _embed(run_dir, data, blocked / "f.parquet", "--batch-size", "0") == 2
    assert "--batch-size must be an integer in [1, 1048576]" in capsys.readouterr().err
    assert [p.name for p in blocked.iterdir()] == ["e.parquet"]


def test_a_failure_midway_removes_the_temp_file(tiny_demo, tmp_path, monkeypatch) -> None:
    run_dir, data = tiny_demo
    from genoclass.training import classifier

    calls, original = [], classifier.trunk_features

    def failing(model, features, batch_size=256):
        for i, batch in enumerate(original(model, features, batch_size)):
            calls.append(i)
            if i == 2:
                raise InputError("stopped on purpose")
            yield batch

    monkeypatch.setattr(classifier, "trunk_features", failing)
    assert _embed(run_dir, data, tmp_path / "e.parquet", "--batch-size", "50") == 2
    assert calls == [0, 1, 2]
    assert list(tmp_path.iterdir()) == []
