"""Data quality checks before training: class balance, composition, single-feature shortcuts,
duplicates and leakage between splits, for sequence and expression data.

Every check ends in ``pass``, ``warn`` or ``fail`` with a suggested fix. Leakage is measured
between the splits the data has (official ones, or ``--test`` / ``--val`` files); data
without any are given the random stratified split ``train`` would make without ``--test``
(``test_size``, ``seed``), so the report says what a plain ``train`` run would meet.
:func:`cheap_checks` runs the fast subset on a table whose splits are already assigned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from genoclass.data.groups import grouping_report
from genoclass.data.leakage import (
    HASH_COLUMNS,
    SPLIT_ORDER,
    cross_split_duplicates,
    reverse_complement,
)
from genoclass.data.shortcuts import (
    separability,
    sequence_features,
    shortcut_summary,
    shortcut_table,
)
from genoclass.data.similarity import near_duplicates, similarity_clusters, sketch_sequences
from genoclass.data.splits import assign_splits
from genoclass.expression.scale import log_values
from genoclass.io.expression import RESERVED_COLUMNS
from genoclass.io.records import GROUP_COLUMN

#: similarity from which a sequence counts as a near-duplicate (genomic-benchmarks-qc: 90 %)
NEAR_DUPLICATE = 0.9
#: correlation from which two expression samples count as near-identical
NEAR_IDENTICAL = 0.99
#: per-position base features are scored for fixed-length data up to this length
POSITION_MAX_LENGTH = 1000
#: a later split with more than this share of rows leaked from an earlier one fails
LEAK_FAIL_SHARE = 0.01
#: warn when the smallest class has fewer rows than this share of the largest
IMBALANCE_WARN = 0.1
_RANK = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class QCSettings:
    """User threshold for near-duplicates, k-mer length, seed and test share of the random
    split given to data without splits, and how many examples to list."""

    threshold: float = 0.8
    k: int = 9
    seed: int = 42
    test_size: float = 0.2
    examples: int = 5


@dataclass
class QCResult:
    """A JSON-able report and per-row values for the plots (``label``, ``split`` and the
    plotted features)."""

    report: dict
    rows: pd.DataFrame


def check(name: str, status: str, value: object, fix: str = "") -> dict:
    """One check result: name, pass / warn / fail, the measured value and a suggested fix."""
    return {"name": name, "status": status, "value": value, "fix": fix if status != "pass" else ""}


def worst(checks: list[dict]) -> str:
    """The worst status among checks (``pass`` when there are none)."""
    return max((c["status"] for c in checks), key=_RANK.__getitem__, default="pass")


def with_splits(table: pd.DataFrame, settings: QCSettings) -> tuple[pd.DataFrame, str]:
    """The table with every row in a split, and where the splits came from: the data's own
    (rows without one are training rows) or a random stratified split."""
    table = table.reset_index(drop=True)
    if table["split"].notna().any():
        return table.assign(split=table["split"].fillna("train")), "official or given files"
    split = assign_splits(table, test_size=settings.test_size, val_size=0, seed=settings.seed)
    source = f"random stratified split, test {settings.test_size:.0%}, seed {settings.seed}"
    return table.assign(split=split.to_numpy()), source


def _split_pairs(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(earlier, later) split pairs present, in train, val, test order."""
    present = [s for s in SPLIT_ORDER if (table["split"] == s).any()]
    return [(a, b) for i, a in enumerate(present) for b in present[i + 1 :]]


def _class_counts(table: pd.DataFrame) -> dict:
    counts = table["label"].value_counts().sort_index()
    per_split = {
        str(s): rows["label"].value_counts().sort_index().astype(int).to_dict()
        for s, rows in table.groupby("split", sort=False)
    }
    return {"overall": counts.astype(int).to_dict(), "per_split": per_split}


