"""The embedded demo: planted-motif data, trained and reported, test accuracy >= 0.95."""

import json

from genoclass.cli import main


def test_demo_trains_reports_and_reaches_095(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    run = tmp_path / "demo" / "run"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.95
    assert metrics["n_test"] == 1000
    report = (run / "report.html").read_text()
    assert report.count("data:image/png;base64,") >= 4
    assert "report:" in capsys.readouterr().out
