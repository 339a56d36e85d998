"""The embedded demo: planted-motif data, trained and reported, test accuracy >= 0.95."""

import json
import re

from genoclass.cli import main


def test_demo_trains_reports_and_reaches_095(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    run = tmp_path / "demo" / "run"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.95
    assert metrics["n_test"] == 1000
    report = (run / "report.html").read_text()
    assert report.count("data:image/png;base64,") >= 4
    printed = capsys.readouterr().out
    assert "report:" in printed
    assert re.search(r"best epoch \d+ of 10 \(lowest validation loss\)", printed)
    steps = printed[printed.index("next steps:") :].splitlines()
    assert str(run / "report.html") in steps[1]
    data = tmp_path / "demo" / "data" / "demo_sequences.csv"
    assert steps[2].endswith(f"genoclass explain --model {run} --data {data}")
    assert "genoclass train --data YOUR.fasta" in steps[3] and "YOUR.csv" in steps[4]