def balance_check(table: pd.DataFrame) -> dict:
    """Warn when the smallest class is under a tenth of the largest."""
    counts = table["label"].value_counts()
    ratio = float(counts.min() / counts.max())
    return check(
        "class_balance",
        "warn" if ratio < IMBALANCE_WARN else "pass",
        round(ratio, 4),
        "classes are very unequal: use --class-weights and judge by macro F1 / MCC",
    )


#: feature kind -> what to do when it alone separates the classes
SHORTCUT_FIXES = {
    "length": "crop or pad every sequence to one length (--max-len with --crop center), or "
    "sample negatives with the positives' lengths",
    "position": "one base at one position separates the classes: real for aligned sites (a "
    "promoter box), an artefact if the classes were cut or aligned differently",
    "library_size": "normalise per sample (--preprocess log2cpm) and check sequencing depth "
    "per class",
    "zero_fraction": "check sequencing depth and the filtering of each class's samples",
}
_COMPOSITION_FIX = "sample negatives with the positives' base composition (GC-matched)"


def _shortcut_check(summary: dict) -> dict:
    top = summary["top"][0] if summary["top"] else {"feature": "-", "kind": "-", "auroc": 0.5}
    advice = SHORTCUT_FIXES.get(top["kind"], _COMPOSITION_FIX)
    return check(
        "single_feature_shortcut",
        summary["status"],
        top,
        f"{top['feature']} alone separates the classes (AU-ROC {top['auroc']:.3f}): {advice}",
    )


def _leak_status(share: float) -> str:
    return "pass" if share == 0 else "warn" if share <= LEAK_FAIL_SHARE else "fail"


def _composition(rows: pd.DataFrame, columns: list[str]) -> dict:
    """Min / median / mean / max of some per-row values for each class."""
    stats = rows.groupby("label")[columns].agg(["min", "median", "mean", "max"])
    return {
        col: {
            str(label): {s: round(float(stats.loc[label, (col, s)]), 4) for s in stats[col]}
            for label in stats.index
        }
        for col in columns
    }


def canonical_sequences(sequences: pd.Series) -> pd.Series:
    """Each sequence or its reverse complement, whichever sorts first (one key per strand
    pair)."""
    rc = sequences.map(reverse_complement)
    return sequences.where(sequences <= rc, rc)


def duplicate_summary(table: pd.DataFrame, examples: int) -> dict:
    """Rows repeating an earlier row of the same class (exactly, or as reverse complement),
    and sequences that occur with more than one label (conflicts), with examples."""
    key = canonical_sequences(table["sequence"])
    exact_within = int(table.duplicated(["sequence", "label"]).sum())
    any_within = int(pd.DataFrame({"k": key, "l": table["label"]}).duplicated().sum())
    labels_per_key = table["label"].groupby(key).nunique()
    conflicted = labels_per_key[labels_per_key > 1].index
    rows = table[key.isin(conflicted)]
    shown = []
    for k in list(conflicted[:examples]):
        members = table[key == k]
        shown.append(
            {
                "ids": members["id"].head(6).tolist(),
                "labels": members["label"].value_counts().sort_index().astype(int).to_dict(),
                "length": int(len(k)),
            }
        )
    return {
        "within_class_exact": exact_within,
        "within_class_reverse_complement": any_within - exact_within,
        "between_class_sequences": int(len(conflicted)),
        "between_class_rows": int(len(rows)),
        "between_class_examples": shown,
    }


def _conflict_check(duplicates: dict) -> dict:
    n = duplicates["between_class_sequences"]
    return check(
        "label_conflicts",
        "warn" if n else "pass",
        n,
        "some sequences carry two or more labels: they cannot all be predicted right; "
        "remove or relabel them",
    )


def _exact_leak_check(table: pd.DataFrame, duplicates: dict) -> dict:
    later = table["split"] != "train"
    leaked = duplicates["total_cross_split_exact"] + duplicates["total_cross_split_rc"]
    share = leaked / max(int(later.sum()), 1)
    return check(
        "exact_leakage",
        _leak_status(share),
        {"rows": leaked, "share_of_val_test": round(share, 4)},
        "validation/test rows also occur in training (or as reverse complement): --dedup rc",
    )


