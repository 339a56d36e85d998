"""comparison.html: protocol and results as tables in words, one number format."""

from __future__ import annotations

import json
from pathlib import Path

from genoclass.reporting.compare_report import write_compare_report


def fabricate_compare(out: Path) -> Path:
    out.mkdir()
    runs = [
        {"model": m, "seed": s, "accuracy": a, "params": 186, "epochs_run": None}
        for m, s, a in (("lr", 42, 0.91), ("lr", 43, 0.93), ("svm", 42, 0.88), ("svm", 43, 0.9))
    ]
    summary = [
        {"model": "lr", "accuracy_mean": 0.92, "accuracy_sd": 0.0141, "n": 2},
        {"model": "svm", "accuracy_mean": 0.89, "accuracy_sd": 0.0141, "n": 2},
    ]
    result = {
        "metric": "accuracy",
        "best_model": "lr",
        "summary": summary,
        "runs": runs,
        "paired_tests": {
            "svm": {
                "n": 2,
                "mean_diff": 0.03,
                "sd_diff": 0.0,
                "t_pvalue": None,
                "wilcoxon_pvalue": None,
            }
        },
        "test_choice": "Paired t-test on the per-seed differences.",
        "averaging": {"accuracy": "Fraction of correct predictions."},
        "protocol": {
            "config": {"data": "m.csv", "model_params": {}, "lr": 0.001, "augment": {}},
            "models": ["lr", "svm"],
            "variants": {},
            "seeds": [42, 43],
            "split_seed": None,
            "splits": "per seed, identical for every model",
            "cross_data": [],
        },
        "splits_identical": True,
    }
    (out / "comparison.json").write_text(json.dumps(result))
    return out


def test_protocol_and_results_in_words(tmp_path: Path) -> None:
    page = write_compare_report(fabricate_compare(tmp_path / "cmp")).read_text()
    protocol = page[page.index('<section id="protocol">') :]
    assert "{" not in protocol and "[" not in protocol and "<pre>" not in protocol
    assert "<td>seeds</td><td>42, 43</td>" in protocol
    assert "Settings shared by every run" in protocol and "<td>lr</td>" in protocol
    assert "seeds: 42, 43 (per seed" in page
    assert '<td class="num">0.920 ± 0.014</td>' in page
    assert 'href="runs/svm/seed43/report.html"' in page
    assert (tmp_path / "cmp" / "comparison.png").is_file()
