"""S1 one-hot models: shapes, padding invariance of the recurrent ones, window wrapper."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genoclass.models import get_spec
from genoclass.models.outputs import logits_to_proba
from genoclass.models.serialize import ModelCard, build_model
from genoclass.models.windowed import WindowedClassifier
from genoclass.sequence.encoding import one_hot, tokenize

RECURRENT = ["lstm", "gru", "bilstm", "cnn_lstm", "cnn_gru", "cnn_bilstm"]
SEQS = ["ACGTACGTTTGACCA" * 3, "GGGATTACA", "ACGTNNACGTAGGCT" * 2]


def _build(name: str, n_outputs: int = 3, length: int = 64, **hp: object) -> torch.nn.Module:
    torch.manual_seed(0)
    spec = get_spec(name)
    return spec.builder(n_outputs, length, **spec.hparams(hp)).eval()


def _onehot(width: int) -> tuple[torch.Tensor, torch.Tensor]:
    tokens, lengths = tokenize(SEQS, max_len=width)
    return torch.from_numpy(one_hot(tokens)), torch.from_numpy(lengths)


@pytest.mark.parametrize("readout", ["last", "mean"])
@pytest.mark.parametrize("name", RECURRENT)
def test_padding_further_does_not_change_predictions(name: str, readout: str) -> None:
    model = _build(name, readout=readout)
    with torch.no_grad():
        short = model(*_onehot(45))
        long = model(*_onehot(300))
    assert short.shape == (3, 3)
    torch.testing.assert_close(short, long, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", RECURRENT)
def test_a_sequence_predicts_the_same_alone_and_in_a_padded_batch(name: str) -> None:
    model = _build(name)
    x, lengths = _onehot(45)
    with torch.no_grad():
        batch = model(x, lengths)
        alone = model(x[1:2, :, :9], lengths[1:2])
    torch.testing.assert_close(batch[1:2], alone, rtol=1e-5, atol=1e-6)


def test_final_states_equal_those_of_packed_sequences() -> None:
    """Reading each direction's state at the row's last step reproduces packing exactly."""
    from torch.nn.utils.rnn import pack_padded_sequence

    model = _build("bilstm")
    x, lengths = _onehot(45)
    h = x.transpose(1, 2)
    with torch.no_grad():
        ours = model(x, lengths)
        both = torch.nn.LSTM(4, 64, batch_first=True, bidirectional=True)
        for suffix, rnn in (("", model.rnn), ("_reverse", model.rnn_reverse)):
            for name, value in rnn.named_parameters():
                getattr(both, name + suffix).copy_(value)
        packed = pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
        _, (state, _) = both(packed)
        reference = model.head(torch.cat(list(state), dim=-1))
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)


def test_mean_readout_averages_the_outputs_of_each_direction_over_the_sequence() -> None:
    model = _build("bilstm", readout="mean")
    x, lengths = _onehot(45)
    with torch.no_grad():
        ours = model(x, lengths)
        rows = []
        for row, n in enumerate(lengths.tolist()):
            seq = x[row : row + 1, :, :n].transpose(1, 2)  # the sequence alone, unpadded
            forward, _ = model.rnn(seq)
            backward, _ = model.rnn_reverse(seq.flip(1))
            rows.append(torch.cat([forward[0].mean(0), backward[0].mean(0)]))
        reference = model.head(torch.stack(rows))
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)


def test_cnn_is_fixed_length_and_emits_one_logit_for_binary() -> None:
    spec = get_spec("cnn")
    assert spec.fixed_length and spec.input_kind == "onehot"
    model = _build("cnn", n_outputs=1, length=100)
    x, _ = _onehot(100)
    assert model(x).shape == (3, 1)


def test_recurrent_models_learn_a_planted_base_composition() -> None:
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("AT" if i % 2 else "GC"), size=30)) for i in range(64)]
    y = torch.tensor([i % 2 for i in range(64)])
    tokens, lengths = tokenize(seqs)
    x, lengths = torch.from_numpy(one_hot(tokens)), torch.from_numpy(lengths)
    model = _build("cnn_gru", n_outputs=2).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x, lengths), y)
        loss.backward()
        opt.step()
    model.eval()
    assert (model(x, lengths).argmax(-1) == y).float().mean() == 1.0


def test_windowed_model_averages_window_probabilities() -> None:
    inner = _build("fast_accurate_cnn", n_outputs=3)
    wrapped = WindowedClassifier(inner, size=10, stride=5).eval()
    tokens, lengths = tokenize(["ACGTACGTACGTACGTACGTA", "ACG"])
    x, lengths = torch.from_numpy(tokens.astype(np.int64)), torch.from_numpy(lengths)
    with torch.no_grad():
        got = logits_to_proba(wrapped(x, lengths))
        starts = [0, 5, 10, 11]  # length 21, windows of 10 every 5, last aligned to the end
        windows = torch.stack([x[0, s : s + 10] for s in starts])
        expected0 = logits_to_proba(inner(windows, torch.full((4,), 10))).mean(0)
        expected1 = logits_to_proba(inner(x[1:2, :3], lengths[1:2]))[0]
    torch.testing.assert_close(got[0], expected0, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(got[1], expected1, rtol=1e-4, atol=1e-6)


def test_build_model_wraps_windowed_cards_with_the_window_as_input_length() -> None:
    card = ModelCard("cnn", get_spec("cnn").hparams(), ["a", "b"], 5000)
    card.extra["window"] = {"size": 200, "stride": 100}
    model = build_model(card)
    assert isinstance(model, WindowedClassifier)
    x, lengths = _onehot(5000)
    assert model(x, lengths).shape == (3, 1)
