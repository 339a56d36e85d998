"""Data QC: planted shortcuts, duplicates and leakage are found; clean data passes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genoclass.cli import main
from genoclass.data.leakage import reverse_complement
from genoclass.data.qc import QCSettings, cheap_checks, expression_qc, sequence_qc
from genoclass.data.shortcuts import separability, sequence_features, status

BASES = np.array(list("ACGT"))


def random_table(seed: int, n: int = 200, lengths=(150, 150), split=None) -> pd.DataFrame:
    """Random sequences, two balanced classes; class b's lengths drawn from ``lengths[1]``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = "ab"[i % 2]
        length = (
            lengths[i % 2] if isinstance(lengths[i % 2], int) else rng.integers(*lengths[i % 2])
        )
        rows.append({"id": f"s{i}", "sequence": "".join(rng.choice(BASES, length)), "label": label})
    return pd.DataFrame(rows).assign(split=split)


def by_name(report: dict) -> dict:
    return {c["name"]: c for c in report["checks"]}


def test_separability_matches_hand_computed_auroc():
    values = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]])
    auc = separability(values, ["x", "x", "y", "y"])
    assert auc.tolist() == [1.0, 0.5]  # perfect split; constant feature carries nothing
    # direction-free: the reversed feature separates as well
    assert separability(-values, ["x", "x", "y", "y"])[0] == 1.0
    # multi-class: the best one-vs-rest value (class z is the only high one)
    assert separability(np.array([[0.0], [0.0], [0.0], [9.0]]), ["x", "y", "x", "z"])[0] == 1.0
    assert [status(a) for a in (0.55, 0.6, 0.65, 0.7, 0.71)] == [
        "pass", "pass", "warn", "warn", "fail",
    ]  # fmt: skip


def test_sequence_features_on_a_hand_made_sequence():
    row = sequence_features(["ACGGNT"], positions=True).iloc[0]
    assert row["length"] == 6 and row["gc"] == pytest.approx(3 / 5)
    assert row["n_fraction"] == pytest.approx(1 / 6) and row["G"] == pytest.approx(2 / 6)
    assert row["CG"] == pytest.approx(1 / 3) and row["GN" if "GN" in row else "GG"] > 0
    assert row["pos5_A"] == 0 and row["pos1_A"] == 1


def test_planted_length_shortcut_fails_and_clean_data_passes():
    planted = sequence_qc(random_table(0, lengths=((100, 140), (160, 200))), QCSettings())
    shortcut = by_name(planted.report)["single_feature_shortcut"]
    assert shortcut["status"] == "fail" and shortcut["value"]["feature"] == "length"
    assert "--max-len" in shortcut["fix"]
    # enough rows that no one of the 4 x 60 per-position features passes 0.6 by chance
    clean = sequence_qc(random_table(1, n=1000, lengths=(60, 60)), QCSettings())
    assert by_name(clean.report)["single_feature_shortcut"]["status"] == "pass"
    assert clean.report["shortcuts"]["by_kind"]["length"]["auroc"] == 0.5
    assert clean.report["position_features"] is True


def test_duplicates_and_leakage_between_given_splits_are_counted():
    train = random_table(2, 120, split="train")
    test = random_table(3, 40, split="test")
    rng = np.random.default_rng(9)
    # 3 exact copies, 2 reverse complements, 4 near-duplicates (2 % substitutions)
    for i in range(3):
        test.loc[i, "sequence"] = train.loc[i, "sequence"]
    for i in range(3, 5):
        test.loc[i, "sequence"] = reverse_complement(train.loc[i, "sequence"])
    for i in range(5, 9):
        seq = np.array(list(train.loc[i, "sequence"]))
        seq[rng.choice(len(seq), 3, replace=False)] = "A"
        test.loc[i, "sequence"] = "".join(seq)
    test.loc[9, ["sequence", "label"]] = [
        train.loc[10, "sequence"],
        "b" if train.loc[10, "label"] == "a" else "a",
    ]
    train.loc[20, "sequence"] = train.loc[22, "sequence"]  # same class, within train
    result = sequence_qc(pd.concat([train, test], ignore_index=True), QCSettings(threshold=0.5))
    report = result.report
    exact = report["leakage"]["exact_and_reverse_complement"]
    assert exact["exact"]["train-test"] == 4 and exact["reverse_complement"]["train-test"] == 2
    near = report["leakage"]["near_duplicates"]["train-test"]
    assert near["0.9"]["rows"] >= 6 and near["0.5"]["rows"] == 10
    assert report["duplicates"]["between_class_sequences"] == 1
    # whole data: 3 copies in test + 1 repeat inside train; 2 reverse-complement copies
    assert report["duplicates"]["within_class_exact"] == 4
    assert report["duplicates"]["within_class_reverse_complement"] == 2
    checks = by_name(report)
    assert (
        checks["exact_leakage"]["status"] == "fail"
        and "--dedup rc" in checks["exact_leakage"]["fix"]
    )
    assert checks["near_duplicate_leakage"]["status"] == "fail"
    assert checks["label_conflicts"]["status"] == "warn"
    assert report["split_source"].startswith("official")
    cheap = cheap_checks(pd.concat([train, test], ignore_index=True))
    assert cheap["status"] == "fail" and json.dumps(cheap)
    assert {c["name"] for c in cheap["checks"]} == {
        "class_balance", "single_feature_shortcut", "label_conflicts", "exact_leakage",
    }  # fmt: skip


