"""What genoclass refuses: every bad input, option, model file and output location through
the CLI. Each case must exit 2 with exactly one stderr line that names the file, row or
option concerned, show no traceback, and leave no file behind (README: "What genoclass
refuses")."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import safetensors.numpy

from genoclass.cli import main
from genoclass.data.synthetic import demo_sequences
from genoclass.data.synthetic_expression import planted_marker_expression


@dataclass
class Ctx:
    """Shared inputs: tiny sequence and expression data and three trained runs."""

    root: Path
    seqs: Path
    expr: Path
    seq_run: Path
    forest_run: Path
    cnn_run: Path


def _train(argv: list[str]) -> None:
    assert main(["train", *argv]) == 0


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Ctx:
    root = tmp_path_factory.mktemp("refusals")
    seqs, expr = root / "seqs.csv", root / "expr.csv"
    demo_sequences(seed=1, n_per_class=30, length=40).drop(
        columns=["motif_start", "motif_end"]
    ).to_csv(seqs, index=False)
    matrix, labels, _ = planted_marker_expression(10, 30, 3, seed=1)
    matrix.assign(label=labels).to_csv(expr)
    _train(["--data", str(seqs), "--model", "kmer_nb", "--out", str(root / "seq_run")])
    forest = ["--data", str(expr), "--model", "random_forest", "--param", "n_estimators=5"]
    _train([*forest, "--out", str(root / "forest_run")])
    tiny = ["--param", "embed_dim=4", "--param", "channels=[4]", "--param", "hidden=4"]
    cnn = ["--data", str(seqs), "--model", "fast_accurate_cnn", *tiny, "--epochs", "1"]
    _train([*cnn, "--out", str(root / "cnn_run")])
    return Ctx(root, seqs, expr, root / "seq_run", root / "forest_run", root / "cnn_run")


@dataclass
class Env:
    """What a case may use: the shared inputs, its own empty folder and monkeypatch."""

    ctx: Ctx
    work: Path
    monkeypatch: pytest.MonkeyPatch

    def file(self, name: str, text: str) -> str:
        path = self.work / name
        path.write_text(text)
        return str(path)

    def run_copy(self, run: Path) -> Path:
        return Path(shutil.copytree(run, self.work / "run"))

    def train(self, *args: str) -> list[str]:
        """A train command on the sequence data with ``args`` (into work/out)."""
        return ["train", "--data", str(self.ctx.seqs), *args, "--out", str(self.work / "out")]

    def train_expr(self, *args: str) -> list[str]:
        return ["train", "--data", str(self.ctx.expr), *args, "--out", str(self.work / "out")]

    def predict(self, run: Path, data: Path | None = None) -> list[str]:
        data = data or self.ctx.seqs
        return [
            "predict",
            "--model",
            str(run),
            "--input",
            str(data),
            "--out",
            str(self.work / "p.csv"),
        ]


@dataclass
class Case:
    """One refusal: the command to run and the words its one error line must contain."""

    name: str
    command: Callable[[Env], list[str]]
    says: tuple[str, ...]


def _case(name: str, *says: str) -> Callable[[Callable[[Env], list[str]]], Case]:
    def wrap(command: Callable[[Env], list[str]]) -> Case:
        return Case(name, command, says)

    return wrap


# ---- options: types and ranges, checked before any work ---------------------------------
OPTION_CASES = [
    Case(f"{flag} {value}", lambda e, f=flag, v=value: e.train(f, v), (flag, said))
    for flag, value, said in [
        ("--epochs", "0", "[1, 100000]"),
        ("--epochs", "-3", "[1, 100000]"),
        ("--max-len", "0", "got 0"),
        ("--max-len", "-5", "got -5"),
        ("--window", "0", "got 0"),
        ("--window-stride", "-1", "got -1"),
        ("--patience", "-1", "[0, 100000]"),
        ("--lr", "-1", "got -1"),
        ("--lr", "0", "got 0"),
        ("--batch-size", "0", "[1, 1000000]"),
        ("--batch-size", "-4", "got -4"),
        ("--label-smoothing", "2", "[0, 1)"),
        ("--test-size", "1.5", "[0, 1)"),
        ("--val-size", "-0.1", "[0, 1)"),
        ("--seed", "-1", "[0, 4294967295]"),
        ("--split-seed", "-2", "got -2"),
        ("--cv", "1", "or 0 (off)"),
        ("--similarity", "2", "(0, 1]"),
        ("--kmer", "40", "[3, 16]"),
    ]
] + [
    Case(f"--param {p}", lambda e, p=p: e.train("--param", p), (said,))
    for p, said in [
        ("channels=abc", "--param channels must be a list of integers, each in [1, 4096]"),
        ("dropout=5", "--param dropout must be a number in [0, 1), got 5"),
        ("kernel_size=0", "--param kernel_size must be an integer in [1, 101], got 0"),
        ("hidden=10000000", "--param hidden must be an integer in [1, 65536]"),
        ("positional=maybe", "--param positional must be true or false"),
        ("nope=1", "unknown hyperparameter(s) ['nope']"),
        ("dropout", "--param takes NAME=VALUE"),
    ]
]


@_case("--model unknown", "unknown model 'nope'", "available:")
def _unknown_model(e: Env) -> list[str]:
    return e.train("--model", "nope")


@_case("--augment rate above 1", "augmentation rates must be in [0, 1]")
def _augment_rate(e: Env) -> list[str]:
    return e.train("--augment", "substitute=2")


@_case("--augment unknown name", "unknown augmentation(s) ['bogus']")
def _augment_name(e: Env) -> list[str]:
    return e.train("--augment", "bogus=0.1")


@_case("--augment not NAME=RATE", "--augment takes NAME=RATE")
def _augment_form(e: Env) -> list[str]:
    return e.train("--augment", "substitute")


@_case("--preprocess cpm,anova:0", "--preprocess", "'anova' needs an integer >= 1", "'0'")
def _anova_zero(e: Env) -> list[str]:
    return e.train_expr("--model", "logistic_regression", "--preprocess", "cpm,anova:0")


@_case("--preprocess unknown step", "--preprocess: unknown preprocessing step 'magic'")
def _unknown_step(e: Env) -> list[str]:
    return e.train_expr("--model", "logistic_regression", "--preprocess", "cpm,magic")


@_case("--preprocess argument to a step without one", "step 'cpm' takes no argument")
def _step_argument(e: Env) -> list[str]:
    return e.train_expr("--model", "logistic_regression", "--preprocess", "cpm:5")


@_case(
    "CPM on values with negatives", "cpm needs non-negative counts", "first: sample 's", "gene 'g"
)
def _cpm_on_negatives(e: Env) -> list[str]:
    frame = pd.read_csv(e.ctx.expr, index_col=0)
    genes = frame.columns != "label"
    frame.loc[:, genes] = np.log2(frame.loc[:, genes] + 1) - 5  # log ratios: some negative
    frame.to_csv(e.work / "ratios.csv")
    argv = e.train_expr("--model", "logistic_regression", "--preprocess", "log2cpm")
    argv[2] = str(e.work / "ratios.csv")
    return argv


@_case("a folder as an expression matrix", "is a folder; expected an expression matrix file")
def _matrix_folder(e: Env) -> list[str]:
    argv = e.train_expr("--model", "logistic_regression")
    argv[2] = str(e.work)
    return argv


@_case("--window with an expression model", "--window needs a neural sequence model")
def _window_expression(e: Env) -> list[str]:
    return e.train_expr("--model", "logistic_regression", "--window", "10")


@_case("--epochs not a number", "argument --epochs: invalid int value: 'abc'")
def _epochs_text(e: Env) -> list[str]:
    return e.train("--epochs", "abc")


@_case("unknown flag", "unrecognized arguments: --bogus")
def _unknown_flag(e: Env) -> list[str]:
    return e.train("--bogus")


@_case("--data missing", "--data is required")
def _no_data(e: Env) -> list[str]:
    return ["train", "--out", str(e.work / "out")]


@_case("--data does not exist", "--data: no such file or folder", "absent.csv")
def _data_absent(e: Env) -> list[str]:
    return ["train", "--data", str(e.work / "absent.csv"), "--out", str(e.work / "out")]


@_case("--test does not exist", "--test: no such file or folder", "absent.csv")
def _test_absent(e: Env) -> list[str]:
    return e.train("--test", str(e.work / "absent.csv"))


@_case("--out missing", "--out is required")
def _no_out(e: Env) -> list[str]:
    return ["train", "--data", str(e.ctx.seqs), "--model", "kmer_nb"]


@_case("compare --seeds 0", "at least one model and one seed")
def _compare_seeds(e: Env) -> list[str]:
    return ["compare", "--data", str(e.ctx.seqs), "--models", "kmer_nb", "--seeds", "0",
            "--out", str(e.work / "c")]  # fmt: skip


@_case("explain --max-examples 0", "--max-examples must be an integer in [1, 10000000]")
def _max_examples(e: Env) -> list[str]:
    return ["explain", "--model", str(e.ctx.seq_run), "--data", str(e.ctx.seqs),
            "--max-examples", "0", "--out", str(e.work / "x")]  # fmt: skip


@_case("tune --n-trials 0", "--n-trials must be an integer in [1, 1000000], got 0")
def _n_trials(e: Env) -> list[str]:
    space = e.file("space.yaml", "params:\n  C: [0.1, 1.0]\n")
    return ["tune", "--data", str(e.ctx.expr), "--model", "logistic_regression", "--space", space,
            "--strategy", "tpe", "--n-trials", "0", "--out", str(e.work / "t")]  # fmt: skip


# ---- configuration files ------------------------------------------------------------------
@_case("YAML epochs: lots", "cfg.yaml", "epochs must be an integer in [1, 100000], got 'lots'")
def _yaml_lots(e: Env) -> list[str]:
    return e.train("--config", e.file("cfg.yaml", "epochs: lots\n"))


@_case("YAML unknown setting", "cfg.yaml", "unknown setting(s) ['epoch']")
def _yaml_unknown(e: Env) -> list[str]:
    return e.train("--config", e.file("cfg.yaml", "epoch: 3\n"))


@_case("YAML syntax error", "cfg.yaml", "line 3, column 1", "not valid YAML")
def _yaml_syntax(e: Env) -> list[str]:
    return e.train("--config", e.file("cfg.yaml", "epochs: 3\nlr: [0.1\n"))


@_case("YAML not a mapping", "cfg.yaml", "config must be a mapping")
def _yaml_list(e: Env) -> list[str]:
    return e.train("--config", e.file("cfg.yaml", "- epochs\n- 3\n"))


@_case("--config does not exist", "cannot read config", "nope.yaml")
def _yaml_absent(e: Env) -> list[str]:
    return e.train("--config", str(e.work / "nope.yaml"))


@_case("tune space value out of range", "space.yaml", "dropout must be a number in [0, 1)")
def _space_value(e: Env) -> list[str]:
    space = e.file("space.yaml", "params:\n  dropout: [0.1, 5]\n")
    return ["tune", "--data", str(e.ctx.seqs), "--model", "fast_accurate_cnn", "--space", space,
            "--out", str(e.work / "t")]  # fmt: skip


@_case("tune space unknown name", "space.yaml", "'depth' is neither a hyperparameter")
def _space_name(e: Env) -> list[str]:
    space = e.file("space.yaml", "params:\n  depth: [1, 2]\n")
    return ["tune", "--data", str(e.ctx.expr), "--model", "logistic_regression", "--space", space,
            "--out", str(e.work / "t")]  # fmt: skip


@_case("compare variant with a bad value", "v.yaml", "variant 'fast': lr must be a number")
def _variant_value(e: Env) -> list[str]:
    variants = e.file("v.yaml", "fast:\n  model: kmer_nb\n  lr: lots\n")
    return ["compare", "--data", str(e.ctx.seqs), "--models", "fast", "--variants", variants,
            "--out", str(e.work / "c")]  # fmt: skip


# ---- data files ---------------------------------------------------------------------------
@_case("record id in --data and --test", "'dup'", "more than one input file", "row 1")
def _ids_across_files(e: Env) -> list[str]:
    data = e.file("a.csv", "id,sequence,label\ndup,ACGT,x\nb,ACGA,y\nc,ACGG,x\nd,ACTT,y\n")
    test = e.file("b.csv", "id,sequence,label\ndup,ACGT,x\nf,ACGA,y\n")
    return ["train", "--data", data, "--test", test, "--model", "kmer_nb",
            "--out", str(e.work / "out")]  # fmt: skip


@_case("a class with a single sample", "class 'rare' has a single sample", "id 'r7'", "row 7")
def _single_sample(e: Env) -> list[str]:
    rows = "".join(f"s{i},ACGTAC,{'x' if i % 2 else 'y'}\n" for i in range(1, 7))
    data = e.file("a.csv", f"id,sequence,label\n{rows}r7,ACGTTT,rare\n")
    return ["train", "--data", data, "--model", "kmer_nb", "--out", str(e.work / "out")]


@_case("a class only in --test", "class 'z' occurs only in the test split", "b.csv")
def _test_only_class(e: Env) -> list[str]:
    rows = "".join(f"s{i},ACGTAC,{'x' if i % 2 else 'y'}\n" for i in range(1, 21))
    data = e.file("a.csv", f"id,sequence,label\n{rows}")
    test = e.file("b.csv", "id,sequence,label\nt1,ACGTTT,x\nt2,ACGTTA,z\nt3,ACGTAA,z\n")
    return ["train", "--data", data, "--test", test, "--model", "kmer_nb",
            "--out", str(e.work / "out")]  # fmt: skip


@_case("duplicate gene names", "duplicate column name 'g2'", "columns 2 and 3", "m.csv")
def _duplicate_genes(e: Env) -> list[str]:
    rows = "".join(f"s{i},{i},{i + 1},{i + 2},{'A' if i % 2 else 'B'}\n" for i in range(8))
    data = e.file("m.csv", f"sample_id,g2,g2,g3,label\n{rows}")
    return ["train", "--data", data, "--model", "logistic_regression", "--out", str(e.work / "out")]


def _truncated_gz(e: Env, name: str, text: str) -> str:
    import gzip

    path = e.work / name
    path.write_bytes(gzip.compress(text.encode())[:-12])  # drop the gzip trailer and more
    return str(path)


@_case("truncated FASTA .gz", "seqs.fa.gz", "truncated or damaged compressed file")
def _truncated_fasta(e: Env) -> list[str]:
    records = "".join(f">r{i} label={'ab'[i % 2]}\nACGTACGTAC\n" for i in range(200))
    data = _truncated_gz(e, "seqs.fa.gz", records)
    return ["train", "--data", data, "--model", "kmer_nb", "--out", str(e.work / "out")]


@_case("truncated CSV .gz", "seqs.csv.gz", "truncated or damaged compressed file")
def _truncated_csv(e: Env) -> list[str]:
    rows = "".join(f"ACGTACGTAC,{'ab'[i % 2]}\n" for i in range(300))
    data = _truncated_gz(e, "seqs.csv.gz", f"sequence,label\n{rows}")
    return ["train", "--data", data, "--model", "kmer_nb", "--out", str(e.work / "out")]


@_case("truncated expression .csv.gz", "m.csv.gz", "truncated or damaged compressed file")
def _truncated_matrix(e: Env) -> list[str]:
    data = _truncated_gz(e, "m.csv.gz", e.ctx.expr.read_text())
    return ["train", "--data", data, "--model", "logistic_regression", "--out", str(e.work / "out")]


@_case("encrypted zip as expression data", "m.csv.zip", "unreadable zip archive", "encrypted")
def _encrypted_zip(e: Env) -> list[str]:
    path = e.work / "m.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("m.csv", e.ctx.expr.read_text())
    raw = bytearray(path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # mark it encrypted
        at = raw.index(signature)
        raw[at + flag_at] |= 1
    path.write_bytes(bytes(raw))
    return ["train", "--data", str(path), "--model", "logistic_regression",
            "--out", str(e.work / "out")]  # fmt: skip


@_case("empty label", "bad.csv", "row 2 (line 3)", "empty label")
def _empty_label(e: Env) -> list[str]:
    data = e.file("bad.csv", "sequence,label\nACGT,a\nACGA,\nACGG,b\n")
    return ["train", "--data", data, "--out", str(e.work / "out")]


@_case("unknown split value", "bad.csv", "row 2 (line 3)", "unknown split", "'later'")
def _bad_split(e: Env) -> list[str]:
    data = e.file("bad.csv", "sequence,label,split\nACGT,a,train\nACGA,b,later\n")
    return ["train", "--data", data, "--out", str(e.work / "out")]


@_case("invalid base in FASTA", "bad.fa", "record 3", "'!'")
def _bad_base(e: Env) -> list[str]:
    data = e.file("bad.fa", ">r1 label=a\nACGT\n>r2 label=b\nACGA\n>r3 label=a\nAC!T\n")
    return ["train", "--data", data, "--out", str(e.work / "out")]


@_case("non-numeric expression cell", "m.csv", "non-numeric value at sample 's1', gene 'g2'")
def _non_numeric(e: Env) -> list[str]:
    data = e.file("m.csv", "sample_id,g1,g2,label\ns0,1,2,A\ns1,3,lots,B\n")
    return ["train", "--data", data, "--model", "logistic_regression", "--out", str(e.work / "out")]


@_case("NaN expression cell", "m.csv", "missing value (NaN)", "--missing impute-median")
def _nan_cell(e: Env) -> list[str]:
    data = e.file("m.csv", "sample_id,g1,g2,label\ns0,1,2,A\ns1,3,,B\n")
    return ["train", "--data", data, "--model", "logistic_regression", "--out", str(e.work / "out")]


@_case("labels table missing samples", "missing from the labels table", "labels.csv")
def _labels_missing(e: Env) -> list[str]:
    matrix = pd.read_csv(e.ctx.expr, index_col=0).drop(columns="label")
    matrix.to_csv(e.work / "m.csv")
    labels = pd.DataFrame({"sample_id": matrix.index[:3], "label": ["A", "B", "C"]})
    labels.to_csv(e.work / "labels.csv", index=False)
    return ["train", "--data", str(e.work / "m.csv"), "--labels", str(e.work / "labels.csv"),
            "--model", "logistic_regression", "--out", str(e.work / "out")]  # fmt: skip


def _one_huge_record(e: Env) -> str:
    """100 short training sequences, a few for validation and test, and one of 1 Mb."""
    split = ["train"] * 100 + ["val", "test"] * 4
    rows = "".join(f"s{i},{'ACGT' * 10},{'ab'[i % 2]},{s}\n" for i, s in enumerate(split))
    return e.file("long.csv", f"id,sequence,label,split\n{rows}huge,{'ACGT' * 250_000},a,train\n")


@_case("1 Mb record for a fixed-width model", "gb_cnn", "per-batch limit", "--max-len", "'huge'")
def _huge_record(e: Env) -> list[str]:
    return ["train", "--data", _one_huge_record(e), "--model", "gb_cnn", "--out", str(e.work / "o")]


@_case("1 Mb record in a dynamic-width batch", "fast_accurate_cnn", "per-batch limit")
def _huge_dynamic(e: Env) -> list[str]:
    return ["train", "--data", _one_huge_record(e), "--out", str(e.work / "out")]


# ---- output locations -----------------------------------------------------------------
@_case("train into an existing run", "output directory exists", "--overwrite")
def _existing_out(e: Env) -> list[str]:
    return ["train", "--data", str(e.ctx.seqs), "--model", "kmer_nb", "--out", str(e.ctx.seq_run)]


@_case("evaluate --out into a missing folder", "--out: the folder does not exist", "m.json")
def _evaluate_missing_folder(e: Env) -> list[str]:
    return ["evaluate", "--model", str(e.ctx.seq_run), "--data", str(e.ctx.seqs),
            "--out", str(e.work / "nowhere" / "m.json")]  # fmt: skip


@_case("predict --out is a folder", "--out is a folder; give a file name")
def _predict_folder(e: Env) -> list[str]:
    (e.work / "folder").mkdir()
    return ["predict", "--model", str(e.ctx.seq_run), "--input", str(e.ctx.seqs),
            "--out", str(e.work / "folder")]  # fmt: skip


@_case("predict on a full disk", "p.csv", "cannot write: no space left on the device")
def _predict_full_disk(e: Env) -> list[str]:
    def no_space(self: pd.DataFrame, out: io.TextIOBase, *args: object, **kwargs: object) -> None:
        out.write("half a fi")  # a partial write into the open file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    e.monkeypatch.setattr(pd.DataFrame, "to_csv", no_space)
    return e.predict(e.ctx.seq_run)


@_case("evaluate --out on a full disk", "m.json", "cannot write: no space left on the device")
def _evaluate_full_disk(e: Env) -> list[str]:
    def no_space(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    e.monkeypatch.setattr(Path, "write_text", no_space)
    return ["evaluate", "--model", str(e.ctx.seq_run), "--data", str(e.ctx.seqs),
            "--out", str(e.work / "m.json")]  # fmt: skip


@_case("train on a full disk", "cannot write: no space left on the device", "weights.safetensors")
def _train_full_disk(e: Env) -> list[str]:
    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    e.monkeypatch.setattr(safetensors.numpy, "save_file", no_space)
    return ["train", "--data", str(e.ctx.seqs), "--model", "kmer_nb", "--out", str(e.work / "out")]


@_case("read-only output location", "cannot write")
def _read_only(e: Env) -> list[str]:
    out = Path("/sys/genoclass/run")  # root ignores folder permissions; /sys refuses it too
    if os.geteuid() != 0:
        (e.work / "ro").mkdir()
        (e.work / "ro").chmod(0o555)  # made writable again after the command
        out = e.work / "ro" / "run"
    elif not Path("/sys").is_dir():
        pytest.skip("no read-only location to try as root")
    return ["train", "--data", str(e.ctx.seqs), "--model", "kmer_nb", "--out", str(out)]


# ---- model files ------------------------------------------------------------------------
def _edit_card(run: Path, change: Callable[[dict], None]) -> None:
    path = run / "model" / "model.json"
    card = json.loads(path.read_text())
    change(card)
    path.write_text(json.dumps(card))


@_case("model.json not JSON", "model.json", "not valid JSON")
def _card_garbage(e: Env) -> list[str]:
    run = e.run_copy(e.ctx.seq_run)
    (run / "model" / "model.json").write_text("{not json")
    return e.predict(run)


def _predict_edited(e: Env, change: Callable[[dict], object]) -> list[str]:
    """predict with a copy of the CNN run whose model.json was changed by ``change``."""
    run = e.run_copy(e.ctx.cnn_run)
    _edit_card(run, change)
    return e.predict(run)


CARD_CASES = [
    Case(name, lambda e, change=change: _predict_edited(e, change), ("model.json", said))
    for name, change, said in [
        ("unknown architecture", lambda c: c.update(name="x9"), "unknown model 'x9'"),
        (
            "model.json hidden = 10^7",
            lambda c: c["hparams"].update(hidden=10**7),
            "hyperparameter hidden must be an integer in [1, 65536]",
        ),
        ("model.json missing key", lambda c: c.pop("classes"), "missing ['classes']"),
        ("model.json unknown key", lambda c: c.update(evil=1), "unknown ['evil']"),
        (
            "model.json one class",
            lambda c: c.update(classes=["a"]),
            "classes must be 2 or more distinct names",
        ),
        (
            "model.json input length disagrees",
            lambda c: c["input"].update(input_length=10**9),
            "does not match input_length",
        ),
        (
            "model.json window of size 0",
            lambda c: c["extra"].update(window={"size": 0, "stride": 1}),
            "window size must be an integer",
        ),
    ]
]


@_case("weights not safetensors", "weights.safetensors", "not a safetensors file")
def _weights_pickle(e: Env) -> list[str]:
    run = e.run_copy(e.ctx.cnn_run)
    (run / "model" / "weights.safetensors").write_bytes(b"\x80\x04\x95" + b"\x00" * 64)
    return e.predict(run)


@_case("weights of another shape", "weights.safetensors", "tensor shapes do not match")
def _weights_shape(e: Env) -> list[str]:
    run = e.run_copy(e.ctx.cnn_run)
    _edit_card(run, lambda c: c["hparams"].update(hidden=5))  # weights were saved with 4
    return e.predict(run)


@_case("weights missing a tensor", "weights.safetensors", "missing ['head.3.bias']")
def _weights_missing(e: Env) -> list[str]:
    run = e.run_copy(e.ctx.cnn_run)
    path = run / "model" / "weights.safetensors"
    tensors = safetensors.numpy.load_file(str(path))
    tensors.pop("head.3.bias")
    safetensors.numpy.save_file(tensors, str(path))
    return e.predict(run)


@_case("weights with an extra tensor", "weights.safetensors", "unexpected ['extra']")
def _weights_extra(e: Env) -> list[str]:
    run = e.run_copy(e.ctx.cnn_run)
    path = run / "model" / "weights.safetensors"
    tensors = safetensors.numpy.load_file(str(path))
    safetensors.numpy.save_file({**tensors, "extra": np.zeros(3, np.float32)}, str(path))
    return e.predict(run)


def _edit_forest(run: Path, change: Callable[[dict], None]) -> None:
    path = run / "model" / "weights.safetensors"
    arrays = safetensors.numpy.load_file(str(path))
    change(arrays)
    safetensors.numpy.save_file(arrays, str(path))


def _cycle(arrays: dict) -> None:
    """Point an inner node's left child back at its tree's root: a cycle."""
    inner = np.flatnonzero(arrays["left"] >= 0)
    arrays["left"][arrays["left"][inner[0]]] = arrays["roots"][0]
    arrays["right"][arrays["left"][inner[0]]] = arrays["roots"][0]


@_case("forest with a cycle", "weights.safetensors", "children must come after their parent")
def _forest_cycle(e: Env) -> list[str]:
    run = e.run_copy(e.ctx.forest_run)
    _edit_forest(run, _cycle)
    return e.predict(run, e.ctx.expr)


@_case("forest split on a missing feature", "weights.safetensors", "split feature out of range")
def _forest_feature(e: Env) -> list[str]:
    run = e.run_copy(e.ctx.forest_run)
    _edit_forest(run, lambda a: a["feature"].__setitem__(0, 10**6))
    return e.predict(run, e.ctx.expr)


@_case("run config.yaml with a bad value", "config.yaml", "epochs must be an integer")
def _run_config(e: Env) -> list[str]:
    run = e.run_copy(e.ctx.seq_run)
    text = (run / "config.yaml").read_text().replace("epochs: 10", "epochs: lots")
    (run / "config.yaml").write_text(text)
    return e.predict(run)


@_case("not a run directory", "not a genoclass run directory (no config.yaml)")
def _not_a_run(e: Env) -> list[str]:
    return e.predict(e.work)


REFUSALS: list[Case] = [
    *OPTION_CASES,
    *CARD_CASES,
    *(v for v in list(globals().values()) if isinstance(v, Case)),
]


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("case", REFUSALS, ids=[c.name for c in REFUSALS])
def test_refusal(case: Case, ctx: Ctx, tmp_path: Path, monkeypatch, capsys) -> None:
    env = Env(ctx, tmp_path, monkeypatch)
    argv = case.command(env)
    before, shared_before = _files(tmp_path), _files(ctx.root)
    try:
        code = main(argv)
    except SystemExit as exc:  # usage errors: argparse exits (2) after printing its line
        code = exc.code
    monkeypatch.undo()
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("genoclass: error: "), err
    assert "Traceback" not in err
    for words in case.says:
        assert words in lines[0], lines[0]
    if (tmp_path / "ro").exists():
        (tmp_path / "ro").chmod(0o755)
    assert _files(tmp_path) == before, "files left behind"
    assert _files(ctx.root) == shared_before, "files left behind in the shared runs"


def test_at_least_sixty_refusals() -> None:
    assert len(REFUSALS) >= 60


def test_debug_shows_the_traceback_also_after_the_subcommand(ctx: Ctx, tmp_path: Path) -> None:
    from genoclass.errors import InputError

    argv = ["train", "--data", str(ctx.seqs), "--epochs", "0", "--out", str(tmp_path / "o")]
    for debug_first in (True, False):
        with pytest.raises(InputError, match="--epochs"):
            main(["--debug", *argv] if debug_first else [*argv, "--debug"])


def test_second_train_into_a_locked_output_names_the_running_process(
    ctx: Ctx, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        argv = ["train", "--data", str(ctx.seqs), "--model", "kmer_nb", "--out", str(out)]
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert f"in use by another genoclass process (PID {holder.pid})" in err
        assert not out.exists() and not out.with_name("run.partial").exists()
    finally:
        holder.kill()
        holder.wait()


#: holds the output lock of argv[1] until killed
HOLD_LOCK = """
import sys, time
from genoclass.atomic import output_lock
with output_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(120)
"""

#: runs a CLI command after every module it needs is imported; reports its exit code, the
#: seconds it took and how much it raised the process's peak memory (RSS)
MEASURE = """
import json, resource, sys, time
import genoclass.cli, genoclass.workflows.apply, genoclass.models, torch
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
code = genoclass.cli.main(sys.argv[1:])
seconds = time.perf_counter() - start
extra_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"code": code, "seconds": seconds, "extra_mb": extra_kb / 1024}))
"""


@pytest.mark.parametrize("tamper", ["forest cycle", "hidden 10^7", "1.2 GB in bounds"])
def test_tampered_model_fails_fast_without_allocating(ctx: Ctx, tmp_path: Path, tamper) -> None:
    env = Env(ctx, tmp_path, pytest.MonkeyPatch())
    if tamper == "forest cycle":
        run = env.run_copy(ctx.forest_run)
        _edit_forest(run, _cycle)
        argv = env.predict(run, ctx.expr)
    else:
        run = env.run_copy(ctx.cnn_run)
        change: dict = {"hidden": 10**7}
        if tamper == "1.2 GB in bounds":  # parameters that the saved weights do not match
            change = {"embed_dim": 4096, "channels": [4096], "hidden": 65536}
        _edit_card(run, lambda c: c["hparams"].update(change))
        argv = env.predict(run)
    child = subprocess.run(
        [sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, timeout=120
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["code"] == 2 and len(child.stderr.strip().splitlines()) == 1, child.stderr
    assert result["seconds"] < 2.0
    # a naive load would allocate 10^7 x 128 floats (5 GB), or loop for ever
    assert result["extra_mb"] < 200


def test_interrupt_signals_exit_130_143_with_one_resumable_line(ctx: Ctx, tmp_path: Path) -> None:
    for signum, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        out = tmp_path / f"run{signum}"
        tiny = ["--param", "embed_dim=4", "--param", "channels=[4]", "--epochs", "500"]
        # batch 8: enough steps per epoch that no warning precedes the interruption's line
        argv = ["train", "--data", str(ctx.seqs), *tiny, "--batch-size", "8", "--out", str(out)]
        child = subprocess.Popen(
            [sys.executable, "-m", "genoclass.cli", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ckpt = out.with_name(out.name + ".partial") / "checkpoints" / "last.ckpt"
        deadline = time.monotonic() + 120
        while not ckpt.exists() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.2)
        child.send_signal(signum)
        _, err = child.communicate(timeout=60)
        assert child.returncode == code, err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert f"interrupted by {signal.Signals(signum).name}" in lines[0]
        assert "can be resumed with: genoclass train" in lines[0]
        assert lines[0].endswith(f"--out {out} --resume")
        assert ckpt.exists() and not out.exists()