def _near_leakage(table: pd.DataFrame, settings: QCSettings) -> dict:
    """Near-duplicates of each later split's rows in each earlier split, at 0.9 and at the
    user threshold."""
    thresholds = sorted({NEAR_DUPLICATE, settings.threshold}, reverse=True)
    sketches = {
        s: sketch_sequences(table.loc[table["split"] == s, "sequence"].tolist(), k=settings.k)
        for s in table["split"].unique()
    }
    ids = {s: table.loc[table["split"] == s, "id"].tolist() for s in sketches}
    result = {}
    for earlier, later in _split_pairs(table):
        block = {}
        for t in thresholds:
            found = near_duplicates(sketches[later], sketches[earlier], t)
            share = len(found) / max(len(sketches[later]), 1)
            block[f"{t:g}"] = {
                "rows": int(len(found)),
                "share": round(share, 4),
                "examples": [
                    {"row": ids[later][q], "similar_to": ids[earlier][r], "similarity": round(s, 4)}
                    for q, r, s in found.sort_values("similarity")
                    .head(settings.examples)
                    .itertuples(index=False)
                ],
            }
        result[f"{earlier}-{later}"] = block
    return result


def _near_leak_check(leakage: dict, settings: QCSettings) -> dict:
    key = f"{NEAR_DUPLICATE:g}"
    shares = {pair: block[key]["share"] for pair, block in leakage.items()}
    share = max(shares.values(), default=0.0)
    return check(
        "near_duplicate_leakage",
        _leak_status(share),
        {f"share_at_{key}": shares},
        f"validation/test rows have a {NEAR_DUPLICATE:.0%}-similar sequence in training: "
        f"--dedup similar --similarity {settings.threshold:g}",
    )


def sequence_qc(table: pd.DataFrame, settings: QCSettings) -> QCResult:
    """The full QC report of a labelled sequence table (``id``, ``sequence``, ``label``,
    ``split``)."""
    table, split_source = with_splits(table, settings)
    lengths = table["sequence"].str.len()
    fixed = lengths.nunique() == 1 and lengths.iloc[0] <= POSITION_MAX_LENGTH
    features = sequence_features(table["sequence"].tolist(), positions=fixed)
    shortcuts = shortcut_summary(shortcut_table(features, table["label"]))
    duplicates = duplicate_summary(table, settings.examples)
    cross = cross_split_duplicates(table)
    leakage = {"exact_and_reverse_complement": cross, "near_duplicates": {}}
    leakage["near_duplicates"] = _near_leakage(table, settings)
    clusters = similarity_clusters(table["sequence"].tolist(), settings.threshold, k=settings.k)
    grouping = grouping_report(clusters, table["label"].to_numpy())
    checks = [
        balance_check(table),
        _shortcut_check(shortcuts),
        _conflict_check(duplicates),
        _exact_leak_check(table, cross),
        _near_leak_check(leakage["near_duplicates"], settings),
    ]
    rows = table[["label", "split"]].join(features[["length", "gc", "n_fraction"]])
    report = {
        "kind": "sequences",
        "rows": int(len(table)),
        "split_source": split_source,
        "classes": _class_counts(table),
        "composition": _composition(rows, ["length", "gc", "n_fraction"]),
        "position_features": bool(fixed),
        "shortcuts": shortcuts,
        "duplicates": duplicates,
        "leakage": leakage,
        "similarity_clusters": {"threshold": settings.threshold, "k": settings.k, **grouping},
        "checks": checks,
        "status": worst(checks),
    }
    return QCResult(report, rows)


