"""Interpretation: attributions (captum, ISM), seqlets, JASPAR-matched motifs, biomarkers."""
