"""Study S1's recurrent models (LSTM, GRU, BiLSTM) and CNN-recurrent hybrids, one-hot input.

Padding is never read as sequence: each direction runs over the padded batch and its state
is read at the sequence's own last step (the backward direction runs over every sequence
reversed within its length), so a sequence padded further gets exactly the same
prediction. This gives the same states as ``pack_padded_sequence`` without its backward
pass, which on CPU was 40-70x slower than the padded one (19 s vs 0.3 s for one LSTM batch
of 64 x 1,000 steps).
"""

from __future__ import annotations

import torch
from torch import nn

from genoclass.config import Bounds
from genoclass.models.registry import KERNEL, WIDTH, Param, dropout_param, register

CELLS: dict[str, type[nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU}
READOUTS = ("last", "mean")


class RecurrentClassifier(nn.Module):
    """Optional Conv + ReLU + MaxPool front end, then an (optionally bidirectional) LSTM or
    GRU whose final hidden state(s) (``readout="last"``, S1) or whose outputs averaged over
    the sequence's steps (``readout="mean"``) feed a linear head."""

    def __init__(
        self,
        n_outputs: int,
        input_length: int,
        cell: str = "lstm",
        bidirectional: bool = False,
        hidden: int = 64,
        conv_channels: int = 0,
        conv_kernel: int = 9,
        pool: int = 4,
        dropout: float = 0.3,
        readout: str = "last",
    ) -> None:
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        self.readout = readout
        self.pool = pool if conv_channels else 1
        self.front = (
            nn.Sequential(
                nn.Conv1d(4, conv_channels, conv_kernel, padding=conv_kernel // 2),
                nn.ReLU(),
                nn.MaxPool1d(pool),
            )
            if conv_channels
            else nn.Identity()
        )
        self.rnn = CELLS[cell](conv_channels or 4, hidden, batch_first=True)
        self.rnn_reverse = (
            CELLS[cell](conv_channels or 4, hidden, batch_first=True) if bidirectional else None
        )
        self.feature_dim = hidden * (2 if bidirectional else 1)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.feature_dim, n_outputs))

    def steps(
        self, x: torch.Tensor, lengths: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, C) front-end output and each row's last step inside its sequence."""
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[-1], dtype=torch.long)
        if x.shape[-1] < self.pool:
            x = nn.functional.pad(x, (0, self.pool - x.shape[-1]))
        h = self.front(x).transpose(1, 2)
        # only pooling windows that lie inside the sequence count as steps
        steps = torch.div(lengths.cpu(), self.pool, rounding_mode="floor").clamp(1, h.shape[1])
        return h, (steps - 1).to(h.device)

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, feature_dim): each direction's readout (last state or mean output)."""
        h, last = self.steps(x, lengths)
        finals = [_read(self.rnn, h, last, self.readout)]
        if self.rnn_reverse is not None:
            reversed_h = reverse_within_length(h, last)
            finals.append(_read(self.rnn_reverse, reversed_h, last, self.readout))
        return torch.cat(finals, dim=-1)

    def position_features(
        self, x: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(B, feature_dim, L): every direction's output at each step (the backward one put
        back in sequence order), repeated over the ``pool`` bases a step covers; zero past
        each sequence's last whole step."""
        h, last = self.steps(x, lengths)
        outputs = [self.rnn(h)[0]]
        if self.rnn_reverse is not None:
            backward = self.rnn_reverse(reverse_within_length(h, last))[0]
            outputs.append(reverse_within_length(backward, last))
        inside = torch.arange(h.shape[1], device=h.device)[None, :] <= last[:, None]
        out = (torch.cat(outputs, dim=-1) * inside.unsqueeze(-1)).transpose(1, 2)
        out = out.repeat_interleave(self.pool, dim=-1)[..., : x.shape[-1]]
        return nn.functional.pad(out, (0, x.shape[-1] - out.shape[-1]))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, lengths))


def reverse_within_length(h: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
    """(B, T, C) rows reversed over their first ``last + 1`` steps; later steps are zero."""
    index = last[:, None] - torch.arange(h.shape[1], device=h.device)[None, :]
    inside = (index >= 0).unsqueeze(-1)
    gathered = h.gather(1, index.clamp_min(0).unsqueeze(-1).expand(-1, -1, h.shape[2]))
    return gathered * inside


def _read(rnn: nn.RNNBase, h: torch.Tensor, last: torch.Tensor, readout: str) -> torch.Tensor:
    """Output of a unidirectional ``rnn`` over ``h`` at each row's step ``last``, or (mean)
    its outputs averaged over steps 0..last."""
    out, _ = rnn(h)
    if readout == "last":
        return out[torch.arange(out.shape[0], device=out.device), last]
    inside = torch.arange(out.shape[1], device=out.device)[None, :] <= last[:, None]
    return (out * inside.unsqueeze(-1)).sum(1) / (last + 1).unsqueeze(-1).to(out.dtype)


#: registered name -> (cell, bidirectional, conv front end, description)
VARIANTS: dict[str, tuple[str, bool, bool, str]] = {
    "lstm": ("lstm", False, False, "LSTM (64 units) over one-hot bases, exact lengths"),
    "gru": ("gru", False, False, "GRU (64 units) over one-hot bases, exact lengths"),
    "bilstm": ("lstm", True, False, "bidirectional LSTM (2x64) over one-hot bases"),
    "cnn_lstm": ("lstm", False, True, "hybrid: conv 64 k9 + max-pool 4, then LSTM 64"),
    "cnn_gru": ("gru", False, True, "hybrid: conv 64 k9 + max-pool 4, then GRU 64"),
    "cnn_bilstm": ("lstm", True, True, "hybrid: conv 64 k9 + max-pool 4, then BiLSTM 2x64"),
}


def _register_variant(name: str, cell: str, bidirectional: bool, conv: bool, text: str) -> None:
    """Register one recurrent variant under ``name``."""
    params = [
        Param("hidden", 64, WIDTH, "units of each recurrent layer (per direction)"),
        dropout_param(0.3),
        Param(
            "readout",
            "last",
            Bounds("str", choices=READOUTS),
            "last: the state at the sequence's last step; mean: outputs averaged over its steps",
        ),
    ]
    if conv:
        params += [
            Param("conv_channels", 64, WIDTH, "channels of the convolutional front end"),
            Param("conv_kernel", 9, KERNEL, "width of the front-end convolution"),
            Param("pool", 4, Bounds("int", 1, 64), "max-pool size after the front end"),
        ]

    def build(n_outputs: int, input_length: int, **hp: object) -> nn.Module:
        return RecurrentClassifier(n_outputs, input_length, cell, bidirectional, **hp)

    build.__doc__ = f"Build the {name} model."
    register(name, text, input_kind="onehot", params=params)(build)


for _name, _variant in VARIANTS.items():
    _register_variant(_name, *_variant)
