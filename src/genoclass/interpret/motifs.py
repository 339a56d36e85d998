"""Motifs from seqlets, and their matches in JASPAR.

Seqlets are compared by the cosine similarity of their contribution windows (best shift
and strand), clustered by average linkage, aligned to each cluster's most central seqlet
and averaged into a position weight matrix (PWM) and a contribution weight matrix (CWM).
Only motifs that pass ``MotifThresholds`` (seqlet support, width, information content) are
reported. PWMs are matched to the JASPAR database that ships with ``pyjaspar`` (a local
SQLite file: nothing is downloaded) with Tomtom (``memelite``), which gives p-values
corrected for motif length and information content; a transcription-factor name is given
only when the match's E-value is below the cut-off (Tomtom's own default, 0.05 in the sense
of expected false matches per query). The column-wise Pearson correlation after the best
alignment is reported next to it as an easily read similarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import torch
from sklearn.cluster import AgglomerativeClustering

from genoclass.alphabet import BASES
from genoclass.interpret.seqlets import extract_seqlets


@dataclass
class Motif:
    """A motif learned from clustered seqlets: PWM and CWM are (4, width), rows A C G T."""

    pwm: np.ndarray
    cwm: np.ndarray
    n_seqlets: int
    members: np.ndarray

    @property
    def consensus(self) -> str:
        """Most probable base per column; lower case where it has under 50 % probability."""
        return consensus(self.pwm)


@dataclass(frozen=True)
class MotifThresholds:
    """What a seqlet cluster needs to be reported as a motif, and to carry a TF name.

    Support: at least ``min_seqlets`` seqlets, from at least ``min_support`` of the explained
    sequences of its class (a pattern the model uses in a handful of sequences is not a
    class motif). Shape: at least ``min_width`` positions after trimming (TF sites are 6-20
    nt; 1-3 nt "motifs" match almost any matrix) and at least ``min_bits`` of information in
    total (8 bits = four fully conserved bases, found by chance every 256 nt). Names: a
    JASPAR match is named only at a Tomtom E-value below ``max_evalue``.
    """

    min_seqlets: int = 10
    min_support: float = 0.05
    min_width: int = 6
    min_bits: float = 8.0
    max_evalue: float = 0.05

    def describe(self) -> list[str]:
        """The thresholds as sentences for a report."""
        return [
            f"Support: at least {self.min_seqlets} seqlets, from at least "
            f"{self.min_support:.0%} of the explained sequences of the class.",
            f"Shape: at least {self.min_width} nt wide after trimming, with at least "
            f"{self.min_bits:g} bits of information in total (a uniform background has 0 bits; "
            "a fully conserved base adds 2).",
            f"Transcription-factor names: only for JASPAR matches with a Tomtom E-value below "
            f"{self.max_evalue:g} (E-value = p-value x number of JASPAR matrices searched).",
        ]


def rejection_reasons(candidates: pd.DataFrame, thresholds: MotifThresholds) -> list[str]:
    """Why each candidate motif (a row with ``n_seqlets``, ``n_sequences`` holding them,
    ``n_explained`` sequences of its class, ``width`` and ``information_bits``) fails
    ``thresholds``: "" where it passes, else the failed checks joined by "; "."""
    t = thresholds
    checks = [
        (candidates["n_seqlets"] < t.min_seqlets, f"fewer than {t.min_seqlets} seqlets"),
        (
            candidates["n_sequences"] < t.min_support * candidates["n_explained"],
            f"in under {t.min_support:.0%} of the sequences",
        ),
        (candidates["width"] < t.min_width, f"narrower than {t.min_width} nt"),
        (candidates["information_bits"] < t.min_bits, f"under {t.min_bits:g} bits"),
    ]
    failed = np.column_stack([np.asarray(f, dtype=bool) for f, _ in checks])
    return ["; ".join(r for (_, r), bad in zip(checks, row, strict=True) if bad) for row in failed]


@dataclass(frozen=True)
class KnownMotif:
    """One JASPAR matrix: identifier, transcription-factor name and PWM (4, width)."""

    matrix_id: str
    name: str
    pwm: np.ndarray


def consensus(pwm: np.ndarray) -> str:
    """Consensus string of a PWM (4, width); lower case where the top base is under 50 %."""
    top = pwm.argmax(axis=0)
    return "".join(BASES[b] if pwm[b, i] >= 0.5 else BASES[b].lower() for i, b in enumerate(top))


def information_content(pwm: np.ndarray) -> np.ndarray:
    """Bits of information of each PWM column against a uniform background."""
    p = np.clip(pwm, 1e-9, 1.0)
    return 2.0 + (p * np.log2(p)).sum(axis=0)


def reverse_complement(matrix: np.ndarray) -> np.ndarray:
    """Reverse complement of a (4, width) matrix with rows A C G T."""
    return matrix[::-1, ::-1].copy()


def seqlet_windows(array: np.ndarray, seqlets: pd.DataFrame, flank: int) -> np.ndarray:
    """Windows (n, C, width + 2 * flank) of ``array`` (examples, C, L) around each seqlet,
    zero where a window runs past the sequence ends."""
    width = int((seqlets["end"] - seqlets["start"]).iloc[0]) + 2 * flank
    padded = np.pad(array, ((0, 0), (0, 0), (flank, flank)))
    cols = seqlets["start"].to_numpy()[:, None] + np.arange(width)[None, :]
    return padded[seqlets["example"].to_numpy()[:, None], :, cols].transpose(0, 2, 1)


def seqlet_similarity(
    contributions: np.ndarray, flank: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best cosine similarity of every seqlet core to every seqlet's flanked window, over
    shifts of up to ``flank`` positions and both strands. ``contributions`` is
    (n, 4, core + 2 * flank); returns ``(similarity, shift, strand)``, each (n, n), where
    entry [i, j] aligns seqlet j onto seqlet i (strand 1 = reverse complement)."""
    windows = torch.as_tensor(contributions, dtype=torch.float32)
    core = windows[:, :, flank : windows.shape[-1] - flank]
    core = core / core.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None]
    ones = torch.ones(1, 1, core.shape[-1])
    segment_norm = torch.conv1d(windows.pow(2).sum(1, keepdim=True), ones).sqrt().clamp_min(1e-12)
    scores = torch.stack(
        [
            torch.conv1d(windows, core) / segment_norm,
            torch.conv1d(windows, core.flip(1, 2)) / segment_norm,
        ]
    )  # (strand, i, j, shift)
    best_shift = scores.amax(-1)
    strand = best_shift.argmax(0)
    shift = scores.argmax(-1).gather(0, strand[None])[0]
    return best_shift.amax(0).numpy(), shift.numpy(), strand.numpy()


