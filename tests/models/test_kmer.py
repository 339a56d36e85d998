"""Classical k-mer models: agreement with scikit-learn, save/load without pickle."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB

from genoclass.models import get_spec
from genoclass.models.serialize import ModelCard, load_model, save_model
from genoclass.sequence.kmers import kmer_counts


def _data(seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    seqs, y = [], []
    for label, motif in enumerate(["GATTACA", "CCGGAAT", "TTTAAAC"]):
        for _ in range(20):
            s = "".join(rng.choice(list("ACGT"), size=80))
            seqs.append(s[:30] + motif + s[30:])
            y.append(label)
    return kmer_counts(seqs, 4), np.array(y)


def test_naive_bayes_matches_scikit_learn_on_the_training_vocabulary() -> None:
    x, y = _data()
    model = get_spec("kmer_nb").builder(3, k=4, alpha=0.1).fit(x, y)
    seen = np.flatnonzero(np.asarray(x.sum(axis=0)).ravel() > 0)
    reference = MultinomialNB(alpha=0.1).fit(x[:, seen], y)
    x_test, _ = _data(seed=1)
    np.testing.assert_allclose(
        model.predict_proba(x_test), reference.predict_proba(x_test[:, seen]), rtol=1e-6
    )


def test_logistic_regression_learns_planted_motifs() -> None:
    x, y = _data()
    model = get_spec("kmer_lr").builder(3, k=4, C=1.0, max_iter=1000).fit(x, y)
    proba = model.predict_proba(x)
    assert proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert (proba.argmax(1) == y).mean() == 1.0


def test_binary_logistic_regression_gives_two_columns() -> None:
    x, y = _data()
    keep = y < 2
    model = get_spec("kmer_lr").builder(2, k=4).fit(x[keep], y[keep])
    assert model.predict_proba(x[keep]).shape == (int(keep.sum()), 2)


def test_kmer_models_round_trip_through_safetensors_and_json(tmp_path) -> None:
    x, y = _data()
    for name in ("kmer_nb", "kmer_lr"):
        spec = get_spec(name)
        hp = spec.hparams({"k": 4})
        model = spec.builder(3, **hp).fit(x, y)
        save_model(model, ModelCard(name, hp, ["a", "b", "c"], 256), tmp_path / name)
        assert not list((tmp_path / name).glob("*.pkl"))
        loaded, card = load_model(tmp_path / name)
        assert card.classes == ["a", "b", "c"]
        np.testing.assert_allclose(loaded.predict_proba(x), model.predict_proba(x))


def test_token_kmer_ids_match_the_count_featurizer_ids() -> None:
    import torch

    from genoclass.models.layers import token_kmer_ids
    from genoclass.sequence.encoding import tokenize
    from genoclass.sequence.kmers import kmer_ids

    tokens, lengths = tokenize(["ACGTNACGGT", "TTGCA"])
    ours = token_kmer_ids(torch.from_numpy(tokens), 3).numpy()
    expected = kmer_ids(tokens, lengths, 3)
    assert np.array_equal(np.where(expected < 0, 64, expected), ours)


def test_kmer_cnn_ignores_padding() -> None:
    import torch

    from genoclass.sequence.encoding import tokenize

    torch.manual_seed(0)
    spec = get_spec("kmer_cnn")
    model = spec.builder(3, 0, **spec.hparams()).eval()
    seqs = ["ACGTACGGATTACAGGT" * 3, "GATTACAGATTACA"]
    outs = []
    for width in (60, 200):
        tokens, lengths = tokenize(seqs, max_len=width)
        with torch.no_grad():
            outs.append(model(torch.from_numpy(tokens.astype(np.int64)), torch.from_numpy(lengths)))
    torch.testing.assert_close(outs[0], outs[1])


def test_logistic_regression_scalings_and_files_without_the_setting(tmp_path) -> None:
    import json

    x, y = _data()
    spec = get_spec("kmer_lr")
    assert spec.hparams({})["scaling"] == "counts" and spec.hparams({})["C"] == 0.01
    counts = spec.builder(3, **spec.hparams({"k": 4, "C": 1.0})).fit(x, y)
    reference = LogisticRegression(C=1.0, max_iter=1000).fit(x.astype(float), y)
    np.testing.assert_allclose(counts.predict_proba(x), reference.predict_proba(x), atol=1e-4)
    hp = spec.hparams({"k": 4, "scaling": "standardized"})
    old = spec.builder(3, **hp).fit(x, y)
    save_model(old, ModelCard("kmer_lr", hp, ["a", "b", "c"], 256), tmp_path / "old")
    meta_path = tmp_path / "old" / "model.json"
    meta = json.loads(meta_path.read_text())
    text = json.dumps(meta)
    assert text.count('"scaling": "standardized"') == 2  # hyperparameter and model state
    del meta["hparams"]["scaling"]  # a model file written before the setting existed
    meta["state"].pop("scaling")
    meta_path.write_text(json.dumps(meta))
    loaded, _ = load_model(tmp_path / "old")
    assert loaded.scaling == "standardized"
    np.testing.assert_allclose(loaded.predict_proba(x), old.predict_proba(x))
    assert not np.allclose(loaded.predict_proba(x), counts.predict_proba(x))