def expression_table(seed: int, n: int = 40, genes: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.poisson(50, size=(n, genes)).astype(float)
    table = pd.DataFrame(values, columns=[f"g{i}" for i in range(genes)])
    return pd.concat(
        [pd.DataFrame({"id": [f"x{i}" for i in range(n)], "label": ["A", "B"] * (n // 2),
                       "split": None, "source_row": range(1, n + 1)}), table], axis=1
    )  # fmt: skip


def test_expression_qc_finds_replicates_across_splits_and_library_size_shortcut():
    table = expression_table(4)
    table.loc[table["label"] == "B", "g0":] *= 3  # class B sequenced 3x deeper
    result = expression_qc(table, QCSettings())
    checks = by_name(result.report)
    assert checks["single_feature_shortcut"]["value"]["feature"] == "library_size"
    assert checks["single_feature_shortcut"]["status"] == "fail"
    assert checks["near_identical_leakage"]["status"] == "pass"
    twin = expression_table(5)
    twin.iloc[1, 4:] = twin.iloc[0, 4:] * 1.01  # a near-identical replicate
    twin["split"] = ["train", "test"] + ["train"] * 30 + ["test"] * 8
    report = expression_qc(twin, QCSettings()).report
    assert report["near_identical"]["across_splits"]["train-test"]["rows"] == 1
    assert by_name(report)["near_identical_leakage"]["status"] == "fail"
    assert report["principal_components"]["components"][0]["component"] == "PC1"


def test_data_qc_command_writes_json_and_html(tmp_path, capsys):
    data = tmp_path / "d.csv"
    random_table(6, lengths=((100, 140), (160, 200))).drop(columns="split").to_csv(
        data, index=False
    )
    out = tmp_path / "qc"
    assert main(["data", "qc", str(data), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "FAIL  single_feature_shortcut" in printed and "QC FAIL" in printed
    report = json.loads((out / "qc.json").read_text())
    assert report["status"] == "fail" and report["split_source"].startswith("random")
    page = (out / "qc.html").read_text()
    assert (
        page.count("<img") >= 5
        and "Single-feature shortcuts" in page
        and "http" not in page.split("<body")[1]
    )
    assert main(["data", "qc", str(data), "--out", str(out)]) == 2  # exists, no --overwrite
    assert main(["data", "qc", str(data), "--similarity", "2", "--out", str(tmp_path / "x")]) == 2
    assert "--similarity" in capsys.readouterr().err and not (tmp_path / "x").exists()


@pytest.mark.realdata
def test_gue_prom_core_exact_leakage_matches_a_direct_count(shared_data, tmp_path):
    folder = shared_data / "dna" / "gue" / "prom" / "prom_core_notata"
    out = tmp_path / "qc"
    assert main(["data", "qc", str(folder), "--out", str(out)]) == 0
    report = json.loads((out / "qc.json").read_text())
    train = set(pd.read_csv(folder / "train.csv.gz")["sequence"].str.upper())
    test = pd.read_csv(folder / "test.csv.gz")["sequence"].str.upper()
    exact = report["leakage"]["exact_and_reverse_complement"]["exact"]["train-test"]
    assert exact == int(test.isin(train).sum()) > 0
    near = report["leakage"]["near_duplicates"]["train-test"]["0.9"]["rows"]
    assert near >= exact


def test_train_records_the_cheap_checks_and_prints_a_failed_one(tmp_path, capsys):
    table = random_table(0, lengths=((100, 140), (160, 200)))  # length alone tells the class
    table[["id", "sequence", "label"]].to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "run"
    argv = ["train", "--data", str(tmp_path / "data.csv"), "--model", "kmer_nb"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "warning: data check single_feature_shortcut failed" in printed
    assert "--max-len" in printed
    checks = json.loads((out / "metrics.json").read_text())["data"]["checks"]
    assert checks["status"] == "fail"
    names = {c["name"]: c["status"] for c in checks["checks"]}
    assert names["single_feature_shortcut"] == "fail" and names["class_balance"] == "pass"
