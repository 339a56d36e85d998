"""`genoclass data qc` on every real dataset beside the project: shortcut and leakage table.

Each dataset is checked through the command's own code path (``run_qc``) with its defaults
(near-duplicates at 0.9 and 0.8, 9-mers; data without splits get the random stratified
80/20 split, seed 42, that ``train`` makes without ``--test``). The Genomic Benchmarks file
is one official test split, so its split column is ignored (as S0 re-splits it). Reports go
to a scratch folder; the table goes to ``benchmarks/results/qc_all.{json,md}``.

    python benchmarks/qc_all.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from genoclass.config import TrainConfig
from genoclass.data.qc import QCSettings
from genoclass.workflows.qc import run_qc

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
DNA, EXPR = DATA / "dna", DATA / "expr"
RESULTS = REPO / "benchmarks" / "results"
SCRATCH = Path("/tmp/genoclass_bench/qc_all")


def cnnprom_folder(organism: str) -> str:
    """A scratch folder holding only one organism's two FASTA files (class = file stem)."""
    folder = SCRATCH / "inputs" / f"cnnprom_{organism}"
    folder.mkdir(parents=True, exist_ok=True)
    for cls in ("prom", "non_prom"):
        link = folder / f"{cls}.fa"
        if not link.exists():
            link.symlink_to(DNA / "cnnprom" / f"{organism}_{cls}.fa")
    return str(folder)


def datasets() -> dict[str, dict]:
    """Dataset name -> TrainConfig settings."""
    vasani = DNA / "vasani_human_dna"
    sets = {
        f"vasani_{s}": {"data": str(vasani / f"{s}_data.txt"), "label_col": "class"}
        for s in ("human", "chimp", "dog")
    }
    sets["gb_human_nontata_promoters"] = {
        "data": str(DNA / "genomic_benchmarks" / "human_nontata_promoters" / "test.csv.gz"),
        "ignore_splits": True,
    }
    for name in ("prom/prom_core_all", "prom/prom_core_notata", "tf/0", "tf/1", "mouse/0",
                 "mouse/2"):  # fmt: skip
        sets[f"gue_{name.replace('/', '_')}"] = {"data": str(DNA / "gue" / name)}
    sets["uci_splice_junction"] = {"data": str(DNA / "uci" / "splice_junction.csv.gz")}
    sets["uci_ecoli_promoters"] = {"data": str(DNA / "uci" / "ecoli_promoters_106.csv")}
    for organism in ("Ecoli", "Bacillus"):
        sets[f"cnnprom_{organism.lower()}"] = {"data": cnnprom_folder(organism)}
    for folder in sorted(p for p in EXPR.iterdir() if p.is_dir()):
        sets[f"expr_{folder.name}"] = {
            "data": str(folder / "expression.csv.gz"),
            "labels": str(folder / "labels.csv"),
        }
    return sets


def summary_row(name: str, report: dict, seconds: float) -> dict:
    """The table row of one report."""
    top = report["shortcuts"]["top"][0]
    row = {
        "dataset": name,
        "rows": report["rows"],
        "splits": "random" if report["split_source"].startswith("random") else "official",
        "status": report["status"],
        "shortcut": f"{top['feature']} {top['auroc']:.3f} ({top['status']})",
        "seconds": round(seconds, 1),
    }
    if report["kind"] == "sequences":
        exact = report["leakage"]["exact_and_reverse_complement"]
        near = report["leakage"]["near_duplicates"]
        row["exact/rc"] = "; ".join(
            f"{p} {n}/{exact['reverse_complement'][p]}" for p, n in exact["exact"].items()
        )
        row["near>=0.9"] = "; ".join(
            f"{p} {b['0.9']['rows']} ({b['0.9']['share']:.1%})" for p, b in near.items()
        )
        row["near>=0.8"] = "; ".join(
            f"{p} {b['0.8']['rows']} ({b['0.8']['share']:.1%})" for p, b in near.items()
        )
        row["label conflicts"] = report["duplicates"]["between_class_sequences"]
    else:
        near = report["near_identical"]
        row["near-identical r>=0.99"] = (
            "; ".join(f"{p} {b['rows']}" for p, b in near["across_splits"].items())
            + f" (pairs in data: {near['pairs_same_class']} same / "
            + f"{near['pairs_other_class']} other class)"
        )
        pc1 = report["principal_components"]["components"][0]
        row["PC1"] = f"var {pc1['variance_explained']:.2f}, label AU-ROC {pc1['label_auroc']:.2f}"
    return row


def markdown(rows: list[dict]) -> str:
    """Rows as a markdown table (columns of the first row, then any others)."""
    columns = list(dict.fromkeys(c for r in rows for c in r))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        lines.append("| " + " | ".join(str(r.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def main() -> None:
    rows, reports = [], {}
    for name, settings in datasets().items():
        start = time.perf_counter()
        _, result = run_qc(TrainConfig(**settings), QCSettings(), SCRATCH / name, overwrite=True)
        rows.append(summary_row(name, result.report, time.perf_counter() - start))
        reports[name] = {"checks": result.report["checks"], "status": result.report["status"]}
        print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "qc_all.json").write_text(json.dumps({"rows": rows, "checks": reports}, indent=2))
    sequences = [r for r in rows if "exact/rc" in r]
    expression = [r for r in rows if "exact/rc" not in r]
    (RESULTS / "qc_all.md").write_text(markdown(sequences) + "\n\n" + markdown(expression) + "\n")
    print(markdown(sequences) + "\n\n" + markdown(expression))


if __name__ == "__main__":
    main()
