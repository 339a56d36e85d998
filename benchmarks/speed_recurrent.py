"""One training step (forward + backward) of S1's recurrent layers on CPU: genoclass's
exact-length reading (padded run, state read at each row's last step) vs PyTorch's
``pack_padded_sequence``, side by side in one process.

Batch of 64 one-hot sequences, lengths uniform in [300, 1000] (S1's 1,000-nt cap), hidden
64, one thread. Both paths give the same final states (tests/models/test_recurrent.py);
only the time differs. Rounds alternate between the paths and the median is kept.

    .venv/bin/python benchmarks/speed_recurrent.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from torch.nn.utils.rnn import pack_padded_sequence

from genoclass.models import get_spec

RESULTS = Path(__file__).resolve().parent / "results"


def step_seconds(name: str, packed: bool, x: torch.Tensor, lengths: torch.Tensor) -> float:
    """Seconds for one forward + backward pass of ``name``'s recurrent layer(s)."""
    torch.manual_seed(0)
    spec = get_spec(name)
    model = spec.builder(7, x.shape[-1], **spec.hparams())
    start = time.perf_counter()
    if packed:  # the reference: pack, run each direction, take the final hidden state
        h = x.transpose(1, 2)
        seq = pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
        states = [model.rnn(seq)[1]]
        if model.rnn_reverse is not None:
            flipped = torch.stack(
                [r.roll(-int(n), 0).flip(0) for r, n in zip(h, lengths, strict=True)]
            )
            rev = pack_padded_sequence(flipped, lengths, batch_first=True, enforce_sorted=False)
            states.append(model.rnn_reverse(rev)[1])
        finals = [s[0] if isinstance(s, tuple) else s for s in states]
        loss = model.head(torch.cat([f[0] for f in finals], dim=-1)).logsumexp(-1).mean()
    else:
        loss = model(x, lengths).logsumexp(-1).mean()
    loss.backward()
    return time.perf_counter() - start


def main() -> None:
    """Time both paths for lstm, gru and bilstm and write results/speed_recurrent.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    lengths = torch.randint(300, 1001, (64,), generator=generator)
    x = torch.zeros(64, 4, 1000)
    x[torch.arange(64)[:, None], torch.randint(0, 4, (64, 1000), generator=generator),
      torch.arange(1000)[None, :]] = 1.0  # fmt: skip
    x *= (torch.arange(1000)[None, :] < lengths[:, None]).unsqueeze(1)
    results = {}
    for name in ("lstm", "gru", "bilstm"):
        times: dict[str, list[float]] = {"exact_length": [], "packed": []}
        for _ in range(args.repeats):
            times["exact_length"].append(step_seconds(name, False, x, lengths))
            times["packed"].append(step_seconds(name, True, x, lengths))
        median = {k: statistics.median(v) for k, v in times.items()}
        results[name] = {**median, "speedup": median["packed"] / median["exact_length"]}
        print(name, {k: round(v, 3) for k, v in results[name].items()}, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "speed_recurrent.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
