"""The ``demo`` job: planted-motif sequences -> train -> evaluate -> report, in about a minute."""

from __future__ import annotations

from pathlib import Path

from genoclass.atomic import write_table_atomic
from genoclass.config import TrainConfig
from genoclass.data.synthetic import DEMO_CONSENSUS, demo_sequences
from genoclass.workflows.train import run_training

DEMO_EPOCHS = 10


def run_demo(out: str | Path, *, seed: int = 42, overwrite: bool = False) -> Path:
    """Write the demo data to ``out/data``, train ``fast_accurate_cnn`` into ``out/run``."""
    out = Path(out)
    data_path = out / "data" / "demo_sequences.csv"
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
