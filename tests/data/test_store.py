"""The packed store: round trips, batches equal to the in-memory encoding, windows, hashes,
duplicate groups and leakage counts, and every kind of damaged store as an InputError."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from genoclass.cli import main
from genoclass.data.leakage import cross_split_duplicates, duplicate_groups
from genoclass.data.loaders import encode_sequences, make_loader
from genoclass.data.pack import pack_sequences
from genoclass.data.store import (
    SequenceStore,
    store_cross_split_duplicates,
    store_duplicate_groups,
)
from genoclass.errors import InputError
from genoclass.io.sequences import read_sequences
from genoclass.sequence.augment import Augmenter
from genoclass.sequence.windows import window_starts


def random_table(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """Sequences of varied length with lower case and IUPAC codes, labels and splits."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGTACGTACGTacgtNRY"))
    seqs = ["".join(rng.choice(letters, size=int(rng.integers(5, 60)))) for _ in range(n)]
    return pd.DataFrame(
        {
            "id": [f"q{i}" for i in range(n)],
            "sequence": seqs,
            "label": rng.choice(["enhancer", "promoter", "other"], size=n),
            "split": rng.choice(["train", "val", "test"], size=n),
        }
    )


def write(table: pd.DataFrame, path) -> None:
    if path.suffix == ".parquet":
        table.to_parquet(path)
    elif path.suffix == ".csv":
        table.to_csv(path, index=False)
    else:  # FASTA, no split
        records = [f">{r.id} label={r.label}\n{r.sequence}\n" for r in table.itertuples()]
        path.write_text("".join(records))


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".fa"])
def test_round_trip_rows_and_batches_equal_in_memory_encoding(tmp_path, suffix):
    source = tmp_path / f"data{suffix}"
    write(random_table(), source)
    result = pack_sequences(source, tmp_path / "store", chunk_bytes=200)
    expected = read_sequences(source).table
    store = SequenceStore(tmp_path / "store")
    rows = np.arange(len(store))
    assert result.rows == len(store) == len(expected)
    assert store.sequences(rows) == expected["sequence"].tolist()
    assert store.ids(rows) == expected["id"].tolist()
    assert store.classes == sorted(expected["label"].unique())
    assert [store.classes[c] for c in store.y()] == expected["label"].tolist()
    assert store.table()["split"].tolist() == expected["split"].tolist()
    assert store.table()["source_row"].tolist() == expected["source_row"].tolist()
    y = store.y()
    batch_rows = [5, 0, 17, 3, 99]
    for kind in ("tokens", "onehot"):
        for crop in ("left", "right", "center"):
            for max_len, fixed in ((None, None), (20, None), (20, 20), (80, 80)):
                options = dict(input_kind=kind, max_len=max_len, crop=crop, fixed_width=fixed)
                memory = encode_sequences(expected["sequence"].tolist(), y, **options)
                packed = store.features(y=y, **options)
                got, want = packed.batch(batch_rows), memory.batch(batch_rows)
                assert got.keys() == want.keys()
                for key in want:
                    assert torch.equal(got[key], want[key]), (kind, crop, max_len, key)


def test_batches_of_a_subset_with_augmentation_equal_in_memory(tmp_path):
    source = tmp_path / "data.csv"
    table = random_table()
    write(table, source)
    pack_sequences(source, tmp_path / "store")
    store = SequenceStore(tmp_path / "store")
    subset = np.flatnonzero(store.table()["split"].to_numpy() == "train")
    seqs = read_sequences(source).table["sequence"].to_numpy()[subset].tolist()
    augment = Augmenter(substitute=0.1, insert=0.05, delete=0.05, rc=0.5)
    plain = encode_sequences(seqs, None, input_kind="tokens", max_len=40)
    memory = dataclasses.replace(plain, augment=augment, seed=3)
    packed = store.features(subset, input_kind="tokens", max_len=40, augment=augment, seed=3)
    assert len(packed) == len(subset)
    for rows in ([0, 1, 2], [7, 3, 11, 4]):
        got, want = packed.batch(rows), memory.batch(rows)
        assert torch.equal(got["x"], want["x"]) and torch.equal(got["lengths"], want["lengths"])
    assert not torch.equal(memory.batch([0, 1, 2])["x"], plain.batch([0, 1, 2])["x"])
    loader = make_loader(packed, 16, shuffle=True, seed=0)
    assert sum(len(b["x"]) for b in loader) == len(subset)


