"""Self-supervised pretraining: streamed windows, span masks, reconstruction below the
unigram baseline on planted motifs, and a trunk that `train --init` starts from."""

import json

import numpy as np
import pandas as pd
import pytest
import safetensors.torch
import torch

from genoclass.cli import main
from genoclass.data.synthetic import demo_sequences
from genoclass.sequence.encoding import residue_tokens
from genoclass.training.pretrain import span_mask, window_blocks

MOTIF = "TATAAAGGCCGC"
SMALL = "--param channels=[16,32] --param embed_dim=16"


def cli(command: str) -> int:
    """Run a genoclass command line (paths here contain no spaces)."""
    return main(command.split())


def _tokens(text: str) -> np.ndarray:
    return residue_tokens(np.frombuffer(text.encode(), dtype=np.uint8))


def test_windows_of_a_long_record_read_in_small_chunks(tmp_path):
    rng = np.random.default_rng(0)
    genome = "".join(rng.choice(list("ACGT"), 1003))
    short = "ACGTNACG"
    lines = [genome[i : i + 60] for i in range(0, len(genome), 60)]
    (tmp_path / "g.fa").write_text(">chr1\n" + "\n".join(lines) + f"\n>tiny\n{short}\n")
    blocks = list(window_blocks([str(tmp_path / "g.fa")], 100, 50, chunk_bytes=128))
    tokens = np.concatenate([b[0] for b in blocks])
    lengths = np.concatenate([b[1] for b in blocks])
    starts = [*range(0, 1003 - 100 + 1, 50), 903]  # the last window ends at the record's end
    want = np.stack([_tokens(genome[s : s + 100]) for s in starts])
    assert np.array_equal(tokens[: len(starts)], want)
    assert lengths.tolist() == [100] * len(starts) + [len(short)]
    assert np.array_equal(tokens[-1, : len(short)], _tokens(short))
    assert not tokens[-1, len(short) :].any()


def test_span_mask_hides_about_the_rate_in_spans_of_bases_only():
    tokens = torch.randint(1, 5, (64, 500))
    tokens[:, 400:] = 0  # padding is never hidden
    mask = span_mask(tokens, 0.15, 4, torch.Generator().manual_seed(0))
    assert not mask[:, 400:].any()
    assert 0.11 < mask[:, :400].float().mean() < 0.16
    runs = torch.diff(mask[:, :400].int(), dim=1)
    assert (runs == 1).sum() < mask.sum() / 3  # spans, not single bases


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pretrain")
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(600):
        seq = list(rng.choice(list("ACGT"), 60))
        for start in (2, 22, 42):
            seq[start : start + len(MOTIF)] = MOTIF
        rows.append("".join(seq))
    pd.DataFrame({"sequence": rows}).to_csv(folder / "planted.csv", index=False)
    out = folder / "run"
    command = f"pretrain --data {folder / 'planted.csv'} --window 60 --stride 60 --epochs 4"
    assert cli(f"{command} --lr 0.003 --batch-size 32 {SMALL} --out {out}") == 0
    return out


def test_pretraining_restores_hidden_bases_better_than_base_frequencies(pretrained):
    metrics = json.loads((pretrained / "metrics.json").read_text())
    assert metrics["final_val_loss"] < metrics["unigram_baseline_loss"] - 0.2
    history = pd.read_csv(pretrained / "history.csv")
    assert history["val_loss"].iloc[-1] < history["val_loss"].iloc[0]
    assert {"model", "decoder.safetensors", "report.html", "config.yaml"} <= {
        p.name for p in pretrained.iterdir()
    }


def test_a_classifier_starts_from_the_pretrained_trunk(pretrained, tmp_path):
    data = tmp_path / "demo.csv"
    demo_sequences(seed=4, n_per_class=40, length=60).to_csv(data, index=False)
    out = tmp_path / "run"
    command = f"train --data {data} --epochs 1 --batch-size 32 --init {pretrained}"
    assert cli(f"{command} --transfer features --out {out}") == 0
    before = safetensors.torch.load_file(str(pretrained / "model" / "weights.safetensors"))
    after = safetensors.torch.load_file(str(out / "model" / "weights.safetensors"))
    trunk = [k for k in before if not k.startswith("head.")]
    assert all(torch.equal(before[k], after[k]) for k in trunk)
    assert json.loads((out / "metrics.json").read_text())["init"]["head"] == "new"


def test_models_without_per_position_features_are_refused(tmp_path, capsys):
    (tmp_path / "a.fa").write_text(">a\n" + "ACGT" * 50 + "\n")
    assert cli(f"pretrain --data {tmp_path / 'a.fa'} --model gb_cnn --out {tmp_path}/x") == 2
    assert "has no per-position features" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_interrupted_pretraining_resumes_with_its_whole_history(tmp_path, monkeypatch):
    from lightning.pytorch.callbacks import Callback

    from genoclass.training import pretrain as pretrain_module

    class Crash(Callback):
        def on_train_epoch_end(self, trainer, module):
            if trainer.current_epoch == 1:
                raise RuntimeError("simulated crash")

    (tmp_path / "a.fa").write_text(">a\n" + "ACGTTGCA" * 40 + "\n")
    command = f"pretrain --data {tmp_path / 'a.fa'} --window 40 --stride 20 --epochs 3 {SMALL}"
    monkeypatch.setattr(pretrain_module, "progress_callback", Crash)
    assert cli(f"{command} --out {tmp_path}/run") == 1  # an unexpected failure
    assert (tmp_path / "run.partial" / "checkpoints" / "last.ckpt").exists()
    monkeypatch.undo()
    assert cli(f"{command} --out {tmp_path}/run --resume") == 0
    history = pd.read_csv(tmp_path / "run" / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3]


def test_a_packed_store_pretrains_like_the_file_it_was_packed_from(tmp_path):
    from genoclass.data.pack import pack_sequences

    rng = np.random.default_rng(1)
    rows = ["".join(rng.choice(list("ACGT"), n)) for n in rng.integers(30, 150, 200)]
    pd.DataFrame({"sequence": rows}).to_csv(tmp_path / "corpus.csv", index=False)
    pack_sequences(tmp_path / "corpus.csv", tmp_path / "store")
    paths = {"csv": str(tmp_path / "corpus.csv"), "store": str(tmp_path / "store")}
    # small blocks: the store is read a few rows at a time, records never cut across blocks
    blocks = {k: list(window_blocks([p], 60, 40, chunk_bytes=500)) for k, p in paths.items()}
    for part in (0, 1):
        csv, store = (np.concatenate([b[part] for b in blocks[k]]) for k in ("csv", "store"))
        assert np.array_equal(csv, store)
    flags = f"--window 60 --stride 40 --epochs 1 --batch-size 32 {SMALL}"
    for kind, path in paths.items():
        assert cli(f"pretrain --data {path} {flags} --out {tmp_path / f'run_{kind}'}") == 0
    metrics = [json.loads((tmp_path / f"run_{k}" / "metrics.json").read_text()) for k in paths]
    assert metrics[0]["final_val_loss"] == pytest.approx(metrics[1]["final_val_loss"], abs=1e-6)
