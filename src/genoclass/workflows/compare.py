"""The ``compare`` job: train several models over several seeds on identical splits, then
tabulate mean ± sd, test the best model against each other one and write a report.

Every (model, seed) is an ordinary run directory under ``OUT/runs/<model>/seed<seed>``
written by ``run_training``; a finished one is skipped, so an interrupted compare resumes
where it stopped (an unfinished run continues from its last checkpoint).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from genoclass.atomic import write_table_atomic
from genoclass.config import (
    TrainConfig,
    check_settings,
    is_main_process,
    read_yaml_mapping,
    settings_in,
)
from genoclass.errors import InputError
from genoclass.evaluation.metrics import AVERAGING_NOTES
from genoclass.evaluation.stats import describe_lead, paired_test, summarize_runs
from genoclass.io.run_files import RunFiles
from genoclass.models import get_spec
from genoclass.reporting.compare_report import write_compare_report
from genoclass.training.progress import Steps
from genoclass.training.runtime import wait_for_rank_zero
from genoclass.workflows.apply import evaluate_run
from genoclass.workflows.inputs import check_run
from genoclass.workflows.rundir import staged_directory, write_json
from genoclass.workflows.train import run_training

#: test-set metrics tabulated per model (metrics.json "test" block)
METRICS = ("accuracy", "precision_macro", "recall_macro", "f1_macro", "mcc", "roc_auc")
#: run facts tabulated per model (top level of metrics.json)
FACTS = ("params", "train_seconds", "inference_seq_per_s", "epochs_run")
TEST_CHOICE = (
    "Paired t-test on the per-seed differences (best minus other): runs of two models with "
    "the same seed share their split and initialisation seed, so pairing removes the "
    "split-to-split variation; with six or more seeds a Wilcoxon signed-rank test is added "
    "as a distribution-free check. With three seeds only large, consistent differences "
    "reach p < 0.05."
)


#: settings a variant may not change: they decide the rows and split every model shares
SHARED_SETTINGS = settings_in("data", "split", "output")


def load_variants(path: str | Path) -> dict[str, dict[str, Any]]:
    """Named model variants from YAML: ``name: {model: kmer_cnn, lr: 0.005, ...}``; each is
    a set of training settings applied on top of the shared ones (``model`` defaults to
    the name). Unknown settings and settings that would change the split are input errors."""
    loaded = read_yaml_mapping(path, "variants") or {}
    if not isinstance(loaded, dict) or not all(isinstance(v, dict) for v in loaded.values()):
        raise InputError("variants must map a name to a mapping of settings", path=path)
    known = {f.name for f in dataclasses.fields(TrainConfig)} - set(SHARED_SETTINGS)
    for name, settings in loaded.items():
        shared = sorted(set(settings) & set(SHARED_SETTINGS))
        if shared:
            raise InputError(
                f"variant {name!r} sets {shared}, which every model must share "
                "(set them for the whole comparison instead)",
                path=path,
            )
        unknown = sorted(set(settings) - known)
        if unknown:
            raise InputError(f"variant {name!r}: unknown setting(s) {unknown}", path=path)
        check_settings(settings, path, label=f"variant {name!r}: ")
        try:
            get_spec(str(settings.get("model", name)))
        except InputError as exc:
            raise InputError(f"variant {name!r}: {exc.reason}", path=path) from exc
    return {str(name): dict(settings) for name, settings in loaded.items()}


def entry_config(base: TrainConfig, name: str, variants: dict[str, dict[str, Any]]) -> TrainConfig:
    """The shared settings with one compared entry's model (and its variant's settings)."""
    settings = dict(variants.get(name, {}))
    settings.setdefault("model", name)
    return replace(base, **settings)


def run_dir_of(out: Path, model: str, seed: int) -> Path:
    """Run directory of one (model, seed) inside a compare directory."""
    return out / "runs" / model / f"seed{seed}"


#: training sets below this many sequences get SMALL_SET_SEEDS seeds by default, others
#: LARGE_SET_SEEDS: on small sets seed (and thread) noise is as large as many model
#: differences (BENCHMARKS.md, "Seed and thread variance")
SMALL_SET = 10_000
SMALL_SET_SEEDS, LARGE_SET_SEEDS = 5, 3


def default_seeds(n_train: int) -> int:
    """How many seeds ``compare`` runs when not told: 5 below 10,000 training sequences,
    else 3."""
    return SMALL_SET_SEEDS if n_train < SMALL_SET else LARGE_SET_SEEDS


def run_compare(
    base: TrainConfig,
    models: list[str],
    seeds: int | None,
    out: str | Path,
    *,
    metric: str = "accuracy",
    cross: list[str] | None = None,
    variants: dict[str, dict[str, Any]] | None = None,
    progress: bool = True,
    select: bool = False,
) -> Path:
    """Train every model for seeds ``base.seed .. base.seed + seeds - 1`` and write
    ``comparison.csv``, ``comparison.json``, ``runs.csv``, ``comparison.png`` and
    ``comparison.html`` into ``out``; ``seeds=None`` takes ``default_seeds`` of the first
    run's training-set size.

    For a given seed every model gets the same split (seeded by ``base.split_seed`` when
    set, else by the seed, so the split also varies across seeds). ``cross`` files are
    scored by every trained run (e.g. a human-trained model on chimp data). An entry of
    ``models`` may name a variant (``load_variants``) instead of a registered model.
    ``select`` also picks a model on validation and copies its run to ``out/selected``
    (``select_run``).
    """
    out = Path(out)
    if (seeds is not None and seeds < 1) or not models:
        raise InputError("compare needs at least one model and one seed")
    if metric not in METRICS:
        raise InputError(f"unknown comparison metric {metric!r}; use one of {METRICS}")
    variants = variants or {}
    entries = [entry_config(base, name, variants) for name in models]
    for entry in entries:  # fail before training anything: every name, then every setting
        get_spec(entry.model)
    for entry in entries:
        check_run(entry)

    done: set[tuple[str, int]] = set()  # (model, seed) handled by this call

    def run_one(name: str, seed: int, step: str, steps: Steps) -> None:
        done.add((name, seed))
        run_dir = run_dir_of(out, name, seed)
        if RunFiles(run_dir).finished():
            steps.write(f"{step}: finished earlier, skipped")
        else:
            steps.write(f"{step}: training")
            config = replace(entry_config(base, name, variants), seed=seed, out=str(run_dir))
            run_training(config, resume=True, progress=progress)
            wait_for_rank_zero()  # the other processes read the run only once it is written
        if not is_main_process():
            return
        if select:  # known after the first run: every run splits the same data alike
            validation_of(run_dir)
        for path in cross or []:
            _cross_score(out, name, seed, path)
        steps.step(_run_note(run_dir, name, seed, metric))

    seeds_choice = "given (--seeds)"
    with Steps(len(models) * (seeds or 1), "compare run") as steps:
        if seeds is None:  # the first run tells the training-set size
            run_one(models[0], base.seed, f"model 1/{len(models)} {models[0]}  seed 1", steps)
            n_train = RunFiles(run_dir_of(out, models[0], base.seed)).read_metrics()["n_train"]
            seeds = default_seeds(n_train)
            seeds_choice = f"{seeds}: the default for {n_train:,} training sequences"
            steps.write(f"seeds: {seeds_choice} (--seeds sets another count)")
            steps.set_total(len(models) * seeds)
        seed_list = [base.seed + j for j in range(seeds)]
        for i, name in enumerate(models, 1):
            for j, seed in enumerate(seed_list, 1):
                if (name, seed) not in done:
                    step = f"model {i}/{len(models)} {name}  seed {j}/{seeds}"
                    run_one(name, seed, step, steps)
    if not is_main_process():  # rank 0 of several processes writes the comparison
        return out
    runs = collect_runs(out, models, seed_list, cross or [])
    result = summarize(runs, metric, cross or [])
    result["protocol"] = {
        "config": {k: v for k, v in base.to_dict().items() if k not in ("model", "seed", "out")},
        "models": models,
        "variants": {name: variants[name] for name in models if name in variants},
        "seeds": seed_list,
        "seeds_choice": seeds_choice,
        "split_seed": base.split_seed,
        "splits": "per seed, identical for every model"
        if base.split_seed is None
        else "one split for every model and seed",
        "cross_data": cross or [],
    }
    result["splits_identical"] = _splits_identical(out, models, seed_list)
    if select:
        result["selection"] = select_run(out, models, seed_list)
    write_table_atomic(runs, out / "runs.csv")
    write_table_atomic(pd.DataFrame(result["summary"]), out / "comparison.csv")
    write_json(out / "comparison.json", result)
    write_compare_report(out)
    return out


#: the compare directory's copy of the run chosen by ``--select``
SELECTED = "selected"
SELECTION = (
    "the model with the highest mean validation MCC over seeds (ties: the first listed), "
    "and its run with the highest validation MCC (ties: the first seed); test figures are "
    "never read"
)


def validation_of(run_dir: Path) -> dict[str, float]:
    """The validation MCC, accuracy and macro F1 of a finished run; an input error when the
    run had no validation split (``--select`` chooses on it)."""
    val = RunFiles(run_dir).read_metrics().get("val")
    if not val:
        raise InputError(
            "--select chooses on the validation split, and these runs have none: give --val "
            "or --val-size > 0"
        )
    return {f"val_{m}": val[m] for m in ("mcc", "accuracy", "f1_macro")}


def select_run(out: Path, models: list[str], seeds: list[int]) -> dict[str, Any]:
    """Choose on validation (``SELECTION``), copy the chosen run to ``out/selected`` (an
    ordinary run directory: ``predict --model out/selected`` loads it; replaced atomically)
    and return the record for comparison.json: the choice and every run's validation
    figures."""
    rows = []
    for name in models:
        runs = [{"seed": seed, **validation_of(run_dir_of(out, name, seed))} for seed in seeds]
        mcc = pd.Series([r["val_mcc"] for r in runs], dtype=float)
        rows.append(
            {
                "model": name,
                "val_mcc_mean": float(mcc.mean()),
                "val_mcc_sd": float(mcc.std()) if len(mcc) > 1 else 0.0,
                "runs": runs,
            }
        )
    best = max(rows, key=lambda row: row["val_mcc_mean"])  # max keeps the first of equals
    run = max(best["runs"], key=lambda r: r["val_mcc"])
    source = run_dir_of(out, best["model"], run["seed"])
    with staged_directory(out / SELECTED, overwrite=True) as stage:
        shutil.copytree(source, stage, dirs_exist_ok=True)
    return {
        "selection": SELECTION,
        "chosen": best["model"],
        "seed": run["seed"],
        "run": source.relative_to(out).as_posix(),
        "directory": SELECTED,
        "validation": rows,
    }


def _run_note(run_dir: Path, name: str, seed: int, metric: str) -> str:
    """What a progress line says about a finished run: which one and its test score."""
    value = RunFiles(run_dir).read_metrics()["test"].get(metric)
    return f"{name} seed {seed}: test {metric} " + ("n/a" if value is None else f"{value:.3f}")


def _cross_score(out: Path, model: str, seed: int, path: str) -> dict[str, Any]:
    """Metrics of one run on another labelled file, cached under ``out/cross``."""
    target = out / "cross" / model / f"seed{seed}" / f"{Path(path).name}.json"
    if target.exists():
        return json.loads(target.read_text())
    result = evaluate_run(run_dir_of(out, model, seed), path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_json(target, result)
    return result


def collect_runs(out: Path, models: list[str], seeds: list[int], cross: list[str]) -> pd.DataFrame:
    """One row per (model, seed): test metrics, run facts and cross-data accuracy/MCC."""
    rows = []
    for name in models:
        for seed in seeds:
            metrics = RunFiles(run_dir_of(out, name, seed)).read_metrics()
            row: dict[str, Any] = {"model": name, "seed": seed}
            row.update({m: metrics["test"].get(m) for m in METRICS})
            row.update({f: metrics.get(f) for f in FACTS})
            for path in cross:
                scored = _cross_score(out, name, seed, path)["metrics"]
                row[f"accuracy@{Path(path).name}"] = scored["accuracy"]
                row[f"mcc@{Path(path).name}"] = scored["mcc"]
            rows.append(row)
    return pd.DataFrame(rows)


def summarize(runs: pd.DataFrame, metric: str, cross: list[str]) -> dict[str, Any]:
    """Mean ± sd per model, the best model by ``metric`` and paired tests (``TEST_CHOICE``)
    of the best model against each other one."""
    columns = [*METRICS, *FACTS] + [
        f"{m}@{Path(p).name}" for p in cross for m in ("accuracy", "mcc")
    ]
    numeric = runs.astype({c: float for c in columns})
    summary = summarize_runs(numeric, columns)
    best = str(summary.sort_values(f"{metric}_mean", ascending=False)["model"].iloc[0])
    scores = numeric.pivot(index="seed", columns="model", values=metric)
    others = [name for name in summary["model"] if name != best]
    tests = {name: paired_test(scores[best].to_numpy(), scores[name].to_numpy()) for name in others}
    leads = [
        describe_lead(
            best, name, scores[best].to_numpy(), scores[name].to_numpy(), metric, tests[name]
        )
        for name in others
    ]
    return {
        "metric": metric,
        "best_model": best,
        "summary": summary.to_dict(orient="records"),
        "runs": runs.to_dict(orient="records"),
        "paired_tests": tests,
        "leads": leads,
        "test_choice": TEST_CHOICE,
        "averaging": {m: AVERAGING_NOTES[m] for m in METRICS if m in AVERAGING_NOTES},
    }


def _splits_identical(out: Path, models: list[str], seeds: list[int]) -> bool:
    """True when, for every seed, all models recorded the same split of the same rows."""
    for seed in seeds:
        digests = {
            hashlib.sha256(
                pd.read_parquet(RunFiles(run_dir_of(out, name, seed)).splits)
                .to_csv(index=False)
                .encode()
            ).hexdigest()
            for name in models
        }
        if len(digests) > 1:
            return False
    return True
