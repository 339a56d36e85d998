"""tune_report.html: every value of every ordered-grid step is plotted, including a trial the
step reused from an earlier step; the search is shown in words."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from genoclass.reporting.tune_report import (
    plot_criteria,
    step_trials,
    value_index,
    write_tune_report,
)

STEPS = [
    {"step": 1, "param": "C", "values": [0.0001, 1.0], "scores": [-2.0, 5.0], "chosen": 1.0},
    {"step": 2, "param": "max_iter", "values": [50, 500], "scores": [5.0, -2.0], "chosen": 50},
]


def fabricate_tune(tune_dir: Path) -> Path:
    """An ordered grid over C then max_iter: step 2 reuses trial 1 (C=1, max_iter=50), which
    trials.csv tags with step C."""
    tune_dir.mkdir()
    trials = pd.DataFrame(
        {
            "trial": [0, 1, 2],
            "state": "COMPLETE",
            "C": [0.0001, 1.0, 1.0],
            "max_iter": [50, 50, 500],
            "value": [0.3, 0.9, 0.8],
            "accuracy": [0.3, 0.9, 0.8],
            "f1_macro": [0.2, 0.9, 0.7],
            "val_loss": [1.1, 0.3, 0.4],
            "step": ["C", "C", "max_iter"],
        }
    )
    trials.to_csv(tune_dir / "trials.csv", index=False)
    best = {
        "model": "logistic_regression",
        "strategy": "ordered-grid",
        "objective": "integrated_f1",
        "order": ["C", "max_iter"],
        "best": {"C": 1.0, "max_iter": 50},
        "steps": STEPS,
        "n_trials": 3,
    }
    (tune_dir / "best.json").write_text(json.dumps(best))
    return tune_dir


def test_a_step_keeps_the_trial_it_reused(tmp_path: Path) -> None:
    trials = pd.read_csv(fabricate_tune(tmp_path / "tune") / "trials.csv")
    order = ["C", "max_iter"]
    assert step_trials(trials, STEPS, order, "C")["trial"].tolist() == [0, 1]
    rows = step_trials(trials, STEPS, order, "max_iter")
    assert rows["trial"].tolist() == [1, 2]  # trial 1 is tagged "C" but belongs here too
    rows = rows.assign(value_index=value_index(rows["max_iter"], [50, 500]))
    fig = plot_criteria(rows, "max_iter", ["50", "500"], None)
    accuracy = fig.axes[0].lines[0].get_ydata()
    assert np.allclose(accuracy, [0.9, 0.8])  # both values drawn, none missing


def test_value_index_matches_numbers_read_back_from_csv() -> None:
    column = pd.Series([50.0, 500.0, 7.0, "[16, 32]"])
    assert value_index(column, [50, 500, 8, [16, 32]]).tolist() == [0, 1, -1, 3]


def test_page_shows_the_search_in_words(tmp_path: Path) -> None:
    tune_dir = fabricate_tune(tmp_path / "tune")
    page = write_tune_report(tune_dir, {"C": [0.0001, 1.0], "max_iter": [50, 500]}).read_text()
    best = page[page.index('<section id="best-configuration">') :]
    best = best[: best.index("</section>")]
    assert "{" not in best and "<pre>" not in best
    assert "<td>0.0001, 1.0</td>" in best and "<td>-2.000, 5.000</td>" in best
    assert page.count('<img src="data:image/png;base64,') == 2
    assert "The best configuration was not retrained." in page
