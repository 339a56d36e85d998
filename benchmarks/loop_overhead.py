"""The training loop's own cost: ``training.fit.fit_model`` (genoclass's Lightning loop)
against a bare PyTorch loop doing the same work, side by side.

Same model (registry defaults, the same seed), the same encoded data (the first
``--train-n`` / ``--val-n`` 251-nt human_nontata_promoters sequences, as speed_models.py),
the same batches (``data.loaders.make_loader``, batch 64, shuffled per epoch), optimiser
(AdamW, weight decay 0.01), schedule (OneCycleLR per step), gradient-norm clipping at 1.0,
loss, and a validation pass per epoch whose best-loss weights are kept. The two loops
alternate for ``--rounds`` rounds at one torch thread; the median wall time of each and
their ratio are written to ``results/loop_overhead.json``.

    cd benchmarks && OMP_NUM_THREADS=1 ../.venv/bin/python loop_overhead.py
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from dataclasses import replace

import torch
from s0_common import RESULTS
from speed_models import build, features

from genoclass.data.loaders import SequenceFeatures, make_loader
from genoclass.models.outputs import loss_function
from genoclass.training.fit import FitSettings, fit_model, seed_everything

MODELS = ("gb_cnn", "fast_accurate_cnn")


def rows_of(data: SequenceFeatures, rows: slice) -> SequenceFeatures:
    """The rows ``rows`` of an encoded set."""
    return replace(data, tokens=data.tokens[rows], lengths=data.lengths[rows], y=data.y[rows])


def bare_loop(model: torch.nn.Module, train, val, settings: FitSettings) -> float:
    """The same training in plain PyTorch; returns its wall seconds."""
    start = time.perf_counter()
    loss_fn = loss_function(2, None, 0.0)
    loader = make_loader(train, settings.batch_size, shuffle=True, seed=settings.seed)
    steps = len(loader) * settings.epochs
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=settings.lr, total_steps=steps)
    best, best_state = float("inf"), None
    for _ in range(settings.epochs):
        model.train()
        for batch in loader:
            opt.zero_grad()
            loss = loss_fn(model(batch["x"], batch["lengths"]), batch["y"])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            total = sum(
                float(loss_fn(model(b["x"], b["lengths"]), b["y"])) * len(b["y"])
                for b in make_loader(val, 256, shuffle=False)
            )
        if total / len(val) < best:
            best, best_state = total / len(val), copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return time.perf_counter() - start


def genoclass_loop(model: torch.nn.Module, train, val, settings: FitSettings) -> float:
    """``fit_model``; returns its wall seconds."""
    start = time.perf_counter()
    fit_model(model, train, val, 2, settings)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--train-n", type=int, default=3000)
    parser.add_argument("--val-n", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = FitSettings(epochs=args.epochs, batch_size=64, lr=1e-3, seed=0, progress=False)
    rows = []
    for name in args.models:
        data = features(name, args.train_n + args.val_n, 251)
        train = rows_of(data, slice(0, args.train_n))
        val = rows_of(data, slice(args.train_n, args.train_n + args.val_n))
        times: dict[str, list[float]] = {"genoclass": [], "bare": []}
        for _ in range(args.rounds):
            for loop, run in (("genoclass", genoclass_loop), ("bare", bare_loop)):
                seed_everything(0)
                times[loop].append(run(build(name, 251), train, val, settings))
        row = {
            "model": name,
            "genoclass_s": round(statistics.median(times["genoclass"]), 2),
            "bare_s": round(statistics.median(times["bare"]), 2),
            "all_s": times,
        }
        row["overhead"] = round(row["genoclass_s"] / row["bare_s"] - 1, 3)
        print(row, flush=True)
        rows.append(row)
    payload = {"protocol": vars(args) | {"threads": 1, "length": 251}, "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "loop_overhead.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
