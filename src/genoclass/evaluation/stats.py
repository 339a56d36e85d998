"""Comparing models over seeds or folds: paired tests and mean ± sd tables."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

# Below this many pairs the Wilcoxon signed-rank test cannot reach p < 0.05 (two-sided).
WILCOXON_MIN_N = 6


def paired_test(a: ArrayLike, b: ArrayLike) -> dict:
    """Compare two models' scores paired by seed or fold (``a[i]`` and ``b[i]`` share a split):
    returns the mean and sd of the differences a - b, a paired t-test (the primary test, since
    the pairs share splits) and, when there are at least six pairs, a Wilcoxon signed-rank
    test; undefined statistics are None and ``note`` warns when the power is low."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two 1-D arrays of equal length, got {a.shape} and {b.shape}")
    diff = a - b
    n = len(diff)
    t_stat, t_p = _finite(stats.ttest_rel(a, b)) if n > 1 else (None, None)
    w_stat, w_p = (None, None)
    if n >= WILCOXON_MIN_N and np.any(diff != 0):
        w_stat, w_p = _finite(stats.wilcoxon(a, b))
    return {
        "n": n,
        "mean_diff": float(diff.mean()) if n else None,
        "sd_diff": float(diff.std(ddof=1)) if n > 1 else None,
        "primary": "paired_t",
        "t_statistic": t_stat,
        "t_pvalue": t_p,
        "wilcoxon_statistic": w_stat,
        "wilcoxon_pvalue": w_p,
        "note": _power_note(n),
    }


#: p-value of the paired t-test below which a lead counts as beyond seed noise
LEAD_ALPHA = 0.05


def describe_lead(
    best: str, other: str, a: ArrayLike, b: ArrayLike, metric: str, test: dict | None = None
) -> dict:
    """Whether ``best``'s lead over ``other`` (scores ``a`` and ``b`` paired by seed) is
    beyond seed noise: a paired t-test p below ``LEAD_ALPHA`` (``test``: their
    ``paired_test`` when already computed); returns the lead, the two seed spreads (sd), p,
    ``within_noise`` and a sentence saying so."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    test = test or paired_test(a, b)
    lead = float(a.mean() - b.mean())
    sds = [float(x.std(ddof=1)) if len(x) > 1 else None for x in (a, b)]
    p = test["t_pvalue"]
    within = p is None or p >= LEAD_ALPHA
    if test["n"] < 2:
        how = "one seed: the seed noise is unknown (use --seeds 5 or more)"
    else:
        verdict = "within seed noise" if within else "beyond seed noise"
        p_text = "undefined (identical differences)" if p is None else f"{p:.3g}"
        how = (
            f"{verdict}: paired t-test p = {p_text} over {test['n']} seeds; "
            f"seed sd {sds[0]:.3f} ({best}) and {sds[1]:.3f} ({other})"
        )
    return {
        "other": other,
        "lead": lead,
        "sd_best": sds[0],
        "sd_other": sds[1],
        "t_pvalue": p,
        "within_noise": within,
        "text": f"{best} leads {other} by {lead:.3f} {metric}, {how}",
    }


def summarize_runs(
    df: pd.DataFrame, metrics: Sequence[str], by: str | list[str] = "model"
) -> pd.DataFrame:
    """Summarise one-row-per-run results as one row per group of ``by`` with columns
    ``<metric>_mean`` and ``<metric>_sd`` (ddof=1, NaN for a single run) for each metric and
    ``n`` runs, keeping the groups in order of first appearance."""
    keys = [by] if isinstance(by, str) else list(by)
    grouped = df.groupby(keys, sort=False)
    out = grouped.size().rename("n").to_frame()
    for metric in metrics:
        out[f"{metric}_mean"] = grouped[metric].mean()
        out[f"{metric}_sd"] = grouped[metric].std(ddof=1)
    columns = [c for m in metrics for c in (f"{m}_mean", f"{m}_sd")] + ["n"]
    return out[columns].reset_index()


def _finite(result: tuple[float, float]) -> tuple[float | None, float | None]:
    return tuple(None if math.isnan(v) else float(v) for v in result[:2])


def _power_note(n: int) -> str:
    if n < 2:
        return "fewer than two pairs: no test is possible."
    if n < WILCOXON_MIN_N:
        return (
            f"only {n} pairs: the paired t-test has low power (only large, consistent "
            "differences reach significance) and the Wilcoxon test is not computed."
        )
    return "paired t-test is primary; Wilcoxon signed-rank is reported as a check."