def test_windows_of_a_long_record_streamed_in_pieces(tmp_path):
    rng = np.random.default_rng(1)
    genome = "".join(rng.choice(list("ACGTN"), size=5000))
    short = "ACGTACG"
    source = tmp_path / "genome.fa"
    lines = "\n".join(genome[i : i + 60] for i in range(0, len(genome), 60))
    source.write_text(f">chr1 label=g\n{lines}\n>tiny label=g\n{short}\n")
    for size, stride, chunk in ((100, 100, 97), (100, 37, 1000), (256, 300, 64), (7, 1, 500)):
        pack_sequences(
            source, tmp_path / "w", window=size, stride=stride, chunk_bytes=chunk, overwrite=True
        )
        store = SequenceStore(tmp_path / "w")
        rows = np.arange(len(store))
        expected_seqs, expected_ids = [], []
        for name, seq in (("chr1", genome), ("tiny", short)):
            _, starts = window_starts(np.array([len(seq)]), size, stride)
            for s in starts:
                window = seq[s : s + size]
                expected_seqs.append(window)
                expected_ids.append(f"{name}:{s + 1}-{s + len(window)}")
        assert store.sequences(rows) == expected_seqs, (size, stride, chunk)
        assert store.ids(rows) == expected_ids
        assert store.manifest["windows"] == {"size": size, "stride": stride}
        assert store.manifest["cleaning"]["n_sequences"] == 2


def test_n_rich_windows_are_dropped_and_counted(tmp_path):
    source = tmp_path / "g.fa"
    source.write_text(">c\n" + "ACGT" * 5 + "N" * 20 + "ACGT" * 5 + "\n")
    result = pack_sequences(source, tmp_path / "s", window=10, max_n=0.5)
    store = SequenceStore(tmp_path / "s")
    assert result.filtered == {"over_max_n": 2}
    assert store.ids(range(len(store))) == ["c:1-10", "c:11-20", "c:41-50", "c:51-60"]
    assert store.manifest["filtered"] == {"over_max_n": 2}


def test_hashes_duplicate_groups_and_leakage_equal_the_string_functions(tmp_path):
    rows = [
        ("AAAC", "train"),
        ("GGGA", "train"),
        ("AAAC", "train"),
        ("AAAC", "val"),
        ("TCCC", "val"),  # reverse complement of GGGA
        ("AAAC", "test"),
        ("GTTT", "test"),  # reverse complement of AAAC
        ("CCCC", "test"),
        ("CCCC", "test"),
        ("ACGT", "test"),  # its own reverse complement
    ]
    table = pd.DataFrame(rows, columns=["sequence", "split"]).assign(label="x")
    table = pd.concat([table, random_table(60, seed=2)[["sequence", "split", "label"]]])
    table["sequence"] = table["sequence"].str.upper()
    source = tmp_path / "dups.csv"
    table.to_csv(source, index=False)
    pack_sequences(source, tmp_path / "store")
    store = SequenceStore(tmp_path / "store")
    sequences = table["sequence"].tolist()
    assert store.hashes[0, 0] == int.from_bytes(
        hashlib.blake2b(b"AAAC", digest_size=8).digest(), "little"
    )
    assert store.hashes[0, 1] == store.hashes[6, 0]  # rc(AAAC) is GTTT
    for include_rc in (False, True):
        expected = duplicate_groups(sequences, include_rc=include_rc)
        assert store_duplicate_groups(store, include_rc).tolist() == expected.tolist()
    assert store_cross_split_duplicates(store) == cross_split_duplicates(table)
    no_split = np.array([None] * len(table), dtype=object)
    assert store_cross_split_duplicates(store, no_split) == cross_split_duplicates(
        table.assign(split=None)
    )


@pytest.fixture
def packed(tmp_path):
    source = tmp_path / "data.csv"
    write(random_table(), source)
    pack_sequences(source, tmp_path / "store")
    return tmp_path / "store"


def one_line_error(store, **options) -> str:
    with pytest.raises(InputError) as info:
        SequenceStore(store, **options)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_truncated_or_extended_files_are_named(packed):
    tokens = packed / "tokens.u8"
    data = tokens.read_bytes()
    tokens.write_bytes(data[:-10])
    assert one_line_error(packed).startswith(f"{tokens}: truncated: ")
    tokens.write_bytes(data + b"\x01")
    assert "longer than the manifest says" in one_line_error(packed)
    tokens.unlink()
    assert one_line_error(packed) == f"{tokens}: store file missing"


