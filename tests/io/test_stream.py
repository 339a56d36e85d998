"""Streaming readers: chunk by chunk, the rows, cleaning and errors of the whole-file readers."""

from __future__ import annotations

import gzip
import re

import numpy as np
import pandas as pd
import pytest

from genoclass.errors import InputError
from genoclass.io.sequences import read_sequences
from genoclass.io.stream import SequenceStream

FASTA = "\n\n>s1 label=pos\nACGT\nacgt\n>s2 some text class=neg\nACRY\n>\nNN AC\n"
COLUMNS = ["id", "sequence", "label", "split", "source_row"]


def streamed(path, **options) -> tuple[pd.DataFrame, SequenceStream]:
    """Every row of a stream as a table like read_sequences' (pieces joined)."""
    stream = SequenceStream(path, **options)
    rows: list[list] = []
    for chunk in stream:
        for i in range(len(chunk)):
            text = chunk.residues[chunk.offsets[i] : chunk.offsets[i + 1]].tobytes().decode()
            if i == 0 and chunk.continues:
                rows[-1][1] += text
                continue
            rows.append([chunk.ids[i], text, chunk.labels[i], chunk.splits[i], chunk.numbers[i]])
    return pd.DataFrame(rows, columns=COLUMNS), stream


def assert_same_as_reader(path, **options) -> SequenceStream:
    expected = read_sequences(path, labels_required=False)
    table, stream = streamed(path, **options)
    pd.testing.assert_frame_equal(table, expected.table, check_dtype=False)
    assert stream.report.cleaning.as_dict() == expected.cleaning
    return stream


@pytest.mark.parametrize("chunk_bytes", [1, 2, 7, 64, 1 << 20])
@pytest.mark.parametrize("whole_records", [True, False])
def test_fasta_chunks_equal_the_whole_file_reader(tmp_path, chunk_bytes, whole_records):
    path = tmp_path / "seqs.fa.gz"
    path.write_bytes(gzip.compress(FASTA.replace("\n", "\r\n").encode()))
    stream = assert_same_as_reader(path, chunk_bytes=chunk_bytes, whole_records=whole_records)
    assert stream.report.cleaning.as_dict() == {
        "n_sequences": 3,
        "lowercase_uppercased": 1,
        "ambiguous_to_N": 1,
    }
    assert stream.report.bytes_read == path.stat().st_size
    assert len(stream.report.files[0]["sha256"]) == 64


def test_random_fasta_any_chunking_same_records(tmp_path):
    rng = np.random.default_rng(0)
    records = []
    for n in range(40):
        seq = "".join(rng.choice(list("ACGTacgtN"), size=int(rng.integers(1, 300))))
        width = int(rng.integers(5, 80))
        lines = "\n".join(seq[i : i + width] for i in range(0, len(seq), width))
        records.append(f">r{n} label={n % 3}\n{lines}\n" + "\n" * int(rng.integers(0, 2)))
    path = tmp_path / "random.fa"
    path.write_text("".join(records))
    for chunk_bytes in (3, 50, 333):
        for whole in (True, False):
            stream = assert_same_as_reader(path, chunk_bytes=chunk_bytes, whole_records=whole)
            chunks = list(SequenceStream(path, chunk_bytes=chunk_bytes, whole_records=whole))
            if whole:  # whole records never span chunks
                assert not any(c.continues or c.open for c in chunks)
            else:  # pieces are bounded by the chunk size
                assert max(c.lengths.max() for c in chunks) <= chunk_bytes + 1
    assert stream.report.cleaning.n_sequences == 40