def cluster_seqlets(similarity: np.ndarray, min_similarity: float = 0.5) -> np.ndarray:
    """Cluster labels of seqlets by average linkage on ``1 - similarity`` (symmetrised),
    merging clusters while their mean similarity is at least ``min_similarity``."""
    if len(similarity) < 2:
        return np.zeros(len(similarity), dtype=int)
    distance = 1.0 - (similarity + similarity.T) / 2.0
    np.fill_diagonal(distance, 0.0)
    return AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - min_similarity,
    ).fit_predict(np.clip(distance, 0.0, None))


def aligned_windows(
    array: np.ndarray, seqlets: pd.DataFrame, shift: np.ndarray, strand: np.ndarray, flank: int
) -> np.ndarray:
    """Windows of ``array`` (examples, 4, L) placed in one reference seqlet's flanked frame:
    seqlet k's core starts at ``shift[k]`` of that frame, reverse complemented where
    ``strand[k]`` is 1. Returns (n, 4, core + 2 * flank)."""
    core = int((seqlets["end"] - seqlets["start"]).iloc[0])
    width = core + 2 * flank
    pad = width
    padded = np.pad(array, ((0, 0), (0, 0), (pad, pad)))
    frame = np.arange(width)[None, :]
    start = seqlets["start"].to_numpy()[:, None] + pad
    forward = start - shift[:, None] + frame
    backward = start + core - 1 + shift[:, None] - frame
    cols = np.where(strand[:, None] == 1, backward, forward)
    windows = padded[seqlets["example"].to_numpy()[:, None], :, cols].transpose(0, 2, 1)
    flip = strand == 1
    windows[flip] = windows[flip][:, ::-1, :]
    return windows


def trim_span(
    cwm: np.ndarray, pwm: np.ndarray, fraction: float = 0.3, min_bits: float = 0.2
) -> slice:
    """Columns from the first to the last whose absolute contribution reaches ``fraction``
    of the largest one, widened on each side while the aligned sequences keep at least
    ``min_bits`` of information per column (the model may rely on the core of a site only,
    but the sites' flanking bases still belong to the motif)."""
    weight = np.abs(cwm.sum(axis=0))
    kept = np.flatnonzero(weight >= fraction * weight.max())
    start, stop = int(kept[0]), int(kept[-1]) + 1
    bits = information_content(pwm)
    while start > 0 and bits[start - 1] >= min_bits:
        start -= 1
    while stop < len(bits) and bits[stop] >= min_bits:
        stop += 1
    return slice(start, stop)


