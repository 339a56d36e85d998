"""`genoclass compare` end to end on the demo data: outputs, identical splits, resume."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from genoclass.cli import main
from genoclass.data.synthetic import demo_sequences
from genoclass.workflows.apply import evaluate_run

MODELS = ["cnn", "kmer_nb", "kmer_lr"]


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compare")
    data = root / "demo.csv"
    demo_sequences(seed=1, n_per_class=200, length=120).to_csv(data, index=False)
    argv = ["compare", "--data", str(data), "--models", ",".join(MODELS), "--seeds", "2"]
    argv += ["--epochs", "2", "--max-len", "120", "--dedup", "exact", "--out", str(root / "cmp")]
    assert main(argv) == 0
    return root / "cmp"


def test_every_model_and_seed_is_a_normal_run_directory(compared: Path) -> None:
    for model in MODELS:
        for seed in (42, 43):
            run = compared / "runs" / model / f"seed{seed}"
            metrics = json.loads((run / "metrics.json").read_text())
            assert metrics["model"] == model and (run / "model" / "model.json").exists()
            assert metrics["data"]["dedup"] == "exact"


def test_comparison_table_has_mean_and_sd_of_every_metric(compared: Path) -> None:
    table = pd.read_csv(compared / "comparison.csv")
    assert table["model"].tolist() == MODELS
    assert (table["n"] == 2).all()
    for col in ("accuracy", "precision_macro", "recall_macro", "f1_macro", "mcc", "roc_auc"):
        assert table[f"{col}_mean"].between(-1, 1).all() and table[f"{col}_sd"].notna().all()
    for col in ("params", "train_seconds", "inference_seq_per_s"):
        assert (table[f"{col}_mean"] > 0).all()
    runs = pd.read_csv(compared / "runs.csv")
    means = runs.groupby("model", sort=False)["accuracy"].mean()
    assert table.set_index("model")["accuracy_mean"].to_dict() == pytest.approx(means.to_dict())
    # the planted motif's 9-mers put k-mer naive Bayes well above chance (0.5)
    assert table.set_index("model").loc["kmer_nb", "accuracy_mean"] > 0.7


def test_json_names_best_model_tests_the_others_and_records_identical_splits(
    compared: Path,
) -> None:
    result = json.loads((compared / "comparison.json").read_text())
    assert result["splits_identical"] is True
    summary = pd.DataFrame(result["summary"])
    best = summary.loc[summary["accuracy_mean"].idxmax(), "model"]
    assert result["best_model"] == best
    assert set(result["paired_tests"]) == set(MODELS) - {best}
    assert all(t["n"] == 2 and t["primary"] == "paired_t" for t in result["paired_tests"].values())
    assert set(result["averaging"]) >= {"accuracy", "precision_macro", "recall_macro"}
    html = (compared / "comparison.html").read_text()
    assert "data:image/png;base64," in html and "Paired tests" in html
    assert (compared / "comparison.png").stat().st_size > 0


def test_rerun_resumes_by_skipping_finished_runs(compared: Path, capsys) -> None:
    shutil.rmtree(compared / "runs" / "kmer_lr" / "seed43")
    config = json.loads((compared / "comparison.json").read_text())["protocol"]["config"]
    argv = ["compare", "--data", config["data"], "--models", ",".join(MODELS), "--seeds", "2"]
    argv += ["--epochs", "2", "--max-len", "120", "--dedup", "exact", "--out", str(compared)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("finished earlier, skipped") == 5
    assert "model 3/3 kmer_lr  seed 2/2: training" in out
    lines = out.splitlines()
    done = [line for line in lines if line.startswith("compare run ")]
    assert [line.split("  ")[0] for line in done] == [f"compare run {i}/6" for i in range(1, 7)]
    assert "cnn seed 42: test accuracy 0." in done[0] and "ETA" in done[0]
    # the comparison as an aligned table: mean ± sd, 3 decimals, one row per model
    start = lines.index("test metrics, mean ± sd over 2 seed(s):") + 1
    table = lines[start : start + 4]
    assert table[0].split()[:5] == ["model", "accuracy", "f1_macro", "mcc", "roc_auc"]
    assert [row.split()[0] for row in table[1:]] == MODELS
    assert len({len(row) for row in table}) == 1
    assert len({tuple(i for i, c in enumerate(row) if c == "±") for row in table[1:]}) == 1
    assert re.search(r" 0\.\d{3} ± 0\.\d{3} ", table[1])
    assert lines[start + 4].startswith("best by accuracy: ")
    leads = json.loads((compared / "comparison.json").read_text())["leads"]
    assert lines[start + 5 : start + 7] == [lead["text"] for lead in leads]
    assert (compared / "runs" / "kmer_lr" / "seed43" / "metrics.json").exists()


def test_unknown_model_fails_before_training(tmp_path: Path, capsys) -> None:
    argv = ["compare", "--data", "x.csv", "--models", "cnn,nope", "--out", str(tmp_path / "c")]
    assert main(argv) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "c" / "runs").exists()


def test_train_with_augmentation_and_windows_saves_and_reloads(tmp_path: Path) -> None:
    data = tmp_path / "demo.csv"
    demo_sequences(seed=2, n_per_class=60, length=150).to_csv(data, index=False)
    run = tmp_path / "run"
    argv = ["train", "--data", str(data), "--model", "cnn", "--epochs", "1", "--window", "60"]
    argv += ["--augment", "substitute=0.01,insert=0.01,delete=0.01,rc=0.5", "--out", str(run)]
    assert main(argv) == 0
    card = json.loads((run / "model" / "model.json").read_text())
    assert card["extra"]["window"] == {"size": 60, "stride": 30}
    config = (run / "config.yaml").read_text()
    assert "substitute: 0.01" in config and "window: 60" in config
    out = tmp_path / "eval.json"
    argv = ["evaluate", "--model", str(run), "--data", str(data), "--split", "test"]
    assert main([*argv, "--out", str(out)]) == 0
    recorded = json.loads((run / "metrics.json").read_text())["test"]["accuracy"]
    assert json.loads(out.read_text())["metrics"]["accuracy"] == pytest.approx(recorded)


def test_augmenting_a_classical_model_is_an_input_error(tmp_path: Path, capsys) -> None:
    data = tmp_path / "demo.csv"
    demo_sequences(seed=2, n_per_class=30, length=50).to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--model", "kmer_nb", "--augment", "insert=0.1"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    assert "augmentation needs a sequence model" in capsys.readouterr().err


def test_variants_bring_their_own_settings_on_the_shared_split(tmp_path: Path) -> None:
    data = tmp_path / "demo.csv"
    demo_sequences(seed=3, n_per_class=60, length=80).to_csv(data, index=False)
    variants = tmp_path / "variants.yaml"
    variants.write_text("nb_k4:\n  model: kmer_nb\n  model_params: {k: 4}\n")
    out = tmp_path / "cmp"
    argv = ["compare", "--data", str(data), "--models", "kmer_nb,nb_k4", "--seeds", "1"]
    assert main([*argv, "--variants", str(variants), "--out", str(out)]) == 0
    result = json.loads((out / "comparison.json").read_text())
    assert result["splits_identical"] is True
    expected = {"nb_k4": {"model": "kmer_nb", "model_params": {"k": 4}}}
    assert result["protocol"]["variants"] == expected
    card = json.loads((out / "runs" / "nb_k4" / "seed42" / "model" / "model.json").read_text())
    assert card["name"] == "kmer_nb" and card["hparams"]["k"] == 4
    assert pd.read_csv(out / "comparison.csv")["model"].tolist() == ["kmer_nb", "nb_k4"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("v:\n  model: kmer_nb\n  dedup: rc\n", "sets ['dedup'], which every model must share"),
        ("v:\n  model: kmer_nb\n  learning_rate: 1\n", "unknown setting(s) ['learning_rate']"),
        ("v:\n  model: nope\n", "unknown model 'nope'"),
        ("- kmer_nb\n", "must map a name to a mapping"),
    ],
)
def test_bad_variants_are_input_errors(tmp_path: Path, capsys, text: str, message: str) -> None:
    variants = tmp_path / "variants.yaml"
    variants.write_text(text)
    argv = ["compare", "--data", "x.csv", "--models", "v", "--variants", str(variants)]
    assert main([*argv, "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert message in err and "variants.yaml" in err
    assert not (tmp_path / "c").exists()


def test_compare_says_whether_the_lead_is_within_seed_noise(compared: Path) -> None:
    result = json.loads((compared / "comparison.json").read_text())
    leads = {lead["other"]: lead for lead in result["leads"]}
    assert set(leads) == set(MODELS) - {result["best_model"]}
    for name, lead in leads.items():
        test = result["paired_tests"][name]
        assert lead["t_pvalue"] == test["t_pvalue"]
        assert lead["within_noise"] == (test["t_pvalue"] is None or test["t_pvalue"] >= 0.05)
        assert ("within seed noise" in lead["text"]) == lead["within_noise"]
    assert result["protocol"]["seeds_choice"] == "given (--seeds)"
    html = (compared / "comparison.html").read_text()
    assert all(lead["text"].split(",")[0] in html for lead in result["leads"])


def test_compare_without_seeds_runs_five_on_a_small_training_set(tmp_path, capsys) -> None:
    data = tmp_path / "demo.csv"
    demo_sequences(seed=2, n_per_class=80, length=60).to_csv(data, index=False)
    out = tmp_path / "cmp"
    argv = ["compare", "--data", str(data), "--models", "kmer_nb,kmer_lr", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    result = json.loads((out / "comparison.json").read_text())
    n_train = json.loads((out / "runs/kmer_nb/seed42/metrics.json").read_text())["n_train"]
    assert result["protocol"]["seeds"] == [42, 43, 44, 45, 46]
    assert (
        result["protocol"]["seeds_choice"] == f"5: the default for {n_train:,} training sequences"
    )
    assert printed.count(": training") == 10 and "finished earlier" not in printed
    assert result["leads"][0]["text"] in printed


def _compare_select(data: Path, test: Path, out: Path) -> dict:
    argv = ["compare", "--data", str(data), "--test", str(test), "--models", "kmer_lr,kmer_nb"]
    argv += ["--seeds", "2", "--select", "--out", str(out)]
    assert main(argv) == 0
    return json.loads((out / "comparison.json").read_text())


def test_select_picks_on_validation_and_poisoned_test_labels_change_nothing(
    tmp_path: Path, capsys
) -> None:
    table = demo_sequences(seed=4, n_per_class=80, length=60)
    data, test = tmp_path / "data.csv", tmp_path / "test.csv"
    table.iloc[::2].to_csv(data, index=False)
    table.iloc[1::2].to_csv(test, index=False)
    clean = _compare_select(data, test, tmp_path / "clean")
    selection = clean["selection"]
    # every model's validation figures, read back from its runs: the highest mean MCC wins
    val = {
        name: [
            json.loads(
                (tmp_path / "clean" / "runs" / name / f"seed{s}" / "metrics.json").read_text()
            )["val"]["mcc"]
            for s in (42, 43)
        ]
        for name in ("kmer_lr", "kmer_nb")
    }
    means = {name: sum(v) / 2 for name, v in val.items()}
    assert selection["chosen"] == max(means, key=means.get)
    rows = {row["model"]: row for row in selection["validation"]}
    assert {n: [r["val_mcc"] for r in row["runs"]] for n, row in rows.items()} == val
    runs = val[selection["chosen"]]
    assert selection["seed"] == 42 + runs.index(max(runs))
    assert f"selected on validation: {selection['chosen']} seed" in capsys.readouterr().out
    html = (tmp_path / "clean" / "comparison.html").read_text()
    assert "Selection on validation (--select)" in html and "selected/report.html" in html
    # the copy is an ordinary run: it loads, and scores the validation split as recorded
    selected = tmp_path / "clean" / "selected"
    scored = evaluate_run(selected, data, split="val")["metrics"]
    assert scored["mcc"] == pytest.approx(max(runs))
    predictions = tmp_path / "pred.csv"
    argv = ["predict", "--model", str(selected), "--data", str(test), "--out", str(predictions)]
    assert main(argv) == 0 and len(pd.read_csv(predictions)) == len(table.iloc[1::2])
    # flip every test label: the test figures change, the choice and validation do not
    poisoned = pd.read_csv(test)
    classes = sorted(poisoned["label"].unique())
    flip = dict(zip(classes, classes[::-1], strict=True))
    poisoned["label"] = poisoned["label"].map(flip)
    poisoned.to_csv(tmp_path / "poisoned.csv", index=False)
    dirty = _compare_select(data, tmp_path / "poisoned.csv", tmp_path / "dirty")
    assert dirty["selection"] == selection
    assert dirty["runs"][0]["accuracy"] == pytest.approx(1 - clean["runs"][0]["accuracy"])


def test_select_without_a_validation_split_is_refused(tmp_path: Path, capsys) -> None:
    data = tmp_path / "demo.csv"
    demo_sequences(seed=5, n_per_class=30, length=50).to_csv(data, index=False)
    argv = ["compare", "--data", str(data), "--models", "kmer_nb,kmer_lr", "--seeds", "1"]
    assert main([*argv, "--select", "--val-size", "0", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--select chooses on the validation split" in err[0]
    assert not (tmp_path / "c" / "comparison.json").exists()