@pytest.mark.parametrize("chunk_bytes", [40, 1 << 20])
def test_csv_tsv_parquet_equal_the_whole_file_reader(tmp_path, chunk_bytes):
    csv = tmp_path / "data.csv.gz"
    body = "\ufeff id ,sequence,label,split\r\nx, acgt ,0,train\r\n,GGRN,1,dev\r\nz,T,1.0,TEST\r\n"
    csv.write_bytes(gzip.compress(body.encode()))
    assert_same_as_reader(csv, chunk_bytes=chunk_bytes)
    single = tmp_path / "to_predict.tsv"
    single.write_text("sequence\nACGT\nGGCA\n")
    assert_same_as_reader(single, chunk_bytes=chunk_bytes)
    tsv = tmp_path / "human_data.txt"
    tsv.write_bytes(b"sequence\tclass\r\nATGCCC\t4\r\nATGAAN\t0\r\n")
    assert_same_as_reader(tsv, chunk_bytes=chunk_bytes)
    parquet = tmp_path / "data.parquet"
    frame = pd.DataFrame(
        {"sequence": ["ACGT", " ggtt", "N"], "label": [0.0, 1.0, None], "id": ["a", None, "c"]}
    )
    frame.to_parquet(parquet)
    table, _ = streamed(parquet, chunk_bytes=1)
    assert table["id"].tolist() == ["a", "data_2", "c"]
    assert table["label"].tolist() == ["0", "1", None]
    assert_same_as_reader(parquet, chunk_bytes=chunk_bytes)
    frame.assign(sequence=["ACGT", "GG", None]).to_parquet(parquet)
    with pytest.raises(InputError, match=r"data\.parquet: row 3: empty sequence"):
        read_sequences(parquet, labels_required=False)
    with pytest.raises(InputError, match=r"data\.parquet: row 3: empty sequence"):
        streamed(parquet, chunk_bytes=1)


def test_folder_layouts_stream_file_by_file(tmp_path):
    fasta_dir = tmp_path / "classes"
    fasta_dir.mkdir()
    (fasta_dir / "promoter.fa").write_text(">p1\nACGT\n>p2\nTTTT\n")
    (fasta_dir / "background.fasta").write_text(">b1 label=ignored\nGGGG\n")
    assert_same_as_reader(fasta_dir)
    gue = tmp_path / "gue"
    gue.mkdir()
    for name in ("train", "dev", "test"):
        (gue / f"{name}.csv").write_text(f"sequence,label\nACGT,{name}\n")
    table, stream = streamed(gue)
    assert table["split"].tolist() == ["train", "val", "test"]
    assert stream.report.format == "gue" and len(stream.report.files) == 3


def errors_of(path, **options) -> tuple[str, str]:
    """The messages of the whole-file reader and of the stream on the same bad file."""
    with pytest.raises(InputError) as whole:
        read_sequences(path, **options)
    with pytest.raises(InputError) as streaming:
        streamed(path, labels_required=options.pop("labels_required", True), chunk_bytes=64)
    return str(whole.value), str(streaming.value)


FASTA_ROWS = ">a label=1\nACGT\n" * 20
CSV_ROWS = "sequence,label\n" + "ACGT,0\n" * 30


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("bad.fa", FASTA_ROWS + ">c label=1\nAC!GT\n", r"bad\.fa: record 21: invalid .*'!'"),
        ("bad.fa", FASTA_ROWS + ">b label=1\n>c label=0\nAC\n", r"record 21: empty sequence"),
        ("bad.fa", FASTA_ROWS + ">b\nGGCC\n", r"record 21: missing label"),
        ("bad.fa", "\n\nACGT\n>a\nAC\n", r"line 3: not FASTA"),
        ("bad.fa", "\n \n", r"no FASTA records in file"),
        ("bad.fa", ">a label=1\nACGT\n>b label=1\nACéT\n", r"record 2: invalid .*'é'"),
        ("bad.csv", CSV_ROWS + "GGCC,\n", r"row 31 \(line 32\): empty label"),
        ("bad.csv", CSV_ROWS + "AC GT,1\n", r"row 31: invalid character.*' '"),
        ("bad.csv", "sequence,label,split\nA,0,train\nC,1,dev2\n", r"row 2 \(line 3\): unknown"),
        ("bad.csv", "seq,target\nACGT,0\n", r"no sequence column 'sequence'; available columns"),
    ],
)
def test_errors_are_the_whole_file_readers(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    whole, streaming = errors_of(path)
    assert whole == streaming
    assert re.search(message, streaming)


def test_malformed_csv_row_is_named(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("sequence,label\n" + "ACGT,0\n" * 50 + "ACGT,0,extra\n")
    with pytest.raises(InputError, match=r"ragged\.csv: row 51 \(line 52\): expected 2 fields"):
        streamed(path, chunk_bytes=64)


def test_gb_folders_are_not_streamed(tmp_path):
    for split in ("train", "test"):
        (tmp_path / split / "pos").mkdir(parents=True)
    with pytest.raises(InputError, match="format 'gb' cannot be streamed"):
        SequenceStream(tmp_path)
