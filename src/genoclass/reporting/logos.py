"""Interpretation figures: sequence logos (logomaker), attribution profiles and gene bars.

Like ``reporting.plots``, every function returns a matplotlib Figure built without pyplot.
"""

from __future__ import annotations

import logomaker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from genoclass.alphabet import BASES


def _matrix_frame(matrix: np.ndarray, first_position: int = 1) -> pd.DataFrame:
    """logomaker's layout (positions x A C G T) of a (4, width) matrix, rows indexed by the
    1-based position of each column."""
    matrix = np.asarray(matrix, dtype=float)
    positions = np.arange(first_position, first_position + matrix.shape[1])
    return pd.DataFrame(matrix.T, columns=list(BASES), index=positions)


def plot_logo(
    matrix: np.ndarray,
    title: str,
    *,
    ylabel: str = "attribution",
    first_position: int = 1,
    xlabel: str = "position in sequence (nt)",
) -> Figure:
    """A logo of a (4, width) matrix: letter heights are the values (negative ones drawn
    below the axis), as for attribution maps or contribution weight matrices; the x axis
    counts whole bases from ``first_position`` (1-based)."""
    width = matrix.shape[1]
    fig = Figure(figsize=(min(max(3.0, 0.12 * width + 1.5), 16.0), 2.0), layout="constrained")
    ax = fig.subplots()
    logomaker.Logo(_matrix_frame(matrix, first_position), ax=ax, color_scheme="classic")
    ax.axhline(0, color="grey", lw=0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title=title, ylabel=ylabel, xlabel=xlabel)
    return fig


def plot_pwm_logo(pwm: np.ndarray, title: str) -> Figure:
    """An information-content logo (bits) of a PWM (4, width), positions 1..width."""
    bits = logomaker.transform_matrix(
        _matrix_frame(pwm), from_type="probability", to_type="information"
    )
    return plot_logo(bits.to_numpy().T, title, ylabel="bits", xlabel="position in motif (nt)")


def plot_cwm_logo(cwm: np.ndarray, title: str) -> Figure:
    """A contribution logo of a motif's CWM (4, width), positions 1..width."""
    return plot_logo(cwm, title, xlabel="position in motif (nt)")


def plot_profiles(profiles: dict[str, np.ndarray], title: str) -> Figure:
    """Mean per-position attribution of each class (one line per class), positions counted
    in whole bases from 1."""
    fig = Figure(figsize=(8.0, 3.0), layout="constrained")
    ax = fig.subplots()
    for name, profile in profiles.items():
        ax.plot(np.arange(1, len(profile) + 1), profile, lw=1.0, label=name)
    ax.axhline(0, color="grey", lw=0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title=title, xlabel="position in sequence (nt)", ylabel="mean attribution")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_gene_bars(table: pd.DataFrame, title: str) -> Figure:
    """Horizontal bars of the biomarker ``score`` of each gene in ``table`` (one class),
    coloured by direction (up red, down blue), best gene on top."""
    table = table.sort_values("rank", ascending=False)
    fig = Figure(figsize=(5.0, 0.22 * len(table) + 1.0), layout="constrained")
    ax = fig.subplots()
    colours = np.where(table["direction"] == "up", "#c0392b", "#2c7fb8")
    ax.barh(table["gene"].astype(str), table["score"], color=colours)
    ax.set(title=title, xlabel="score")
    ax.tick_params(axis="y", labelsize=7)
    return fig
