"""FASTA reading: headers, labels, multi-line records, gzip, CRLF, per-class files, errors."""

from __future__ import annotations

import gzip

import pytest

from genoclass.errors import InputError, InputWarning
from genoclass.io.sequences import read_sequences

FASTA = ">s1 label=pos\nACGT\nacgt\n>s2 some text class=neg\nACRY\n>s3|label=pos\nNNAC\n"


def test_reads_ids_labels_and_multiline_records(tmp_path):
    path = tmp_path / "seqs.fa"
    path.write_text(FASTA)
    data = read_sequences(path)
    table = data.table
    assert data.format == "fasta"
    assert list(table.columns) == ["id", "sequence", "label", "split", "source_row"]
    assert table["id"].tolist() == ["s1", "s2", "s3|label=pos"]
    assert table["sequence"].tolist() == ["ACGTACGT", "ACNN", "NNAC"]
    assert table["label"].tolist() == ["pos", "neg", "pos"]
    assert table["split"].isna().all()
    assert table["source_row"].tolist() == [1, 2, 3]
    assert data.cleaning == {"n_sequences": 3, "lowercase_uppercased": 1, "ambiguous_to_N": 1}
    assert data.classes == ["neg", "pos"]


def test_gzip_and_crlf_are_detected(tmp_path):
    path = tmp_path / "seqs.fasta.gz"
    path.write_bytes(gzip.compress(FASTA.replace("\n", "\r\n").encode()))
    data = read_sequences(path)
    assert data.format == "fasta"
    assert data.table["sequence"].tolist() == ["ACGTACGT", "ACNN", "NNAC"]
    assert data.table["label"].tolist() == ["pos", "neg", "pos"]


def test_content_sniffing_finds_fasta_without_extension(tmp_path):
    path = tmp_path / "seqs.txt"
    path.write_text("\n" + FASTA)
    assert read_sequences(path).format == "fasta"


def test_invalid_character_names_file_record_and_character(tmp_path):
    path = tmp_path / "bad.fa"
    path.write_text(">a label=1\nACGT\n>b label=0\nGGCC\n>c label=1\nAC!GT\n")
    with pytest.raises(InputError) as info:
        read_sequences(path)
    message = str(info.value)
    assert "bad.fa" in message and "record 3" in message and "'!'" in message


def test_missing_label_names_record(tmp_path):
    path = tmp_path / "nolabel.fa"
    path.write_text(">a label=1\nACGT\n>b\nGGCC\n")
    with pytest.raises(InputError, match="record 2: missing label"):
        read_sequences(path)


def test_labels_optional(tmp_path):
    path = tmp_path / "nolabel.fa"
    path.write_text(">a\nACGT\n>\nGGCC\n")
    table = read_sequences(path, labels_required=False).table
    assert table["label"].tolist() == [None, None]
    assert table["id"].tolist() == ["a", "nolabel_2"]


def test_empty_record_and_non_fasta_are_errors(tmp_path):
    empty = tmp_path / "empty.fa"
    empty.write_text(">a label=1\nACGT\n>b label=1\n>c label=0\nAC\n")
    with pytest.raises(InputError, match="record 2: empty sequence"):
        read_sequences(empty)
    wrong = tmp_path / "wrong.fa"
    wrong.write_text("ACGT\n>a\nAC\n")
    with pytest.raises(InputError, match="line 1: not FASTA"):
        read_sequences(wrong)


def test_one_file_per_class_folder_and_list(tmp_path):
    (tmp_path / "promoter.fa").write_text(">p1\nACGT\n>p2\nTTTT\n")
    (tmp_path / "background.fasta").write_text(">b1 label=ignored\nGGGG\n")
    (tmp_path / "notes.md").write_text("not a sequence file")
    data = read_sequences(tmp_path)
    assert data.format == "fasta-dir"
    assert data.table["label"].tolist() == ["background", "promoter", "promoter"]
    assert data.table["source_row"].tolist() == [1, 1, 2]
    listed = read_sequences([tmp_path / "promoter.fa", tmp_path / "background.fasta"])
    assert listed.format == "fasta-dir"
    assert listed.table["label"].tolist() == ["promoter", "promoter", "background"]


def test_error_in_class_file_names_that_file(tmp_path):
    (tmp_path / "a.fa").write_text(">x\nACGT\n")
    (tmp_path / "b.fa").write_text(">y\nACGT\n>z\nAC-GT\n")
    with pytest.raises(InputError, match=r"b\.fa: record 2: invalid character.*'-'"):
        read_sequences(tmp_path)


def test_repeated_ids_are_made_unique_with_one_warning(tmp_path):
    """Two promoters of one gene share a name: kept, renamed x~2, counted, warned once."""
    path = tmp_path / "prom.fa"
    path.write_text(
        ">abrB label=p\nACGT\n>citG label=p\nACGA\n>abrB label=p\nACGG\n>abrB label=p\nAC\n"
    )
    with pytest.warns(InputWarning, match=r"2 repeated record id\(s\).*'abrB' again at .*prom.fa"):
        data = read_sequences(path)
    assert data.table["id"].tolist() == ["abrB", "citG", "abrB~2", "abrB~3"]
    assert data.cleaning["duplicate_ids_renamed"] == 2
