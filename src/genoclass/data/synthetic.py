"""Synthetic data with planted ground truth, for the demo and for checking interpretation.

Sequences: uniform random background; each class (but an optional background class)
carries a motif sampled from its position weight matrix at a random, recorded position.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from genoclass.alphabet import BASES

#: the demo's 12-nt motif; sites are drawn with 95 % on each consensus base
DEMO_CONSENSUS = "TTGACGTCAGCA"
DEMO_STRENGTH = 0.95


def consensus_pwm(consensus: str, strength: float = 0.9) -> np.ndarray:
    """A PWM (L, 4) putting ``strength`` on each consensus base, the rest spread evenly."""
    pwm = np.full((len(consensus), 4), (1 - strength) / 3)
    pwm[np.arange(len(consensus)), [BASES.index(b) for b in consensus]] = strength
    return pwm


def sample_pwm(pwm: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` sites drawn from ``pwm``: uint8 array (n, L) of indices into ACGT."""
    cumulative = np.cumsum(pwm, axis=1)
    draws = rng.random((n, len(pwm), 1))
    return (draws > cumulative[None, :, :]).sum(-1).astype(np.uint8).clip(0, 3)


def planted_motif_sequences(
    n_per_class: int,
    length: int,
    motifs: dict[str, np.ndarray | None],
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """Labelled sequences with one motif planted per sequence of each motif class.

    ``motifs`` maps a class name to its PWM (L, 4), or to None for a background class.
    The table has ``id, sequence, label, motif_start, motif_end`` (start/end -1 when no
    motif was planted), rows shuffled deterministically by ``seed``.
    """
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(BASES.encode(), dtype=np.uint8)
    frames = []
    for label, pwm in motifs.items():
        background = rng.integers(0, 4, size=(n_per_class, length), dtype=np.uint8)
        start = np.full(n_per_class, -1)
        end = np.full(n_per_class, -1)
        if pwm is not None:
            width = len(pwm)
            start = rng.integers(0, length - width + 1, size=n_per_class)
            end = start + width
            cols = start[:, None] + np.arange(width)[None, :]
            background[np.arange(n_per_class)[:, None], cols] = sample_pwm(pwm, n_per_class, rng)
        text = letters[background].tobytes().decode("ascii")
        seqs = [text[i * length : (i + 1) * length] for i in range(n_per_class)]
        frames.append(
            pd.DataFrame({"sequence": seqs, "label": label, "motif_start": start, "motif_end": end})
        )
    table = pd.concat(frames, ignore_index=True)
    table = table.iloc[rng.permutation(len(table))].reset_index(drop=True)
    table.insert(0, "id", [f"seq{i:05d}" for i in range(len(table))])
    return table


def demo_sequences(seed: int = 0, n_per_class: int = 2500, length: int = 200) -> pd.DataFrame:
    """The demo's binary task: ``motif`` sequences carry DEMO_CONSENSUS, ``background`` none."""
    return planted_motif_sequences(
        n_per_class,
        length,
        {"background": None, "motif": consensus_pwm(DEMO_CONSENSUS, DEMO_STRENGTH)},
        seed=seed,
    )
