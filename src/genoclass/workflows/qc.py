"""The ``data qc`` job: read labelled data (and an optional test file), run the QC checks and
write ``qc.json`` and the self-contained ``qc.html`` into the output directory."""

from __future__ import annotations

from pathlib import Path

from genoclass.atomic import write_text_atomic
from genoclass.config import TrainConfig
from genoclass.data.qc import QCResult, QCSettings, expression_qc, sequence_qc
from genoclass.data.similarity import MAX_K, MIN_K
from genoclass.errors import InputError
from genoclass.io.expression import is_expression_source
from genoclass.reporting.qc_report import render_qc_page
from genoclass.workflows.inputs import read_expression_inputs, read_sequence_inputs
from genoclass.workflows.rundir import staged_directory, write_json


def is_expression(config: TrainConfig) -> bool:
    """Expression data: ``--format expression``, a ``--labels`` table or a file that looks
    like a matrix (``io.expression.is_expression_source``)."""
    return is_expression_source(
        config.data, format=config.format, labels=config.labels, sequence_col=config.sequence_col
    )


def run_qc(
    config: TrainConfig, settings: QCSettings, out: str | Path, *, overwrite: bool = False
) -> tuple[Path, QCResult]:
    """QC of ``config.data`` (plus ``config.test`` / ``config.val``) written to ``out``."""
    if not 0 < settings.threshold <= 1:
        raise InputError(f"--similarity must be in (0, 1], got {settings.threshold}")
    if not MIN_K <= settings.k <= MAX_K:
        raise InputError(f"--kmer must be in {MIN_K}..{MAX_K}, got {settings.k}")
    out = Path(out)
    expression = is_expression(config)
    data = (read_expression_inputs if expression else read_sequence_inputs)(config)
    if data.table["label"].nunique() < 2:
        raise InputError("QC needs at least two classes", path=config.data)
    result = (expression_qc if expression else sequence_qc)(data.table, settings)
    result.report["files"] = data.info.get("files", {})
    with staged_directory(out, overwrite=overwrite) as stage:
        write_json(stage / "qc.json", result.report)
        page = render_qc_page(result.report, result.rows, f"Data QC: {Path(config.data).name}")
        write_text_atomic(stage / "qc.html", page)
    return out, result
