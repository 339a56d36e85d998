"""Plots and self-contained HTML reports."""