def cheap_checks(table: pd.DataFrame) -> dict:
    """The fast checks ``train`` runs on its split table (``split`` assigned): class balance,
    single-feature shortcuts (length, GC, N, base and dinucleotide frequencies; for expression
    data library size and zero fraction), label conflicts and exact / reverse-complement
    leakage. Returns ``{"status", "checks"}``, JSON-able; ``near-duplicate`` leakage is left
    to ``genoclass data qc`` (it needs the similarity search); a table read from a packed store
    gets the checks its hashes allow (balance and exact leakage)."""
    if "sequence" in table:
        features = sequence_features(table["sequence"].tolist(), positions=False)
        checks = [
            balance_check(table),
            _shortcut_check(shortcut_summary(shortcut_table(features, table["label"]))),
            _conflict_check(duplicate_summary(table, examples=0)),
            _exact_leak_check(table, cross_split_duplicates(table)),
        ]
    elif HASH_COLUMNS[0] in table:  # a packed store: what its hashes tell, without sequences
        checks = [balance_check(table), _exact_leak_check(table, cross_split_duplicates(table))]
    else:
        features = _expression_features(_expression_values(table)[0])
        checks = [
            balance_check(table),
            _shortcut_check(shortcut_summary(shortcut_table(features, table["label"]))),
        ]
    return {"status": worst(checks), "checks": checks}


