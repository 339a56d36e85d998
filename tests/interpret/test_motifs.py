"""Motif building and JASPAR matching (offline)."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest

from genoclass.data.synthetic import sample_pwm
from genoclass.interpret.motifs import (
    MATCH_COLUMNS,
    MotifThresholds,
    aligned_pearson,
    build_motifs,
    consensus,
    jaspar_motifs,
    match_motifs,
    rejection_reasons,
    reverse_complement,
)
from genoclass.sequence.encoding import one_hot


def test_jaspar_is_read_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    jaspar_motifs.cache_clear()
    database = jaspar_motifs()
    assert len(database) > 500
    assert any(m.name == "CTCF" for m in database)
    assert all(np.allclose(m.pwm.sum(0), 1.0) for m in database[:20])


def test_aligned_pearson_finds_shift_and_strand(ctcf) -> None:
    inner = ctcf.pwm[:, 3:15]
    r, offset, strand = aligned_pearson(reverse_complement(inner), ctcf.pwm)
    assert r > 0.999 and strand == 1


def test_motif_built_from_planted_seqlets_matches_jaspar(ctcf) -> None:
    """Sites of CTCF at known positions, contributions on the site only, some sites on the
    reverse strand: clustering must align both strands into CTCF's PWM."""
    rng = np.random.default_rng(0)
    n, length, width = 120, 60, ctcf.pwm.shape[1]
    tokens = rng.integers(1, 5, size=(n, length)).astype(np.uint8)
    starts = rng.integers(0, length - width, size=n)
    sites = sample_pwm(ctcf.pwm.T, n, rng) + 1
    reverse = rng.random(n) < 0.5
    sites[reverse] = (5 - sites[reverse])[:, ::-1]  # reverse complement in token ids
    tokens[np.arange(n)[:, None], starts[:, None] + np.arange(width)] = sites
    onehot = one_hot(tokens)
    weights = np.zeros((n, length))
    weights[np.arange(n)[:, None], starts[:, None] + np.arange(width)] = 1.0
    contributions = onehot * weights[:, None, :]
    seqlets = pd.DataFrame({"example": np.arange(n), "start": starts + 4, "score": 1.0})
    seqlets["end"] = seqlets["start"] + 10
    motifs = build_motifs(onehot, contributions, seqlets, flank=5)
    assert motifs[0].n_seqlets >= 0.9 * n
    match = match_motifs([motifs[0].pwm], jaspar_motifs()).iloc[0]
    assert match["jaspar_name"] == "CTCF" and match["pearson_r"] > 0.9
    assert len(consensus(motifs[0].pwm)) == motifs[0].pwm.shape[1]


def test_candidates_failing_a_threshold_are_rejected_with_the_reason() -> None:
    candidates = pd.DataFrame(
        {
            "n_seqlets": [120, 12, 40, 40],
            "n_sequences": [100, 12, 3, 40],
            "n_explained": [200, 200, 200, 200],
            "width": [12, 2, 8, 15],
            "information_bits": [18.5, 3.9, 10.0, 4.7],
        }
    )
    reasons = rejection_reasons(candidates, MotifThresholds())
    assert reasons[0] == ""
    assert reasons[1] == "narrower than 6 nt; under 8 bits"  # a 2-nt "motif"
    assert reasons[2] == "in under 5% of the sequences"
    assert reasons[3] == "under 8 bits"  # wide but nearly flat
    assert rejection_reasons(candidates, MotifThresholds(min_bits=4.0))[3] == ""


def test_tf_names_only_below_the_evalue_cutoff(ctcf) -> None:
    dinucleotide = np.full((4, 2), 0.01)
    dinucleotide[1] = 0.97  # "CC"
    table = match_motifs([dinucleotide, ctcf.pwm], jaspar_motifs())
    assert list(table.columns) == MATCH_COLUMNS
    short, planted = table.iloc[0], table.iloc[1]
    assert short["tomtom_evalue"] >= 0.05 and pd.isna(short["jaspar_name"])
    assert pd.isna(short["next_matches"]) and pd.isna(short["pearson_r"])
    assert planted["jaspar_name"] == "CTCF" and planted["tomtom_evalue"] < 0.05
    strict = match_motifs([ctcf.pwm], jaspar_motifs(), max_evalue=0.0)
    assert strict["jaspar_name"].isna().all()
    assert "E-value below 0.05" in " ".join(MotifThresholds().describe())
