"""The HTML report of a pretraining run: summary, loss curves against the unigram baseline,
configuration."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from genoclass.atomic import write_text_atomic
from genoclass.io.run_files import RunFiles
from genoclass.reporting.html import (
    Section,
    image_html,
    render_page,
    settings_html,
    table_html,
    text_html,
)
from genoclass.reporting.plots import figure_to_data_uri, plot_history


def write_pretrain_report(run_dir: Path) -> Path:
    """Build ``run_dir/report.html`` from metrics.json, history.csv and config.yaml."""
    run_dir = Path(run_dir)
    files = RunFiles(run_dir)
    metrics = files.read_metrics()
    config = yaml.safe_load(files.config.read_text(encoding="utf-8")) or {}
    summary = {
        k: metrics.get(k)
        for k in (
            "model",
            "objective",
            "mask_rate",
            "span",
            "window",
            "stride",
            "windows_val",
            "epochs_run",
            "train_seconds",
            "unigram_baseline_loss",
            "final_train_loss",
            "final_val_loss",
        )
    }
    history = pd.read_csv(files.history)
    fig = plot_history(history)
    fig.axes[0].axhline(
        metrics["unigram_baseline_loss"], color="#d64545", ls=":", label="unigram baseline"
    )
    fig.axes[0].legend(fontsize=8)
    sections = [
        Section("Summary", table_html({k: v for k, v in summary.items() if v is not None})),
        Section(
            "Loss curves",
            image_html(figure_to_data_uri(fig), "masked-reconstruction loss per epoch"),
        ),
        Section(
            "How to use it",
            text_html(
                "model/ holds the pretrained trunk (its classification head is untrained): "
                "start a classifier from it with `genoclass train --init "
                f"{run_dir.name} --model {metrics.get('model')}`."
            ),
        ),
        Section("Configuration", settings_html(config)),
    ]
    page = render_page(f"genoclass pretraining: {metrics.get('model')}", sections)
    return write_text_atomic(files.report, page)