def _expression_values(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Raw values, values on a log scale (``expression.scale.log_values``) and gene names."""
    genes = [c for c in table.columns if c not in RESERVED_COLUMNS]
    raw = table[genes].to_numpy(dtype=np.float64)
    logged = log_values(raw)
    return raw, np.nan_to_num(logged), genes


def _expression_features(raw: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "library_size": np.nansum(raw, axis=1),
            "zero_fraction": (raw == 0).mean(axis=1),
            "missing_fraction": np.isnan(raw).mean(axis=1),
        }
    )


def _correlations(logged: np.ndarray) -> np.ndarray:
    """Pearson correlation between samples across genes."""
    centred = logged - logged.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(centred, axis=1, keepdims=True)
    unit = centred / np.where(norm == 0, 1, norm)
    return unit @ unit.T


def _near_identical(table: pd.DataFrame, corr: np.ndarray, examples: int) -> dict:
    """Pairs of samples correlated >= 0.99: within the data (same / other class) and rows of
    later splits near-identical to a row of an earlier split."""
    upper = np.triu(corr >= NEAR_IDENTICAL, k=1)
    i, j = np.nonzero(upper)
    labels, ids, split = (table[c].to_numpy() for c in ("label", "id", "split"))
    same = labels[i] == labels[j]
    across = {}
    for earlier, later in _split_pairs(table):
        a, b = np.flatnonzero(split == earlier), np.flatnonzero(split == later)
        best = corr[np.ix_(b, a)].max(axis=1) if len(a) and len(b) else np.zeros(len(b))
        hit = np.flatnonzero(best >= NEAR_IDENTICAL)
        partner = corr[np.ix_(b[hit], a)].argmax(axis=1) if len(hit) else []
        across[f"{earlier}-{later}"] = {
            "rows": int(len(hit)),
            "share": round(len(hit) / max(len(b), 1), 4),
            "examples": [
                {"row": ids[b[h]], "similar_to": ids[a[p]], "correlation": round(float(best[h]), 4)}
                for h, p in list(zip(hit, partner, strict=True))[:examples]
            ],
        }
    return {
        "threshold": NEAR_IDENTICAL,
        "pairs_same_class": int(same.sum()),
        "pairs_other_class": int((~same).sum()),
        "examples": [
            {"a": ids[x], "b": ids[y], "correlation": round(float(corr[x, y]), 4)}
            for x, y in list(zip(i, j, strict=True))[:examples]
        ],
        "across_splits": across,
    }


def _eta_squared(values: np.ndarray, groups: np.ndarray) -> float:
    """Share of the variance of ``values`` explained by group means."""
    frame = pd.DataFrame({"v": values, "g": groups})
    total = float(((frame["v"] - frame["v"].mean()) ** 2).sum())
    means = frame.groupby("g")["v"].transform("mean")
    return float(((means - frame["v"].mean()) ** 2).sum() / total) if total else 0.0


def _principal_components(table: pd.DataFrame, logged: np.ndarray) -> tuple[dict, np.ndarray]:
    """Top principal components of the standardised log values: variance explained, and how
    much each follows the labels (eta squared, AU-ROC) or the ``group`` column if present."""
    spread = logged.std(axis=0)
    keep = spread > 0
    scaled = (logged[:, keep] - logged[:, keep].mean(axis=0)) / spread[keep]
    n_comp = int(min(5, scaled.shape[0] - 1, scaled.shape[1]))
    pca = PCA(n_components=n_comp, random_state=0)
    scores = pca.fit_transform(scaled)
    labels = table["label"].to_numpy()
    auc = separability(scores, labels)
    components = []
    for c in range(n_comp):
        entry = {
            "component": f"PC{c + 1}",
            "variance_explained": round(float(pca.explained_variance_ratio_[c]), 4),
            "label_eta_squared": round(_eta_squared(scores[:, c], labels), 4),
            "label_auroc": round(float(auc[c]), 4),
        }
        if GROUP_COLUMN in table and table[GROUP_COLUMN].notna().any():
            groups = table[GROUP_COLUMN].astype(str).to_numpy()
            entry["group_eta_squared"] = round(_eta_squared(scores[:, c], groups), 4)
        components.append(entry)
    return {"components": components}, scores


def _batch_check(pcs: dict) -> dict:
    first = pcs["components"][0] if pcs["components"] else {"label_auroc": 0.5}
    group = max((c.get("group_eta_squared", 0) for c in pcs["components"]), default=0)
    status = "warn" if first["label_auroc"] >= 0.99 or group >= 0.5 else "pass"
    return check(
        "batch_like_structure",
        status,
        {"pc1_label_auroc": first["label_auroc"], "max_group_eta_squared": group},
        "the main axis of variation splits the classes (or follows the group column): real "
        "biology can do this, so can a batch effect; check that classes were not processed "
        "in separate batches, and group samples by batch (--group-col)",
    )


def expression_qc(table: pd.DataFrame, settings: QCSettings) -> QCResult:
    """The full QC report of a labelled expression sample table (``id``, ``label``,
    ``split`` and gene columns; optional ``group``)."""
    table, split_source = with_splits(table, settings)
    raw, logged, genes = _expression_values(table)
    features = _expression_features(raw)
    shortcuts = shortcut_summary(shortcut_table(features, table["label"]))
    near = _near_identical(table, _correlations(logged), settings.examples)
    pcs, scores = _principal_components(table, logged)
    leak_share = max((b["share"] for b in near["across_splits"].values()), default=0.0)
    checks = [
        balance_check(table),
        _shortcut_check(shortcuts),
        check(
            "near_identical_leakage",
            _leak_status(leak_share),
            {p: b["rows"] for p, b in near["across_splits"].items()},
            "validation/test samples correlate >= 0.99 with a training sample (replicates or "
            "one patient twice?): keep them together with --group-col",
        ),
        _batch_check(pcs),
    ]
    rows = table[["label", "split"]].join(features[["library_size", "zero_fraction"]])
    for c in range(min(2, scores.shape[1])):
        rows[f"PC{c + 1}"] = scores[:, c]
    report = {
        "kind": "expression",
        "rows": int(len(table)),
        "genes": len(genes),
        "split_source": split_source,
        "classes": _class_counts(table),
        "composition": _composition(rows, ["library_size", "zero_fraction"]),
        "shortcuts": shortcuts,
        "near_identical": near,
        "principal_components": pcs,
        "checks": checks,
        "status": worst(checks),
    }
    return QCResult(report, rows)
