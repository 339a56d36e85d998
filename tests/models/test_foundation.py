"""Foundation models from local Hugging Face folders: tiny models of each supported family
are built and saved here (nothing is downloaded), then loaded, fine-tuned, frozen, adapted
with LoRA, saved and reloaded without their folder."""

import itertools
import json
import shutil
import sys

import numpy as np
import pytest
import torch

from genoclass.data.loaders import encode_sequences
from genoclass.data.synthetic import consensus_pwm, planted_motif_sequences
from genoclass.errors import InputError
from genoclass.models import get_spec
from genoclass.models.foundation import (
    load_foundation,
    load_pretrained,
    save_foundation,
    tokens_to_text,
)
from genoclass.training.fit import FitSettings, fit_model, predict_proba, seed_everything

BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
TINY = {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2}


def kmers(k):
    return ["".join(p) for p in itertools.product("ACGT", repeat=k)]


def save_nucleotide_transformer(folder):
    """Nucleotide Transformer v1 style: EsmForMaskedLM + EsmTokenizer over 6-mers, single
    bases and ESM specials (no end token, as NT's tokenizer)."""
    hf = pytest.importorskip("transformers")
    folder.mkdir()
    vocab = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>", *kmers(6), *"ATCGN"]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = hf.EsmTokenizer(
        str(folder / "vocab.txt"), cls_token="<cls>", pad_token="<pad>", eos_token=None
    )
    config = hf.EsmConfig(
        vocab_size=len(vocab),
        intermediate_size=32,
        max_position_embeddings=128,
        pad_token_id=1,
        mask_token_id=2,
        position_embedding_type="absolute",
        token_dropout=True,
        **TINY,
    )
    hf.EsmForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def save_dnabert_kmer(folder):
    """DNABERT-1 style: BertForMaskedLM + BertTokenizer whose vocabulary is every 6-mer."""
    hf = pytest.importorskip("transformers")
    folder.mkdir()
    (folder / "vocab.txt").write_text("\n".join([*BERT_SPECIALS, *kmers(6)]) + "\n")
    tokenizer = hf.BertTokenizer(str(folder / "vocab.txt"), do_lower_case=False)
    config = hf.BertConfig(vocab_size=5 + 4**6, intermediate_size=32, **TINY)
    hf.BertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def save_bert_bpe(folder):
    """DNABERT-2 style vocabulary: a byte-pair encoding learnt on random DNA, wrapped as a
    PreTrainedTokenizerFast, on a plain BertForMaskedLM."""
    hf = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers

    folder.mkdir()
    rng = np.random.default_rng(0)
    corpus = ["".join(rng.choice(list("ACGT"), 200)) for _ in range(50)]
    bpe = Tokenizer(models.BPE(unk_token="[UNK]"))
    bpe.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(
        vocab_size=60, special_tokens=BERT_SPECIALS, initial_alphabet=list("ACGTN")
    )
    bpe.train_from_iterator(corpus, trainer)
    ids = [(t, bpe.token_to_id(t)) for t in ("[CLS]", "[SEP]")]
    bpe.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=ids)
    tokenizer = hf.PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        **{f"{n}_token": f"[{n.upper()}]" for n in ("unk", "pad", "cls", "sep", "mask")},
    )
    config = hf.BertConfig(vocab_size=bpe.get_vocab_size(), intermediate_size=32, **TINY)
    hf.BertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


