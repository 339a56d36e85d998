"""Leakage between a pretraining corpus and a target task: sequences found on either
strand inside corpus records, dropped by `pretrain --exclude`, counted by `train --init`."""

from __future__ import annotations

import json
import shlex

import numpy as np
import pandas as pd

from genoclass.cli import main
from genoclass.data.leakage import SubstringIndex, reverse_complement
from genoclass.sequence.encoding import tokenize
from genoclass.training.pretrain import corpus_occurrences

SMALL = "--param channels=[16,32] --param embed_dim=16"


def random_dna(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("ACGT"), n))


def test_sequences_inside_records_on_either_strand_are_found_and_no_others(tmp_path):
    rng = np.random.default_rng(0)
    targets = [random_dna(rng, 30) for _ in range(6)] + [random_dna(rng, 45)]
    records = [random_dna(rng, 3000) for _ in range(3)]
    # target 0 inside record 0, target 1 reverse-complemented inside record 2 near its end,
    # target 6 (45 nt) across the middle of record 1; the others occur nowhere
    records[0] = records[0][:700] + targets[0] + records[0][700:]
    records[2] = records[2][:2980] + reverse_complement(targets[1]) + records[2][2980:]
    records[1] = records[1][:1500] + targets[6] + records[1][1500:]
    targets[5] = targets[0][:20] + random_dna(rng, 10)  # shares 20 bases only
    (tmp_path / "corpus.fa").write_text("".join(f">r{i}\n{r}\n" for i, r in enumerate(records)))
    found = corpus_occurrences([str(tmp_path / "corpus.fa")], targets)
    assert np.flatnonzero(found).tolist() == [0, 1, 6]
    rows, lengths = tokenize(
        ["TT" + targets[3] + "GG", targets[4][:-1], reverse_complement(targets[4])]
    )
    hit, ids = SubstringIndex(targets).search(rows, lengths)
    assert hit.tolist() == [True, False, True] and ids.tolist() == [3, 4]


def test_pretrain_exclude_drops_windows_and_init_counts_leaked_target_rows(tmp_path, capsys):
    rng = np.random.default_rng(1)
    corpus = [random_dna(rng, 60) for _ in range(300)]
    target = pd.DataFrame(
        {
            "sequence": [random_dna(rng, 60) for _ in range(120)],
            "label": ["a", "b"] * 60,
            "split": ["train"] * 80 + ["val"] * 20 + ["test"] * 20,
        }
    )
    leaked_test = target.index[target["split"] == "test"][:3]  # 3 test rows in the corpus
    leaked_val = target.index[target["split"] == "val"][:2]  # 2 val rows, one reversed
    corpus[:3] = target.loc[leaked_test, "sequence"].tolist()
    corpus[3] = target.loc[leaked_val[0], "sequence"]
    corpus[4] = reverse_complement(target.loc[leaked_val[1], "sequence"])
    pd.DataFrame({"sequence": corpus}).to_csv(tmp_path / "corpus.csv", index=False)
    target.to_csv(tmp_path / "target.csv", index=False)
    held_out = target[target["split"] != "train"]
    held_out.to_csv(tmp_path / "held_out.csv", index=False)
    base = f"pretrain --data {tmp_path / 'corpus.csv'} --window 60 --stride 60 --epochs 1 {SMALL}"
    assert main(shlex.split(f"{base} --out {tmp_path / 'open'}")) == 0
    exclude = f"--exclude {tmp_path / 'held_out.csv'}"
    assert main(shlex.split(f"{base} {exclude} --out {tmp_path / 'clean'}")) == 0
    printed = capsys.readouterr().out
    assert (
        "exclude: 5 of 40 excluded sequences occur in the corpus; 5 of 300 windows dropped"
        in printed
    )
    recorded = json.loads((tmp_path / "clean" / "metrics.json").read_text())["exclude"]
    assert recorded == {
        "files": [str(tmp_path / "held_out.csv")],
        "sequences": 40,
        "found_in_corpus": 5,
        "windows_dropped": 5,
        "windows": 300,
    }
    train = f"train --data {tmp_path / 'target.csv'} --epochs 1 --batch-size 16 --init"
    assert main(shlex.split(f"{train} {tmp_path / 'open'} --out {tmp_path / 'run'}")) == 0
    assert (
        "init corpus leakage: 2 of 20 validation and 3 of 20 test sequences occur in its "
        "pretraining corpus (either strand)" in capsys.readouterr().out
    )
    leakage = json.loads((tmp_path / "run" / "metrics.json").read_text())["init"]["corpus_leakage"]
    assert leakage["val"] == {"n": 20, "in_corpus": 2}
    assert leakage["test"] == {"n": 20, "in_corpus": 3}
    assert main(shlex.split(f"{train} {tmp_path / 'clean'} --out {tmp_path / 'run2'}")) == 0
    assert (
        "init corpus leakage: 0 of 20 validation and 0 of 20 test sequences occur in its "
        "pretraining corpus (either strand); 5 more were excluded from pretraining"
        in capsys.readouterr().out
    )


def test_init_from_a_supervised_run_counts_rows_of_its_data_files(tmp_path, capsys):
    rng = np.random.default_rng(2)
    source = pd.DataFrame(
        {"sequence": [random_dna(rng, 50) for _ in range(80)], "label": ["a", "b"] * 40}
    )
    target = pd.DataFrame(
        {
            "sequence": [random_dna(rng, 50) for _ in range(60)],
            "label": ["x", "y"] * 30,
            "split": ["train"] * 40 + ["val"] * 10 + ["test"] * 10,
        }
    )
    source.loc[:3, "sequence"] = (
        target.loc[target["split"] == "test", "sequence"].iloc[:4].to_numpy()
    )
    source.to_csv(tmp_path / "source.csv", index=False)
    target.to_csv(tmp_path / "target.csv", index=False)
    common = ["--epochs", "1", "--batch-size", "16", "--model", "cnn"]
    assert (
        main(
            ["train", "--data", str(tmp_path / "source.csv"), *common, "--out", str(tmp_path / "s")]
        )
        == 0
    )
    argv = ["train", "--data", str(tmp_path / "target.csv"), *common, "--init", str(tmp_path / "s")]
    assert main([*argv, "--out", str(tmp_path / "t")]) == 0
    assert (
        "init corpus leakage: 0 of 10 validation and 4 of 10 test sequences occur in its training "
        "run's data files (either strand)" in capsys.readouterr().out
    )
