"""kmer_lr's default: raw 6-mer counts against standardised 6-mer frequencies, and C, chosen
on the GUE dev splits.

Every configuration is an ordinary ``genoclass train`` run (``--model kmer_lr --param
scaling=... --param C=...``) on the official train/dev/test splits of five GUE tasks. The
choice uses the dev MCC only; the test MCC is printed beside it for the record.

    cd benchmarks && ../.venv/bin/python kmer_lr_scaling.py    # results/kmer_lr_scaling.csv
"""

from __future__ import annotations

import pandas as pd
from s0_common import RESULTS, SCRATCH, SHARED, Protocol, train_once

TASKS = ("mouse/0", "mouse/2", "tf/0", "tf/1", "prom/prom_core_notata")
CONFIGS = [(scaling, c) for scaling in ("counts", "standardized") for c in (0.01, 0.1, 1.0)]


def main() -> None:
    rows = []
    for task in TASKS:
        for scaling, c in CONFIGS:
            protocol = Protocol(seeds=(1,), model_params={"kmer_lr": {"scaling": scaling, "C": c}})
            out = SCRATCH / f"kmer_lr_{task.replace('/', '_')}_{scaling}_{c}"
            row = train_once(str(SHARED / "gue" / task), "kmer_lr", 1, protocol, out)
            row.update(task=task, scaling=scaling, C=c)
            print({k: row[k] for k in ("task", "scaling", "C", "val_mcc", "test_mcc")}, flush=True)
            rows.append(row)
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    frame.to_csv(RESULTS / "kmer_lr_scaling.csv", index=False)
    print(frame.pivot_table(index=["scaling", "C"], columns="task", values="val_mcc").round(3))
    print(frame.groupby(["scaling", "C"])["val_mcc"].mean().round(3))


if __name__ == "__main__":
    main()