def test_edited_small_arrays_fail_their_checksum(packed):
    offsets = packed / "offsets.i64"
    values = np.fromfile(offsets, dtype="<i8")
    values[5] += 1  # still increasing: only the checksum can tell
    values.tofile(offsets)
    message = one_line_error(packed)
    assert message.startswith(f"{offsets}: contents differ from the manifest's checksum")
    SequenceStore(packed, verify="sizes")  # opening without checks works...
    values[0] = 3
    values.tofile(offsets)
    assert "first/last offset" in one_line_error(packed, verify="sizes")  # ...but not this


def test_edited_tokens_caught_by_batches_and_full_verify(packed):
    tokens = packed / "tokens.u8"
    data = bytearray(tokens.read_bytes())
    data[3] = 2 if data[3] != 2 else 3  # another valid base: only the full checksum sees it
    tokens.write_bytes(bytes(data))
    store = SequenceStore(packed)
    assert one_line_error(packed, verify="full").startswith(f"{tokens}: contents differ")
    data[3] = 9
    tokens.write_bytes(bytes(data))
    with pytest.raises(InputError, match=rf"{tokens}: row 0: token ids outside 1-5"):
        SequenceStore(packed).features().batch([1, 0])
    assert len(pickle.dumps(store)) < 10_000  # workers reopen by path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: "{not json", "manifest.json: not valid JSON"),
        (lambda m: {**m, "version": 99}, "store format version 99"),
        (lambda m: {**m, "format": "other"}, "not a genoclass-sequence-store manifest"),
        (lambda m: {**m, "n_sequences": m["n_sequences"] + 1}, "wrong shape"),
        (lambda m: {**m, "n_residues": "many"}, "'n_residues' must be a non-negative integer"),
        (lambda m: {**m, "classes": ["a"]}, "labels.i32: label codes outside -1..0"),
    ],
)
def test_wrong_manifest_is_an_input_error(packed, edit, message):
    manifest = packed / "manifest.json"
    edited = edit(json.loads(manifest.read_text()))
    manifest.write_text(edited if isinstance(edited, str) else json.dumps(edited))
    assert message in one_line_error(packed)


def test_missing_manifest_or_folder(tmp_path):
    assert "manifest.json missing" in one_line_error(tmp_path)
    assert "no such store folder" in one_line_error(tmp_path / "absent")


def test_bad_row_while_packing_leaves_no_store(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("sequence,label\n" + "ACGT,0\n" * 3000 + "AC!T,1\n")
    with pytest.raises(InputError) as info:
        pack_sequences(source, tmp_path / "store", chunk_bytes=1000)
    assert str(info.value) == f"{source}: row 3001: invalid character in sequence " + (
        "(allowed: A C G T N and IUPAC codes): '!'"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_existing_targets_are_protected(tmp_path, packed):
    source = tmp_path / "data.csv"
    with pytest.raises(InputError, match="store exists"):
        pack_sequences(source, packed)
    other = tmp_path / "results"
    other.mkdir()
    with pytest.raises(InputError, match="is not a sequence store"):
        pack_sequences(source, other, overwrite=True)
    before = SequenceStore(packed).manifest["created"]
    pack_sequences(source, packed, overwrite=True, window=10)
    assert SequenceStore(packed).manifest["windows"] == {"size": 10, "stride": 10}
    assert before and not any(".old-" in p.name for p in tmp_path.iterdir())


def test_cli_pack_prints_counts_and_bad_input_exits_2(tmp_path, capsys):
    source = tmp_path / "seqs.fa"
    source.write_text(">a label=x\nACGTn\n>b label=y\nGGRA\n")
    assert main(["data", "pack", str(source), "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "packed 2 sequences (9 bases)" in out and "MB/s" in out
    assert "1 of 2 source sequences upper-cased, 1 with IUPAC codes set to N" in out
    assert "filtered: none" in out
    source.write_text(">a label=x\nACGT\n>b label=y\n\n")
    assert main(["data", "pack", str(source), "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"genoclass: error: {source}: record 2: empty sequence"
    assert main(["data", "pack", str(source), "--out", "x", "--stride", "3"]) == 2
