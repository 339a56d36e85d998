"""CSV / TSV / Parquet reading: columns, labels, splits, gzip, CRLF and row-exact errors."""

from __future__ import annotations

import gzip
import time

import numpy as np
import pandas as pd
import pytest

from genoclass.errors import InputError
from genoclass.io.sequences import read_sequences


def test_csv_with_integer_labels_and_default_ids(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("sequence,label\nACGT,0\nggcc,1\nACNN,1\n")
    data = read_sequences(path)
    table = data.table
    assert data.format == "csv"
    assert table["sequence"].tolist() == ["ACGT", "GGCC", "ACNN"]
    assert table["label"].tolist() == ["0", "1", "1"]
    assert table["id"].tolist() == ["data_1", "data_2", "data_3"]
    assert table["source_row"].tolist() == [1, 2, 3]
    assert table["split"].isna().all()
    assert data.cleaning["lowercase_uppercased"] == 1


def test_empty_label_names_row_and_line(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("sequence,label\nACGT,0\nGGCC,\nAAAA,1\n")
    with pytest.raises(InputError) as info:
        read_sequences(path)
    message = str(info.value)
    assert "labels.csv" in message and "row 2 (line 3)" in message


def test_missing_column_lists_available_columns(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("seq,target\nACGT,0\n")
    with pytest.raises(InputError, match="no sequence column 'sequence'.*'seq', 'target'"):
        read_sequences(path)
    with pytest.raises(InputError, match="no label column 'label'"):
        read_sequences(path, sequence_col="seq")
    data = read_sequences(path, sequence_col="seq", label_col="target")
    assert data.table["label"].tolist() == ["0"]


def test_labels_optional_when_column_absent(tmp_path):
    path = tmp_path / "unlabelled.csv"
    path.write_text("id,sequence\nx,ACGT\ny,GG\n")
    table = read_sequences(path, labels_required=False).table
    assert table["label"].tolist() == [None, None]
    assert table["id"].tolist() == ["x", "y"]


def test_invalid_character_names_row(tmp_path):
    path = tmp_path / "chars.csv"
    path.write_text("sequence,label\nACGT,0\nAC GT,1\n")
    with pytest.raises(InputError, match=r"chars\.csv: row 2: invalid character.*' '"):
        read_sequences(path)


def test_split_column_is_normalised(tmp_path):
    path = tmp_path / "split.csv"
    path.write_text("sequence,label,split\nA,0,train\nC,1,dev\nG,0,valid\nT,1,TEST\n")
    assert read_sequences(path).table["split"].tolist() == ["train", "val", "val", "test"]
    path.write_text("sequence,label,split\nA,0,train\nC,1,holdout\n")
    with pytest.raises(InputError, match=r"row 2 \(line 3\): unknown split.*'holdout'"):
        read_sequences(path)


def test_vasani_style_tsv_with_crlf_and_class_column(tmp_path):
    path = tmp_path / "human_data.txt"
    path.write_bytes(b"sequence\tclass\r\nATGCCC\t4\r\nATGAAN\t0\r\n")
    data = read_sequences(path)
    assert data.format == "tsv"
    assert data.table["sequence"].tolist() == ["ATGCCC", "ATGAAN"]
    assert data.table["label"].tolist() == ["4", "0"]
    assert read_sequences(path, format="vasani").table["label"].tolist() == ["4", "0"]


def test_gzipped_tsv_and_csv(tmp_path):
    tsv = tmp_path / "data.tsv.gz"
    tsv.write_bytes(gzip.compress(b"sequence\tlabel\nACGT\ta\n"))
    assert read_sequences(tsv).format == "tsv"
    csv = tmp_path / "data.csv.gz"
    csv.write_bytes(gzip.compress(b"sequence,label\nACGT,a\n"))
    data = read_sequences(csv)
    assert data.format == "csv"
    assert data.table["label"].tolist() == ["a"]


def test_parquet_with_integer_and_float_labels(tmp_path):
    path = tmp_path / "data.parquet"
    frame = pd.DataFrame({"sequence": ["ACGT", "GGTT"], "label": [0, 1], "score": [1.0, 0.0]})
    frame.to_parquet(path)
    data = read_sequences(path)
    assert data.format == "parquet"
    assert data.table["label"].tolist() == ["0", "1"]
    assert read_sequences(path, label_col="score").table["label"].tolist() == ["1", "0"]
    frame.assign(label=[0, None]).to_parquet(path)
    with pytest.raises(InputError, match=r"row 2: empty label"):
        read_sequences(path)


def test_unknown_format_and_missing_file(tmp_path):
    path = tmp_path / "mystery.bin"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match="cannot detect the format.*fasta, fasta-dir, csv"):
        read_sequences(path)
    with pytest.raises(InputError, match="unknown format 'xlsx'; formats: auto, fasta"):
        read_sequences(path, format="xlsx")
    with pytest.raises(InputError, match="no such file"):
        read_sequences(tmp_path / "absent.csv")
    with pytest.raises(InputError, match="no such file"):
        read_sequences([tmp_path / "absent.fa"])
    with pytest.raises(InputError, match="format 'csv' reads a file"):
        read_sequences(tmp_path, format="csv")
    with pytest.raises(InputError, match="format 'gb' reads a folder"):
        read_sequences(path, format="gb")


def test_single_column_table_for_prediction(tmp_path):
    path = tmp_path / "to_predict.tsv"
    path.write_text("sequence\nACGT\nGGCA\n")
    data = read_sequences(path, labels_required=False)
    assert data.format == "tsv"
    assert data.table["sequence"].tolist() == ["ACGT", "GGCA"]


def test_hundred_thousand_rows_read_quickly(tmp_path):
    rng = np.random.default_rng(0)
    letters = np.array(list("ACGT"))
    seqs = ["".join(row) for row in letters[rng.integers(0, 4, size=(100_000, 50))]]
    path = tmp_path / "big.csv"
    pd.DataFrame({"sequence": seqs, "label": rng.integers(0, 2, 100_000)}).to_csv(path, index=False)
    start = time.perf_counter()
    data = read_sequences(path)
    assert time.perf_counter() - start < 10
    assert len(data.table) == 100_000
    assert data.table["sequence"].iloc[5] == seqs[5]
