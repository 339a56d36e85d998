"""The ``demo`` job: planted-motif sequences -> train -> evaluate -> report, in about a minute."""

from __future__ import annotations

import shlex
from pathlib import Path

from genoclass.atomic import write_table_atomic
from genoclass.config import TrainConfig
from genoclass.data.synthetic import DEMO_CONSENSUS, demo_sequences
from genoclass.workflows.train import run_training

DEMO_EPOCHS = 10


def run_demo(out: str | Path, *, seed: int = 42, overwrite: bool = False) -> Path:
    """Write the demo data to ``out/data``, train ``fast_accurate_cnn`` into ``out/run``."""
    out = Path(out)
    data_path = demo_data_path(out)
    data_path.parent.mkdir(parents=True, exist_ok=True)
    write_table_atomic(demo_sequences(seed=seed), data_path)
    print(f"demo data: {data_path} (5,000 x 200 nt; class 'motif' carries {DEMO_CONSENSUS})")
    config = TrainConfig(
        data=str(data_path),
        model="fast_accurate_cnn",
        epochs=DEMO_EPOCHS,
        batch_size=64,
        lr=3e-3,
        seed=seed,
        out=str(out / "run"),
    )
    return run_training(config, overwrite=overwrite)


def demo_data_path(out: str | Path) -> Path:
    """Where the demo writes its data inside ``out``."""
    return Path(out) / "data" / "demo_sequences.csv"


def next_steps(run: Path, out: str | Path) -> list[str]:
    """What to do after the demo, as lines with the exact commands: open the report, explain
    the run, train on one's own data."""
    run_text, data = shlex.quote(str(run)), shlex.quote(str(demo_data_path(out)))
    return [
        "next steps:",
        f"  open the report:        {run / 'report.html'}",
        f"  explain the model:      genoclass explain --model {run_text} --data {data}",
        "  train on your own data: genoclass train --data YOUR.fasta --model fast_accurate_cnn "
        "--out my_run",
        "                          (FASTA headers carry label=CLASS; or --data YOUR.csv with "
        "columns sequence,label)",
    ]