def build_motifs(
    onehot: np.ndarray,
    contributions: np.ndarray,
    seqlets: pd.DataFrame,
    *,
    flank: int = 5,
    min_similarity: float = 0.5,
    min_seqlets: int = 10,
    max_seqlets: int = 1000,
) -> list[Motif]:
    """Motifs from the strongest ``max_seqlets`` seqlets of one-hot sequences and their
    contributions (both (examples, 4, L)): clusters of at least ``min_seqlets`` seqlets,
    aligned, averaged and trimmed, largest cluster first."""
    seqlets = seqlets.head(max_seqlets).reset_index(drop=True)
    if len(seqlets) < min_seqlets:
        return []
    similarity, shift, strand = seqlet_similarity(
        seqlet_windows(contributions, seqlets, flank), flank
    )
    labels = cluster_seqlets(similarity, min_similarity)
    sizes = np.bincount(labels)
    motifs = []
    for label in np.argsort(-sizes):
        members = np.flatnonzero(labels == label)
        if len(members) < min_seqlets:
            break
        centre = members[similarity[np.ix_(members, members)].sum(1).argmax()]
        rows = seqlets.iloc[members]
        args = (rows, shift[centre, members], strand[centre, members], flank)
        counts = aligned_windows(onehot, *args).sum(0) + 0.5  # pseudocount per base
        pwm = counts / counts.sum(0, keepdims=True)
        cwm = aligned_windows(contributions, *args).mean(0)
        span = trim_span(cwm, pwm)
        motifs.append(Motif(pwm[:, span], cwm[:, span], len(members), rows.index.to_numpy()))
    return motifs


@lru_cache(maxsize=4)
def jaspar_motifs(collection: str = "CORE", tax_group: str = "vertebrates") -> list[KnownMotif]:
    """The latest version of every JASPAR matrix of ``collection`` and ``tax_group`` from the
    SQLite database bundled with pyjaspar (read locally; nothing is downloaded)."""
    from pyjaspar import jaspardb

    found = jaspardb().fetch_motifs(collection=[collection], tax_group=[tax_group])
    return [KnownMotif(m.matrix_id, m.name, _counts_to_pwm(m.counts)) for m in found]


def jaspar_motif(matrix_id: str) -> KnownMotif:
    """One JASPAR matrix by identifier (e.g. ``MA0139.2``) from pyjaspar's local database."""
    from pyjaspar import jaspardb

    found = jaspardb().fetch_motif_by_id(matrix_id)
    return KnownMotif(found.matrix_id, found.name, _counts_to_pwm(found.counts))


def _counts_to_pwm(counts: object) -> np.ndarray:
    """(4, width) probabilities from a Biopython counts matrix, with a small pseudocount."""
    matrix = np.array([counts[b] for b in BASES], dtype=np.float64) + 0.01
    return matrix / matrix.sum(axis=0, keepdims=True)


def aligned_pearson(query: np.ndarray, target: np.ndarray) -> tuple[float, int, int]:
    """Mean column-wise Pearson correlation of two PWMs (4, width) at their best alignment
    over offsets and both strands of ``target``, with an overlap of at least three quarters
    of the shorter motif; returns ``(r, offset of target in query, strand)``."""
    best = (-1.0, 0, 0)
    min_overlap = max(1, int(np.ceil(0.75 * min(query.shape[1], target.shape[1]))))
    for strand, t in enumerate((target, reverse_complement(target))):
        for offset in range(min_overlap - t.shape[1], query.shape[1] - min_overlap + 1):
            q_cols = np.arange(max(offset, 0), min(query.shape[1], offset + t.shape[1]))
            r = _column_pearson(query[:, q_cols], t[:, q_cols - offset]).mean()
            if r > best[0]:
                best = (float(r), offset, strand)
    return best


