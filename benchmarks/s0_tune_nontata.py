"""Validation-only tuning of fast_accurate_cnn defaults on the S0 nontata split.

Trains fast_accurate_cnn variants (model_params) on the fixed seed-42 split of
``s0_nontata.py`` and reports validation metrics only; the test rows are never looked at
for these decisions (``run_training`` scores them, this script does not read them).

    .venv/bin/python benchmarks/s0_tune_nontata.py
"""

from __future__ import annotations

import argparse
import json

from s0_common import SCRATCH, Protocol, limit_threads, train_once, write_results
from s0_nontata import fixed_split_file

#: variant -> model_params; a ``lr`` entry is taken out as the OneCycle max learning rate.
#: The plain S0 model (no dilation, no block dropout) at lr 1e-3 is the starting point.
VARIANTS: dict[str, dict[str, object]] = {
    "plain_s0": {"block_dropout": 0.0, "dilated": False},
    "block_dropout_0.2": {"block_dropout": 0.2, "dilated": False},
    "block_dropout_0.2_dilated": {"block_dropout": 0.2, "dilated": True},
    "dilated": {"block_dropout": 0.0, "dilated": True},
    "block_dropout_0.1_dilated": {"block_dropout": 0.1, "dilated": True},
    "block_dropout_0.1_dilated_lr3e-3": {"block_dropout": 0.1, "dilated": True, "lr": 3e-3},
}


def main(argv: list[str] | None = None) -> None:
    """Train each variant with the S0 budget; write results/s0_tune_nontata.* (val only)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = parser.parse_args(argv)
    limit_threads(1)
    split_path = SCRATCH / "nontata_split42.csv"
    fixed_split_file(split_path)
    rows = []
    for name in args.variants:
        params = dict(VARIANTS[name])
        lr = float(params.pop("lr", 1e-3))  # type: ignore[arg-type]
        protocol = Protocol(lr=lr, model_params={"fast_accurate_cnn": params})
        for seed in args.seeds:
            row = train_once(
                str(split_path), "fast_accurate_cnn", seed, protocol, SCRATCH / f"tune_{name}"
            )
            kept = {k: row[k] for k in ("seed", "val_accuracy", "val_f1_macro", "best_epoch")}
            kept["variant"] = name
            print(json.dumps(kept), flush=True)
            rows.append(kept)
    write_results("s0_tune_nontata", {"variants": VARIANTS, "metric": "validation"}, rows)


if __name__ == "__main__":
    main()