FAMILIES = {
    "nt": save_nucleotide_transformer,
    "dnabert": save_dnabert_kmer,
    "bpe": save_bert_bpe,
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest, and steadiest on a busy machine, on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf")
    torch.manual_seed(0)
    for name, save in FAMILIES.items():
        save(root / name)
    return root


def planted(n_per_class, length, seed):
    table = planted_motif_sequences(
        n_per_class,
        length,
        {"background": None, "motif": consensus_pwm("TTGACGTCAGCA", 0.95)},
        seed=seed,
    )
    y = (table["label"] == "motif").to_numpy().astype(np.int64)
    return encode_sequences(table["sequence"].tolist(), y, input_kind="tokens", max_len=None)


def batch(features, rows):
    out = features.batch(rows)
    return out["x"], out["lengths"]


def trunk_state(model):
    return {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("head.")}


QUIET = FitSettings(epochs=2, batch_size=32, lr=3e-3, progress=False)


def test_tokens_back_to_text_plain_and_as_overlapping_kmers():
    tokens = np.array([[1, 2, 3, 4, 5, 0], [4, 4, 1, 0, 0, 0]])
    lengths = np.array([5, 3])
    assert tokens_to_text(tokens, lengths) == ["ACGTN", "TTA"]
    assert tokens_to_text(tokens, lengths, kmer=3) == ["ACG CGT GTN", "TTA"]
    assert tokens_to_text(tokens, np.array([5, 2]), kmer=3) == ["ACG CGT GTN", "TT"]


@pytest.mark.parametrize("family,kmer", [("nt", 0), ("dnabert", 6), ("bpe", 0)])
def test_each_family_loads_with_its_input_format_and_contract(folders, family, kmer):
    model = load_pretrained(folders / family, 3)
    x, lengths = batch(planted(4, 30, seed=1), range(8))
    assert model.settings.kmer == kmer
    assert model.feature_dim == 16
    assert model.features(x, lengths).shape == (8, 16)
    model.eval()
    assert torch.equal(model(x, lengths), model.head(model.features(x, lengths)))
    head_keys = {k for k in model.state_dict() if k.startswith("head.")}
    assert head_keys == {"head.1.weight", "head.1.bias"}
    assert model.backbone.pooler is None


@pytest.mark.parametrize(
    "family,pooling", [("nt", "mean"), ("dnabert", "mean"), ("bpe", "mean"), ("nt", "cls")]
)
def test_predictions_do_not_depend_on_padding(folders, family, pooling):
    model = load_pretrained(folders / family, 2, pooling=pooling).eval()
    short = planted(3, 25, seed=2)
    x, lengths = batch(short, range(6))
    with torch.no_grad():
        alone = model(x, lengths)
        wider = model(torch.nn.functional.pad(x, (0, 17)), lengths)
        long_x, long_len = batch(planted(1, 60, seed=3), [0])
        mixed_x = torch.cat([torch.nn.functional.pad(x, (0, 35)), long_x])
        mixed = model(mixed_x, torch.cat([lengths, long_len]))[:6]
    torch.testing.assert_close(wider, alone, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(mixed, alone, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(
    "family,n_per_class,length,epochs",
    [("nt", 800, 24, 3), ("dnabert", 300, 30, 6), ("bpe", 300, 30, 6)],
)
def test_fine_tuning_learns_the_planted_motif(folders, family, n_per_class, length, epochs):
    seed_everything(0)
    model = load_pretrained(folders / family, 1, dropout=0.0)
    train, held_out = planted(n_per_class, length, seed=1), planted(50, length, seed=9)
    settings = FitSettings(epochs=epochs, batch_size=32, lr=3e-3, progress=False)
    result = fit_model(model, train, None, 2, settings)
    losses = result.history["train_loss"].to_numpy()
    assert losses[-1] < 0.5 * losses[0]
    accuracy = (predict_proba(model, held_out).argmax(1) == held_out.y).mean()
    assert accuracy >= 0.8


def test_frozen_trunk_stays_bit_identical_while_the_head_learns(folders):
    model = load_pretrained(folders / "nt", 1)
    for name, param in model.named_parameters():
        param.requires_grad_(name.startswith("head."))
    before, head = trunk_state(model), model.head[1].weight.clone()
    fit_model(model, planted(40, 30, seed=4), None, 2, QUIET)
    after = trunk_state(model)
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not torch.equal(head, model.head[1].weight)


@pytest.mark.parametrize("family", ["nt", "bpe"])
def test_lora_trains_only_adapters_and_head(folders, family):
    model = load_pretrained(folders / family, 1, lora_rank=2)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert model.lora_targets == ["query", "value"]
    assert all(".lora_" in n or n.startswith("head.") for n in trainable)
    assert sum(".lora_B." in n for n in trainable) == 4  # query + value in 2 layers
    before = trunk_state(model)
    fit_model(model, planted(40, 30, seed=5), None, 2, QUIET)
    after = trunk_state(model)
    frozen = [k for k in before if ".lora_" not in k]
    assert all(torch.equal(before[k], after[k]) for k in frozen)
    assert any(not torch.equal(before[k], after[k]) for k in before if ".lora_B." in k)


@pytest.mark.parametrize("family,lora_rank", [("nt", 0), ("dnabert", 2), ("bpe", 0)])
def test_saved_model_reloads_identically_without_its_folder(folders, tmp_path, family, lora_rank):
    source = tmp_path / "pretrained"
    shutil.copytree(folders / family, source)
    model = load_pretrained(source, 3, lora_rank=lora_rank, pooling="cls")
    torch.manual_seed(1)
    with torch.no_grad():  # make every weight, the LoRA ones included, non-trivial
        for param in model.parameters():
            param.add_(0.05 * torch.randn_like(param))
    model.eval()
    x, lengths = batch(planted(4, 30, seed=6), range(8))
    expected = model(x, lengths)
    save_foundation(model, tmp_path / "saved")
    shutil.rmtree(source)
    loaded = load_foundation(tmp_path / "saved")
    assert torch.equal(loaded(x, lengths), expected)
    assert loaded.settings == model.settings
    assert not list((tmp_path / "saved").glob("**/*.py"))
    assert not list((tmp_path / "saved").glob(".foundation-*"))
    assert (tmp_path / "saved" / "weights.safetensors").read_bytes()[:2] != b"\x80\x04"


@pytest.fixture
def saved_model(folders, tmp_path):
    save_foundation(load_pretrained(folders / "bpe", 2), tmp_path / "saved")
    return tmp_path / "saved"


def edit_json(path, **changes):
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def one_line_error(match, call, *args, **kwargs):
    with pytest.raises(InputError, match=match) as err:
        call(*args, **kwargs)
    assert "\n" not in str(err.value)
    return str(err.value)


def test_saved_model_with_wrong_shapes_or_files_is_refused(saved_model):
    edit_json(saved_model / "foundation.json", n_outputs=4)
    one_line_error(r"head\.1\.\w+ has shape", load_foundation, saved_model)
    edit_json(saved_model / "foundation.json", n_outputs=1, lora_rank=2)
    one_line_error("missing", load_foundation, saved_model)
    edit_json(saved_model / "foundation.json", format="something else")
    one_line_error("not a genoclass foundation model", load_foundation, saved_model)
    (saved_model / "foundation.json").unlink()
    one_line_error("missing file", load_foundation, saved_model)


def test_remote_code_is_refused_without_the_flag(folders, tmp_path):
    folder = tmp_path / "remote"
    shutil.copytree(folders / "nt", folder)
    marker = tmp_path / "code-ran"
    (folder / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    edit_json(folder / "config.json", auto_map={"AutoModel": "evil.Model"})
    message = one_line_error("trust_remote_code", load_pretrained, folder, 1)
    assert "auto_map" in message and not marker.exists()


def save_remote_code_model(folder, nt_folder, marker):
    """Nucleotide Transformer v2 layout: the folder's own config and masked-LM classes
    (auto_map names no AutoModel), here thin subclasses of the ESM ones that leave a marker
    file when their code runs."""
    shutil.copytree(nt_folder, folder)
    (folder / "tiny_config.py").write_text(
        "from transformers import EsmConfig\n\n"
        f"open({str(marker)!r}, 'w').close()\n\n"
        "class TinyDnaConfig(EsmConfig):\n    model_type = 'tiny_dna'\n"
    )
    (folder / "tiny_model.py").write_text(
        "from transformers import EsmForMaskedLM\n\n"
        "from .tiny_config import TinyDnaConfig\n\n"
        "class TinyDnaForMaskedLM(EsmForMaskedLM):\n    config_class = TinyDnaConfig\n"
    )
    auto_map = {
        "AutoConfig": "tiny_config.TinyDnaConfig",
        "AutoModelForMaskedLM": "tiny_model.TinyDnaForMaskedLM",
    }
    edit_json(folder / "config.json", model_type="tiny_dna", auto_map=auto_map)


def test_trusted_remote_code_model_trains_saves_and_reloads(folders, tmp_path):
    marker = tmp_path / "code-ran"
    save_remote_code_model(tmp_path / "remote", folders / "nt", marker)
    one_line_error("trust_remote_code", load_pretrained, tmp_path / "remote", 1)
    assert not marker.exists()
    model = load_pretrained(tmp_path / "remote", 1, trust_remote_code=True).eval()
    assert marker.exists() and type(model.backbone).__name__ == "EsmModel"
    x, lengths = batch(planted(2, 30, seed=8), range(4))
    expected = model(x, lengths)
    save_foundation(model, tmp_path / "saved")
    shutil.rmtree(tmp_path / "remote")
    saved_code = sorted(p.name for p in (tmp_path / "saved" / "hf").glob("*.py"))
    assert saved_code == ["tiny_config.py", "tiny_model.py"]
    one_line_error("trust_remote_code", load_foundation, tmp_path / "saved")
    loaded = load_foundation(tmp_path / "saved", trust_remote_code=True)
    assert torch.equal(loaded(x, lengths), expected)


def test_saved_remote_code_needs_the_flag_again(saved_model):
    edit_json(saved_model / "hf" / "config.json", auto_map={"AutoModel": "x.Model"})
    one_line_error("trust_remote_code", load_foundation, saved_model)


def test_bad_folders_are_one_line_input_errors(folders, tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(folders / "nt", folder)
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    one_line_error("pickle", load_pretrained, folder, 1)
    edit_json(folder / "config.json", model_type="no_such_model")
    one_line_error("unknown architecture", load_pretrained, folder, 1)
    one_line_error("not a folder", load_pretrained, tmp_path / "absent", 1)
    with pytest.raises(InputError, match="pooling"):
        load_pretrained(folders / "nt", 1, pooling="max")


def test_cls_pooling_needs_a_leading_cls_token(folders, tmp_path):
    folder = tmp_path / "no-cls"
    shutil.copytree(folders / "bpe", folder)
    edit_json(folder / "tokenizer.json", post_processor=None)
    one_line_error("pooling=cls needs", load_pretrained, folder, 1, pooling="cls")
    assert load_pretrained(folder, 1).feature_dim == 16


def test_long_sequences_are_cut_and_counted(folders):
    model = load_pretrained(folders / "nt", 1, max_tokens=4)
    x, lengths = batch(planted(2, 40, seed=7), range(4))
    with pytest.warns(UserWarning, match="max_tokens=4"):
        model(x, lengths)
    assert model.truncated == 4


def test_registry_entry_builds_and_explains_missing_pieces(folders, monkeypatch):
    spec = get_spec("foundation")
    assert spec.input_kind == "tokens" and spec.family == "neural"
    model = spec.builder(1, 30, **spec.hparams({"path": str(folders / "nt")}))
    assert model.feature_dim == 16
    with pytest.raises(InputError, match="needs path="):
        spec.builder(1, 30, **spec.hparams())
    monkeypatch.setitem(sys.modules, "transformers", None)
    message = one_line_error(
        "genoclass\\[foundation\\]",
        spec.builder,
        1,
        30,
        **spec.hparams({"path": str(folders / "nt")}),
    )
    assert "pip install" in message


def test_init_hf_features_trains_only_the_head_and_records_the_origin(folders, tmp_path, capsys):
    """`train --init hf:DIR --transfer features` = the foundation model on DIR, frozen."""
    import json

    from safetensors.torch import load_file

    from genoclass.cli import main
    from genoclass.data.synthetic import demo_sequences
    from genoclass.io.textfile import file_sha256

    data = tmp_path / "d.csv"
    demo_sequences(seed=3, n_per_class=40, length=30).to_csv(data, index=False)
    argv = ["train", "--data", str(data), "--epochs", "1", "--batch-size", "16", "--threads", "1"]
    hf = f"hf:{folders / 'nt'}"
    assert main([*argv, "--init", hf, "--transfer", "features", "--out", str(tmp_path / "r")]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"model: foundation (from --init {hf}; ")
    assert f"init: features from the Hugging Face folder {folders / 'nt'}" in printed
    assert "init corpus leakage: not checked (a Hugging Face model" in printed
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["model"] == "foundation" and metrics["init"]["transfer"] == "features"
    sha = file_sha256(folders / "nt" / "model.safetensors")
    assert metrics["init"]["weights_sha256"] == sha
    saved = load_file(str(tmp_path / "r" / "model" / "weights.safetensors"))
    fresh = load_pretrained(folders / "nt", 1).state_dict()
    trunk = [k for k in fresh if not k.startswith("head.")]
    assert trunk and all(torch.equal(saved[k], fresh[k]) for k in trunk)
    assert main([*argv, "--init", hf, "--model", "gb_cnn", "--out", str(tmp_path / "x")]) == 2
    assert "--init hf:DIR trains the foundation model; leave out --model gb_cnn" in (
        capsys.readouterr().err
    )