def _column_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of matching columns of two (4, n) matrices (0 for flat columns)."""
    a = a - a.mean(0)
    b = b - b.mean(0)
    denominator = np.sqrt((a**2).sum(0) * (b**2).sum(0))
    return np.divide((a * b).sum(0), denominator, out=np.zeros(a.shape[1]), where=denominator > 0)


#: columns of ``match_motifs``
MATCH_COLUMNS = [
    "jaspar_id",
    "jaspar_name",
    "tomtom_pvalue",
    "tomtom_evalue",
    "offset",
    "overlap",
    "strand",
    "pearson_r",
    "next_matches",
]


def match_motifs(
    pwms: list[np.ndarray],
    database: list[KnownMotif],
    *,
    top: int = 3,
    max_evalue: float = MotifThresholds.max_evalue,
) -> pd.DataFrame:
    """Best JASPAR matches of each PWM by Tomtom p-value: one row per query with the best
    hit's p-value and E-value (p-value x database size) always, and only when that E-value is
    below ``max_evalue`` the match itself (id, name, offset, overlap, strand, aligned Pearson
    r) and the next ``top - 1`` matches below the cut-off as text; otherwise those are empty."""
    from memelite import tomtom

    if not pwms:
        return pd.DataFrame(columns=MATCH_COLUMNS)
    targets = [m.pwm for m in database]
    p_values, _, offsets, overlaps, strands = tomtom(pwms, targets, n_jobs=1)
    e_values = p_values * len(database)
    rows = []
    for q, query in enumerate(pwms):
        order = np.argsort(p_values[q])[:top]
        best = order[0]
        row: dict[str, object] = {
            "tomtom_pvalue": float(p_values[q, best]),
            "tomtom_evalue": float(e_values[q, best]),
        }
        significant = [i for i in order if e_values[q, i] < max_evalue]
        if significant:
            r, _, _ = aligned_pearson(query, database[best].pwm)
            row.update(
                jaspar_id=database[best].matrix_id,
                jaspar_name=database[best].name,
                offset=int(offsets[q, best]),
                overlap=int(overlaps[q, best]),
                strand="-" if strands[q, best] else "+",
                pearson_r=round(r, 4),
                next_matches="; ".join(
                    f"{database[i].matrix_id} {database[i].name} (E={e_values[q, i]:.2g})"
                    for i in significant[1:]
                ),
            )
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=MATCH_COLUMNS)


#: what ``discover_motifs`` records of each candidate motif
CANDIDATE_COLUMNS = [
    "class",
    "cluster",
    "n_seqlets",
    "n_sequences",
    "n_explained",
    "width",
    "consensus",
    "information_bits",
    "mean_contribution",
    "pwm",
    "cwm",
]


def discover_motifs(
    onehot: np.ndarray,
    contributions: np.ndarray,
    lengths: np.ndarray,
    target: np.ndarray,
    targets: list[int],
    classes: list[str],
    width: int,
    thresholds: MotifThresholds,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Motifs per explained class from one-hot sequences ``(n, 4, L)``, their per-base
    contributions (same shape), lengths and class indices ``target``: seqlets of width
    ``width``, clustered into motifs; those that pass ``thresholds`` with their statistics
    and JASPAR matches (the PWM and CWM ride along in object columns for plots), and the
    rejected candidates with the reason."""
    records = []
    for c in targets:
        chosen = target == c
        scores = contributions[chosen].sum(1)
        seqlets = extract_seqlets(scores, lengths[chosen], width=width)
        found = build_motifs(
            onehot[chosen], contributions[chosen], seqlets, min_seqlets=thresholds.min_seqlets
        )
        for k, motif in enumerate(found):
            records.append(
                {
                    "class": classes[c],
                    "cluster": k + 1,
                    "n_seqlets": motif.n_seqlets,
                    "n_sequences": int(seqlets.loc[motif.members, "example"].nunique()),
                    "n_explained": int(chosen.sum()),
                    "width": motif.pwm.shape[1],
                    "consensus": motif.consensus,
                    "information_bits": round(float(information_content(motif.pwm).sum()), 3),
                    "mean_contribution": float(motif.cwm.sum()),
                    "pwm": motif.pwm,
                    "cwm": motif.cwm,
                }
            )
    candidates = pd.DataFrame(records, columns=CANDIDATE_COLUMNS)
    candidates["rejected_because"] = rejection_reasons(candidates, thresholds)
    reported = candidates["rejected_because"] == ""
    motifs = candidates[reported].drop(columns=["rejected_because"]).reset_index(drop=True)
    rank = motifs.groupby("class", sort=False).cumcount() + 1
    motifs.insert(1, "motif", motifs["class"] + "_" + rank.astype(str))
    rejected = candidates[~reported].drop(columns=["pwm", "cwm"]).reset_index(drop=True)
    matches = match_motifs(list(motifs["pwm"]), jaspar_motifs(), max_evalue=thresholds.max_evalue)
    return pd.concat([motifs, matches], axis=1), rejected
