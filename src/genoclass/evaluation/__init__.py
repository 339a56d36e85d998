"""Metrics, bootstrap confidence intervals, integrated F1 and model-comparison statistics."""
