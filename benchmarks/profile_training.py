"""Where a sequence model's training CPU time goes: torch's profiler over training steps
(forward, loss, backward, clipping, AdamW) of one model at one length, one torch thread.

Data and model as ``speed_models.py`` (the first real sequences of the 251-nt or 101-nt
source, registry defaults); batches from ``data.loaders.make_loader`` (batch 64, shuffled).
After ``--warmup`` unprofiled steps, ``--steps`` steps are profiled; the operators are
ranked by self CPU time and written with their share of the total.

    .venv/bin/python benchmarks/profile_training.py --model fast_accurate_cnn
    .venv/bin/python benchmarks/profile_training.py --model gb_cnn
"""

from __future__ import annotations

import argparse
import json

import torch
from s0_common import RESULTS, limit_threads
from speed_models import build, features
from torch.profiler import ProfilerActivity, profile

from genoclass.data.loaders import make_loader


def profiled_steps(name: str, width: int, warmup: int, steps: int) -> list[dict[str, object]]:
    """Self CPU time per operator over ``steps`` training steps (after ``warmup``)."""
    data = features(name, 64 * (warmup + steps), width)
    model = build(name, width).train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batches = iter(make_loader(data, 64, shuffle=True, seed=0))

    def step() -> None:
        batch = next(batches)
        logits = model(batch["x"], batch.get("lengths"))
        loss = torch.nn.functional.cross_entropy(logits, batch["y"])
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()

    for _ in range(warmup):
        step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    ranked = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)
    return [
        {
            "op": e.key,
            "self_ms_per_step": round(e.self_cpu_time_total / 1000 / steps, 3),
            "share": round(e.self_cpu_time_total / total, 4),
            "calls_per_step": e.count / steps,
        }
        for e in ranked
    ]


def main(argv: list[str] | None = None) -> None:
    """Profile one model and write results/profile_training_<model>_<width>.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="fast_accurate_cnn")
    parser.add_argument("--width", type=int, default=251, choices=(101, 251))
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    limit_threads(1)
    rows = profiled_steps(args.model, args.width, args.warmup, args.steps)
    total = sum(r["self_ms_per_step"] for r in rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"profile_training_{args.model}_{args.width}.json"
    out.write_text(json.dumps({"ms_per_step": round(total, 2), "ops": rows}, indent=2) + "\n")
    print(f"{args.model} at {args.width} nt: {total:.1f} ms of CPU per step of 64")
    for r in rows[: args.top]:
        print(f"{r['share']:6.1%} {r['self_ms_per_step']:8.2f} ms  {r['op']}")


if __name__ == "__main__":
    main()
