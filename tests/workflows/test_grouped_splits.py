"""Similarity-aware and user-grouped splits through the CLI (train, cross-validation)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genoclass.cli import main
from genoclass.data.groups import GroupingWarning
from genoclass.data.synthetic_expression import planted_marker_expression

BASES = np.array(list("ACGT"))


def family_table(seed: int = 0, n_families: int = 24, size: int = 5) -> pd.DataFrame:
    """Families of 2 %-mutated copies (id ``f<family>_<member>``) with a label per family."""
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(n_families):
        parent = rng.choice(BASES, 250)
        for m in range(size):
            copy = parent.copy()
            hit = rng.random(250) < (0.02 if m else 0)
            copy[hit] = rng.choice(BASES, hit.sum())
            rows.append(
                {
                    "id": f"f{f}_{m}",
                    "sequence": "".join(copy),
                    "label": "ab"[f % 2],
                    "gene": f"g{f // 2}",
                    "chrom_id": f"chr{f % 6 + 1}:{m * 1000}-{m * 1000 + 250}",
                }
            )
    return pd.DataFrame(rows)


def sides(run: Path, key) -> pd.Series:
    splits = pd.read_parquet(run / "splits.parquet")
    return splits.groupby(splits["id"].map(key))["split"].nunique()


def family_of(seq_id: str) -> str:
    return seq_id.split("_")[0]


@pytest.fixture(scope="module")
def family_tsv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fam") / "families.tsv"
    family_table().to_csv(path, sep="\t", index=False)
    return path


def test_dedup_similar_keeps_families_on_one_side_and_records_the_grouping(family_tsv, tmp_path):
    out = tmp_path / "run"
    argv = f"train --data {family_tsv} --model kmer_nb --dedup similar --similarity 0.4 "
    assert main((argv + f"--seed 3 --out {out}").split()) == 0
    assert (sides(out, family_of) == 1).all()
    data = json.loads((out / "metrics.json").read_text())["data"]
    assert data["grouping"]["groups"] == 24 and data["grouping"]["largest_group"] == 5
    assert set(data["split_balance"]["splits"]) == {"train", "val", "test"}
    config = (out / "config.yaml").read_text()
    assert "dedup: similar" in config and "similarity: 0.4" in config and "kmer: 9" in config


def test_group_col_in_a_table_and_in_fasta_headers(family_tsv, tmp_path):
    table = family_table()
    gene = dict(zip(table["id"], table["gene"], strict=True))
    out = tmp_path / "tsv"
    assert (
        main(f"train --data {family_tsv} --model kmer_nb --group-col gene --out {out}".split()) == 0
    )
    assert (sides(out, gene.get) == 1).all() and sides(out, gene.get).size == 12
    fasta = tmp_path / "families.fa"
    fasta.write_text(
        "".join(
            f">{r.id} label={r.label} gene={r.gene}\n{r.sequence}\n" for r in table.itertuples()
        )
    )
    out = tmp_path / "fasta"
    assert main(f"train --data {fasta} --model kmer_nb --group-col gene --out {out}".split()) == 0
    assert (sides(out, gene.get) == 1).all()


def test_split_by_chromosome_reads_coordinates_from_ids(tmp_path):
    path = tmp_path / "coords.csv"
    table = family_table()
    table["id"] = table["chrom_id"] + "(+)"
    table.drop_duplicates("id").to_csv(path, index=False)
    out = tmp_path / "run"
    assert (
        main(f"train --data {path} --model kmer_nb --split-by chromosome --out {out}".split()) == 0
    )
    assert (sides(out, lambda i: i.split(":")[0]) == 1).all()


def test_bad_group_options_exit_2_with_one_line(family_tsv, tmp_path, capsys):
    for extra, message in (
        ("--group-col donor", "no group column 'donor'"),
        ("--split-by chromosome", "chr:start-end"),
        ("--dedup similar --similarity 1.5", "--similarity must be a number in (0, 1]"),
        ("--dedup similar --kmer 40", "--kmer must be an integer in [3, 16]"),
    ):
        argv = f"train --data {family_tsv} --model kmer_nb {extra} --out {tmp_path / 'x'}"
        assert main(argv.split()) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1
        assert not (tmp_path / "x").exists()


def test_cross_validation_folds_respect_similarity_groups(family_tsv, tmp_path):
    out = tmp_path / "cv"
    argv = f"train --data {family_tsv} --model kmer_nb --cv 4 --dedup similar --similarity 0.4"
    argv += f" --out {out}"
    assert main(argv.split()) == 0
    cv = json.loads((out / "cv.json").read_text())
    assert cv["protocol"]["grouped"] is True
    tested = {}
    for fold in cv["folds"]:
        splits = pd.read_parquet(Path(fold["run"]) / "splits.parquet")
        for seq_id in splits.loc[splits["split"] == "test", "id"]:
            tested.setdefault(family_of(seq_id), set()).add(fold["fold"])
    assert len(tested) == 24 and all(len(folds) == 1 for folds in tested.values())


def test_expression_group_col_comes_from_the_labels_table(tmp_path):
    matrix, labels, _ = planted_marker_expression(20, 60, 4, ["A", "B"], seed=2)
    matrix.to_csv(tmp_path / "m.csv")
    table = labels.reset_index()
    table["patient"] = [f"p{i // 4}" for i in range(len(table))]
    table.to_csv(tmp_path / "labels.csv", index=False)
    patient = dict(zip(table.iloc[:, 0].astype(str), table["patient"], strict=True))
    out = tmp_path / "run"
    argv = (
        f"train --data {tmp_path / 'm.csv'} --labels {tmp_path / 'labels.csv'} "
        f"--model logistic_regression --group-col patient --out {out}"
    )
    assert main(argv.split()) == 0
    assert (sides(out, patient.get) == 1).all()


def test_one_family_holding_most_of_a_class_warns_and_training_goes_ahead(tmp_path, capsys):
    table = family_table(seed=4, n_families=30, size=2)
    rng = np.random.default_rng(4)
    parent = rng.choice(BASES, 250)
    for m in range(40):  # 40 near-identical copies: most of class "c"
        copy = parent.copy()
        copy[rng.random(250) < 0.01] = "A"
        table.loc[len(table)] = [f"c{m}", "".join(copy), "c", "gc", "chr1:1-2"]
    for m in range(10):
        table.loc[len(table)] = [f"d{m}", "".join(rng.choice(BASES, 250)), "c", "gd", "chr1:1-2"]
    path = tmp_path / "skewed.tsv"
    table.to_csv(path, sep="\t", index=False)
    out = tmp_path / "run"
    argv = f"train --data {path} --model kmer_nb --dedup similar --similarity 0.5 --out {out}"
    with pytest.warns(GroupingWarning, match="class 'c': one group holds 80%"):
        assert main(argv.split()) == 0
    assert "split groups:" in capsys.readouterr().out
    data = json.loads((out / "metrics.json").read_text())["data"]
    assert data["grouping"]["per_class"]["c"]["largest_group_share"] == pytest.approx(0.8)
    assert len(data["grouping"]["warnings"]) == 1
