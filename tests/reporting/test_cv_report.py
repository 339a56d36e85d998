"""cv_report.html of a cross-validation directory, written by `train --cv` and by
`genoclass report`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from genoclass.cli import main
from genoclass.data.synthetic_expression import planted_marker_expression
from genoclass.errors import InputError
from genoclass.reporting.any_report import write_report


@pytest.fixture(scope="module")
def cv_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cv_report")
    matrix, labels, _ = planted_marker_expression(12, 40, 3, ["A", "B"], seed=5)
    matrix.assign(label=labels).to_csv(folder / "m.csv")
    argv = ["train", "--data", str(folder / "m.csv"), "--model", "logistic_regression"]
    assert main([*argv, "--cv", "3", "--out", str(folder / "cv")]) == 0
    return folder / "cv"


def test_crossval_writes_a_report_with_folds_summary_and_rocs(cv_dir: Path) -> None:
    page = (cv_dir / "cv_report.html").read_text()
    for title in ("Protocol", "Test metrics over folds (mean ± sd)", "Folds"):
        assert f">{title}</h2>" in page
    folds = page[page.index('<section id="folds">') :]
    assert folds.count("<tr>") == 1 + 3  # header + 3 folds
    assert re.search(r"<td>accuracy</td><td class=\"num\">[0-9.]+ ± ", page)
    assert page.count('<img src="data:image/png;base64,') == 2  # spread + per-fold ROC
    links = re.findall(r'href="(folds/[^"]+/report.html)"', page)
    assert len(links) == 3 and all((cv_dir / link).is_file() for link in links)
    assert "{" not in page[page.index('<section id="protocol">') : page.index("</section>")]


def test_report_command_rebuilds_any_output_directory(cv_dir: Path, capsys) -> None:
    (cv_dir / "cv_report.html").unlink()
    assert main(["report", str(cv_dir)]) == 0
    assert (cv_dir / "cv_report.html").is_file() and "cv_report.html" in capsys.readouterr().out
    fold = next((cv_dir / "folds").iterdir())
    assert write_report(fold) == fold / "report.html"
    with pytest.raises(InputError, match="not a genoclass output directory"):
        write_report(cv_dir / "folds")
