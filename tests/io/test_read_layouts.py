"""Folder layouts (Genomic Benchmarks, GUE), layout detection and real-data reading."""

from __future__ import annotations

import gzip

import pytest

from genoclass.errors import InputError
from genoclass.io.sequences import read_sequences


def make_gb(root, sequences=None):
    """A tiny Genomic Benchmarks folder: {train,test}/{negative,positive}/N.txt."""
    sequences = sequences or {
        ("train", "positive"): ["ACGT", "AAAA"],
        ("train", "negative"): ["GGGG"],
        ("test", "positive"): ["CCCC"],
        ("test", "negative"): ["TTTT\n"],
    }
    for (split, label), seqs in sequences.items():
        folder = root / split / label
        folder.mkdir(parents=True)
        for i, seq in enumerate(seqs):
            (folder / f"{i}.txt").write_text(seq)
    return root


def test_genomic_benchmarks_folder(tmp_path):
    data = read_sequences(make_gb(tmp_path / "demo"))
    table = data.table
    assert data.format == "gb"
    assert table["split"].tolist() == ["train", "train", "train", "test", "test"]
    assert table["label"].tolist() == ["negative", "positive", "positive", "negative", "positive"]
    assert table["id"].tolist() == [
        "train/negative/0",
        "train/positive/0",
        "train/positive/1",
        "test/negative/0",
        "test/positive/0",
    ]
    assert table["id"].is_unique
    assert table["sequence"].tolist() == ["GGGG", "ACGT", "AAAA", "TTTT", "CCCC"]


def test_genomic_benchmarks_error_names_the_file(tmp_path):
    root = make_gb(tmp_path / "bad", {("train", "a"): ["ACGT", "AC*"], ("test", "a"): ["AC"]})
    with pytest.raises(InputError) as info:
        read_sequences(root, format="gb")
    message = str(info.value)
    assert "train/a/1.txt" in message and "'*'" in message


def test_gue_folder_with_official_splits(tmp_path):
    (tmp_path / "train.csv").write_text("sequence,label\nACGT,0\nGGCC,1\n")
    (tmp_path / "dev.csv.gz").write_bytes(gzip.compress(b"sequence,label\nAAAA,1\n"))
    (tmp_path / "test.csv").write_text("sequence,label\nCCCC,0\n")
    data = read_sequences(tmp_path)
    assert data.format == "gue"
    assert data.table["split"].tolist() == ["train", "train", "val", "test"]
    assert data.table["id"].tolist() == ["train_1", "train_2", "dev_1", "test_1"]
    (tmp_path / "test.csv").write_text("sequence,label\nCCCC,\n")
    with pytest.raises(InputError, match=r"test\.csv: row 1 \(line 2\): empty label"):
        read_sequences(tmp_path)


def test_unknown_folder_layout_lists_layouts(tmp_path):
    (tmp_path / "readme.md").write_text("nothing here")
    with pytest.raises(InputError, match="cannot detect the folder layout.*gb.*gue.*fasta-dir"):
        read_sequences(tmp_path)


@pytest.mark.realdata
def test_real_vasani_human(shared_data):
    data = read_sequences(shared_data / "dna" / "vasani_human_dna" / "human_data.txt")
    assert data.format == "tsv"
    assert len(data.table) == 4_380
    counts = data.table["label"].value_counts().sort_index().tolist()
    assert data.classes == [str(i) for i in range(7)]
    assert counts == [531, 534, 349, 672, 711, 240, 1_343]


@pytest.mark.realdata
def test_real_gue_tf0_splits(shared_data):
    data = read_sequences(shared_data / "dna" / "gue" / "tf" / "0")
    assert data.format == "gue"
    assert data.table["split"].value_counts().to_dict() == {
        "train": 32_378,
        "val": 1_000,
        "test": 1_000,
    }
    assert data.classes == ["0", "1"]
