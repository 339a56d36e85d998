"""Foundation models users already have: a DNA language model saved in Hugging Face
``transformers`` format in a local folder, used as a trunk with a new linear head.

Supported families: Nucleotide Transformer / ESM-style models (6-mer ``EsmTokenizer``,
``EsmModel``) and BERT-style models (``BertModel``; DNABERT k-mer vocabularies read as
space-separated overlapping k-mers, DNABERT-2 style BPE or character vocabularies read as
plain text). Nothing is downloaded: the folder is read with ``local_files_only=True``, only
safetensors weights are accepted (never a pickle), and Python code shipped in a folder
(``auto_map``) runs only when the caller passes ``trust_remote_code=True``.

The trunk turns genoclass token batches (A1 C2 G3 T4 N5, padding 0, plus lengths) back into
strings, tokenises them with the model's own tokenizer and pools the last hidden states.
Pooling: ``mean`` (default) averages the hidden states of the real sequence tokens only
(padding and the structural specials CLS/SEP/BOS/EOS/MASK left out, unknown tokens kept),
because these models are trained by masked-token reconstruction alone: no objective makes
their CLS state summarise the sequence, while the mean of the token states is the standard
probe of the Nucleotide Transformer and DNABERT-2 papers; and leaving padding out makes the
result independent of how wide a batch is. ``cls`` takes the first token's state instead.

Optional LoRA (``lora_rank > 0``, needs ``peft``) freezes every pretrained weight and adds
rank-r adapters (alpha = 2r) to the attention projections: ``query`` + ``value`` for ESM and
BERT (the original LoRA recipe), the fused ``Wqkv`` for DNABERT-2, ``q_proj`` + ``v_proj``
for LLaMA-style blocks and ``in_proj`` + ``out_proj`` for Mamba blocks (Caduceus); the first
family whose module names all occur in the model is used.

A fine-tuned model is saved as ``weights.safetensors`` (pretrained, LoRA and head weights in
one file) + ``foundation.json`` + ``hf/`` (config and tokenizer files; the folder's ``.py``
files only when ``trust_remote_code`` was given) and is rebuilt from them with
``from_config``, without the original folder.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.torch
import torch
from torch import nn

from genoclass.alphabet import N_TOKENS
from genoclass.atomic import write_text_atomic
from genoclass.config import Bounds
from genoclass.errors import InputError, InputWarning
from genoclass.models.registry import Param, dropout_param, register

WEIGHTS = "weights.safetensors"
META = "foundation.json"
HF_DIR = "hf"
FORMAT = "genoclass-foundation/1"
POOLINGS = ("mean", "cls")
INSTALL_HINT = "pip install 'genoclass[foundation]'"

#: LoRA target modules per family, tried in order; the first whose names all occur wins
LORA_TARGETS = (("query", "value"), ("Wqkv",), ("q_proj", "v_proj"), ("in_proj", "out_proj"))
#: token id (0 pad, A1 C2 G3 T4 N5) -> ASCII letter; padding is never emitted
_LETTERS = np.frombuffer(b"\0ACGTN", dtype=np.uint8)
_PROBE = "ACGTACGTTGCA"
_SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
_PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
#: parts of a base model the pooled features never use: they may be absent from a checkpoint
_UNUSED_PARTS = {"pooler", "contact_head"}


@dataclass(frozen=True)
class FoundationSettings:
    """How the trunk reads and pools: pooling (``mean``|``cls``), the token budget per
    sequence, the LoRA rank (0 = off), the head's dropout and ``kmer`` (0 = the tokenizer
    reads plain DNA; k = it reads space-separated overlapping k-mers, detected on load)."""

    pooling: str = "mean"
    max_tokens: int = 512
    lora_rank: int = 0
    dropout: float = 0.1
    kmer: int = 0

    def check(self) -> None:
        """Raise an InputError naming the first setting out of range."""
        if self.pooling not in POOLINGS:
            raise InputError(f"pooling must be one of {list(POOLINGS)}", value=self.pooling)
        for name, low in (("max_tokens", 1), ("lora_rank", 0), ("kmer", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InputError(f"{name} must be an integer >= {low}", value=value)
        if not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise InputError("dropout must be in [0, 1)", value=self.dropout)


class FoundationClassifier(nn.Module):
    """A Hugging Face DNA language model as trunk (``features``) + a new linear ``head``."""

    def __init__(
        self,
        backbone: nn.Module,
        tokenizer: Any,
        n_outputs: int,
        settings: FoundationSettings,
        *,
        source: Path,
        trust_remote_code: bool = False,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.tokenizer = tokenizer
        self.settings = settings
        self.source = Path(source)
        self.trust_remote_code = trust_remote_code
        self.lora_targets = _add_lora(backbone, settings.lora_rank)
        self._inputs = _forward_inputs(backbone)
        self._structural = _structural_special_ids(tokenizer)
        if settings.pooling == "cls":
            _check_leading_cls(tokenizer)
        self.truncated = 0  # sequences cut at max_tokens so far
        self.feature_dim = _probe_width(self)
        self.head = nn.Sequential(
            nn.Dropout(settings.dropout), nn.Linear(self.feature_dim, n_outputs)
        )

    def features(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, feature_dim) pooled last hidden states of the token rows ``x``."""
        if lengths is None:
            lengths = (x != 0).sum(1)
        texts = tokens_to_text(x.cpu().numpy(), lengths.cpu().numpy(), self.settings.kmer)
        return self.embed_texts(texts, x.device)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, n_outputs) logits: ``head(features(x, lengths))``."""
        return self.head(self.features(x, lengths))

    def embed_texts(self, texts: list[str], device: torch.device) -> torch.Tensor:
        """(B, feature_dim) pooled states of texts already in the tokenizer's format."""
        batch = self._encode(texts, device)
        out = self.backbone(**{k: v for k, v in batch.items() if k in self._inputs})
        hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
        if self.settings.pooling == "cls":
            return hidden[:, 0]
        ids = batch["input_ids"]
        keep = batch.get("attention_mask", torch.ones_like(ids)).bool()
        keep &= ~torch.isin(ids, self._structural.to(ids.device))
        weights = keep.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(1) / weights.sum(1).clamp_min(1.0)

    def _encode(self, texts: list[str], device: torch.device) -> dict[str, torch.Tensor]:
        """Tokenise a batch (right padding); sequences over ``max_tokens`` are cut and
        counted in ``self.truncated`` (warned about once)."""
        batch = self.tokenizer(texts, padding=True, return_tensors="pt")
        limit = self.settings.max_tokens
        if batch["input_ids"].shape[1] > limit:
            real = batch.get("attention_mask", torch.ones_like(batch["input_ids"]))
            too_long = int((real.sum(1) > limit).sum())
            if self.truncated == 0:
                warnings.warn(
                    f"foundation model: sequences longer than max_tokens={limit} tokens are "
                    "cut (the count is kept in model.truncated)",
                    InputWarning,
                    stacklevel=3,
                )
            self.truncated += too_long
            batch = self.tokenizer(
                texts, padding=True, truncation=True, max_length=limit, return_tensors="pt"
            )
        return {k: v.to(device) for k, v in batch.items()}


def tokens_to_text(tokens: np.ndarray, lengths: np.ndarray, kmer: int = 0) -> list[str]:
    """Token rows (A1 C2 G3 T4 N5, padding 0) back to DNA strings of their lengths; with
    ``kmer`` = k > 0 each string is its overlapping k-mers separated by spaces (DNABERT's
    input format; a sequence shorter than k stays one word)."""
    tokens = np.asarray(tokens)
    if tokens.size and (tokens.min() < 0 or tokens.max() >= N_TOKENS):
        raise ValueError(f"token ids must be in 0..{N_TOKENS - 1}")
    lengths = np.minimum(np.asarray(lengths, dtype=np.int64), tokens.shape[1])
    letters = _LETTERS[tokens.astype(np.intp)]
    if kmer <= 0:
        return _rows_to_str(letters, lengths)
    if letters.shape[1] < kmer:
        letters = np.pad(letters, ((0, 0), (0, kmer - letters.shape[1])))
    windows = np.lib.stride_tricks.sliding_window_view(letters, kmer, axis=1)
    spaced = np.concatenate([windows, np.full((*windows.shape[:2], 1), ord(" "), np.uint8)], 2)
    words = spaced.reshape(len(letters), -1)
    short = lengths < kmer
    texts = _rows_to_str(words, np.maximum((lengths - kmer + 1) * (kmer + 1) - 1, 0))
    if short.any():
        plain = _rows_to_str(letters, lengths)
        texts = [plain[i] if short[i] else t for i, t in enumerate(texts)]
    return texts


def _rows_to_str(chars: np.ndarray, lengths: np.ndarray) -> list[str]:
    """The first ``lengths[i]`` ASCII bytes of each row of ``chars`` as strings."""
    width = chars.shape[1]
    text = np.ascontiguousarray(chars).tobytes().decode("latin-1")
    return [text[i * width : i * width + int(n)] for i, n in enumerate(lengths)]


# ---------------------------------------------------------------- building from a folder


def load_pretrained(
    path: str | Path,
    n_outputs: int,
    *,
    trust_remote_code: bool = False,
    pooling: str = "mean",
    max_tokens: int = 512,
    lora_rank: int = 0,
    dropout: float = 0.1,
) -> FoundationClassifier:
    """A classifier on the pretrained model in the local folder ``path`` (weights loaded,
    head new). Bad folders, remote code without ``trust_remote_code``, pickle-only weights
    and tokenizers that cannot read DNA are one-line input errors."""
    _transformers()
    folder = _check_folder(path, trust_remote_code)
    settings = FoundationSettings(pooling, max_tokens, lora_rank, dropout)
    settings.check()
    tokenizer = _load_tokenizer(folder, trust_remote_code)
    settings = FoundationSettings(**{**asdict(settings), "kmer": _input_kmer(tokenizer, folder)})
    backbone = _load_backbone(folder, trust_remote_code)
    model = FoundationClassifier(
        backbone,
        tokenizer,
        n_outputs,
        settings,
        source=folder,
        trust_remote_code=trust_remote_code,
    )
    return model.train()  # transformers loads in evaluation mode; a new classifier trains


@register(
    "foundation",
    "a local Hugging Face DNA language model (Nucleotide Transformer / ESM, DNABERT / BERT) "
    "as trunk, pooled hidden states + new linear head; optional LoRA",
    input_kind="tokens",
    gradients=False,
    params=[
        Param("path", "", Bounds("str"), "local folder of the Hugging Face model to use as trunk"),
        Param(
            "trust_remote_code",
            False,
            Bounds("bool"),
            "run Python code shipped in the folder (auto_map); only for folders you trust",
        ),
        Param(
            "pooling", "mean", Bounds("str", choices=POOLINGS), "mean of the token states or CLS"
        ),
        Param("max_tokens", 512, Bounds("int", 1, 1_000_000), "tokens read per sequence at most"),
        Param("lora_rank", 0, Bounds("int", 0, 4096), "rank of LoRA adapters (0: no LoRA)"),
        dropout_param(0.1, "before the linear head"),
    ],
    meta_build=False,  # its size comes from the folder's config, loaded by transformers
)
def build_foundation(n_outputs: int, input_length: int, **hp: Any) -> FoundationClassifier:
    """Build the foundation classifier from ``hp["path"]`` (``input_length`` is unused:
    the model's tokenizer decides how many tokens a sequence becomes)."""
    path = str(hp.pop("path") or "")
    if not path:
        raise InputError("model 'foundation' needs path=FOLDER (a local Hugging Face model)")
    return load_pretrained(path, n_outputs, **hp)


def _transformers() -> Any:
    """The ``transformers`` module, or an input error saying how to install it."""
    return _optional("transformers")


def _optional(name: str) -> Any:
    """Import an optional dependency or raise a one-line install hint."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise InputError(
            f"foundation models need the optional package {name!r} ({_first_line(err)}): "
            f"{INSTALL_HINT}"
        ) from err


def _check_folder(path: str | Path, trust_remote_code: bool) -> Path:
    """Validate a pretrained folder: config.json, a known or trusted architecture and
    safetensors weights."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise InputError("not a folder (expected a local Hugging Face model)", path=folder)
    _check_config(folder, trust_remote_code)
    files = {p.name for p in folder.iterdir()}
    if not files & set(_SAFE_WEIGHTS):
        pickled = sorted(files & set(_PICKLE_WEIGHTS))
        reason = (
            f"only {pickled[0]} (a pickle, which genoclass never loads); convert it to "
            "model.safetensors once (README: Foundation models)"
            if pickled
            else "no model.safetensors weights"
        )
        raise InputError(reason, path=folder)
    return folder


def _check_config(folder: Path, trust_remote_code: bool) -> None:
    """Refuse remote code without the flag, and architectures transformers does not know
    (a trusted folder's own code may define its type: DNABERT-2's config names none)."""
    config = _read_json(folder / "config.json")
    _refuse_remote_code(folder, trust_remote_code)
    if "auto_map" in config:
        return
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or model_type not in _transformers().CONFIG_MAPPING:
        raise InputError(
            f"unknown architecture model_type={model_type!r} for this transformers version",
            path=folder / "config.json",
        )


def _refuse_remote_code(folder: Path, trust_remote_code: bool) -> None:
    """An input error when the folder names its own Python code and the flag is off."""
    if trust_remote_code:
        return
    for name in ("config.json", "tokenizer_config.json"):
        if (folder / name).exists() and "auto_map" in _read_json(folder / name):
            raise InputError(
                f"{name} names Python code shipped with the model (auto_map); genoclass runs "
                "it only with trust_remote_code (--trust-remote-code), if you trust its source",
                path=folder,
            )


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; missing or malformed files are input errors."""
    if not path.is_file():
        raise InputError("missing file", path=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"unreadable JSON ({_first_line(err)})", path=path) from err
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", path=path)
    return data


@contextmanager
def _quiet_transformers() -> Iterator[Any]:
    """transformers with its load reports and progress bars off (restored afterwards)."""
    hf = _transformers()
    log = hf.utils.logging
    level = log.get_verbosity()
    log.set_verbosity_error()
    log.disable_progress_bar()
    try:
        yield hf
    finally:
        log.set_verbosity(level)
        log.enable_progress_bar()


def _load_tokenizer(folder: Path, trust_remote_code: bool) -> Any:
    """The folder's tokenizer, padding on the right."""
    with _quiet_transformers() as hf:
        try:
            tokenizer = hf.AutoTokenizer.from_pretrained(
                str(folder), local_files_only=True, trust_remote_code=trust_remote_code
            )
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise InputError(
                f"cannot load the tokenizer ({_first_line(err)})", path=folder
            ) from err
    if tokenizer.pad_token is None:
        raise InputError("the tokenizer has no padding token", path=folder)
    tokenizer.padding_side = "right"
    return tokenizer


def _load_backbone(folder: Path, trust_remote_code: bool) -> nn.Module:
    """The pretrained base model (no task head, no pooler) in float32; weights that do not
    fit the config are an input error."""
    with _quiet_transformers() as hf:
        auto = _auto_class(hf, folder)
        try:
            model, info = auto.from_pretrained(
                str(folder),
                local_files_only=True,
                trust_remote_code=trust_remote_code,
                use_safetensors=True,
                output_loading_info=True,
            )
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as err:
            raise InputError(f"cannot load the model ({_first_line(err)})", path=folder) from err
    base = _base_model(model)
    missing = [k for k in info.get("missing_keys", []) if not _UNUSED_PARTS & set(k.split("."))]
    mismatched = list(info.get("mismatched_keys", []))
    if missing or mismatched:
        first = (missing or [str(m[0]) for m in mismatched])[0]
        raise InputError(
            f"weights do not fit config.json: {len(missing)} missing, {len(mismatched)} "
            f"of another shape (first: {first})",
            path=folder,
        )
    return base.float()


def _auto_class(hf: Any, folder: Path) -> Any:
    """AutoModel, or AutoModelForMaskedLM for folders whose own code maps only that
    (Nucleotide Transformer v2); the base model is taken out of it."""
    auto_map = _read_json(folder / "config.json").get("auto_map") or {}
    if auto_map and "AutoModel" not in auto_map and "AutoModelForMaskedLM" in auto_map:
        return hf.AutoModelForMaskedLM
    return hf.AutoModel


def _base_model(model: nn.Module) -> nn.Module:
    """The encoder without task head or pooler (the pooler is untrained after masked-LM
    pretraining and unused by genoclass's pooling)."""
    base = getattr(model, "base_model", model)
    if isinstance(getattr(base, "pooler", None), nn.Module):
        base.pooler = None
    return base


def _input_kmer(tokenizer: Any, folder: Path) -> int:
    """0 when the tokenizer reads plain DNA; else the k of a vocabulary of all 4**k k-mers
    that must be given as space-separated overlapping k-mers (DNABERT)."""
    if not _has_unknown(tokenizer, _PROBE):
        return 0
    vocab = tokenizer.get_vocab()
    sizes: dict[int, int] = {}
    for word in vocab:
        if word and set(word) <= set("ACGT"):
            sizes[len(word)] = sizes.get(len(word), 0) + 1
    probe = np.array([[" ACGT".index(c) for c in _PROBE]])
    for k in sorted(sizes, reverse=True):
        words = tokens_to_text(probe, [len(_PROBE)], k)[0]
        if sizes[k] == 4**k and not _has_unknown(tokenizer, words):
            return k
    raise InputError("the tokenizer cannot read DNA letters (A, C, G, T)", path=folder)


def _has_unknown(tokenizer: Any, text: str) -> bool:
    """Whether ``text`` tokenises to the unknown token anywhere."""
    unk = tokenizer.unk_token_id
    return unk is not None and unk in tokenizer(text)["input_ids"]


def _structural_special_ids(tokenizer: Any) -> torch.Tensor:
    """Ids of the specials that frame or pad a sequence (unknown tokens are content)."""
    names = ("pad_token_id", "cls_token_id", "sep_token_id", "bos_token_id", "eos_token_id")
    ids = {getattr(tokenizer, n, None) for n in (*names, "mask_token_id")} - {None}
    return torch.tensor(sorted(ids), dtype=torch.long)


def _check_leading_cls(tokenizer: Any) -> None:
    """An input error unless the tokenizer starts every sequence with its CLS/BOS token."""
    first = tokenizer(_PROBE)["input_ids"][0]
    if first not in {tokenizer.cls_token_id, tokenizer.bos_token_id} - {None}:
        raise InputError("pooling=cls needs a tokenizer that starts sequences with a CLS token")


def _forward_inputs(backbone: nn.Module) -> set[str]:
    """Tokenizer outputs the backbone's forward accepts (everything if it takes **kwargs)."""
    params = inspect.signature(backbone.forward).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return {"input_ids", "attention_mask", "token_type_ids"}
    return set(params) & {"input_ids", "attention_mask", "token_type_ids"}


@torch.no_grad()
def _probe_width(model: FoundationClassifier) -> int:
    """Width of the pooled representation, read off one tiny forward pass."""
    was_training = model.backbone.training
    model.backbone.eval()
    width = model.embed_texts([_PROBE], torch.device("cpu")).shape[-1]
    model.backbone.train(was_training)
    return int(width)


def _add_lora(backbone: nn.Module, rank: int) -> list[str]:
    """Inject rank-``rank`` LoRA adapters and freeze every other backbone weight; returns
    the target module names ([] when rank is 0)."""
    if rank == 0:
        return []
    peft = _optional("peft")
    leaves = {name.rsplit(".", 1)[-1] for name, m in backbone.named_modules() if _is_linear(m)}
    targets = next((list(t) for t in LORA_TARGETS if set(t) <= leaves), None)
    if targets is None:
        raise InputError(
            f"LoRA: none of the known attention projections {list(LORA_TARGETS)} occur in "
            "this model; use lora_rank=0"
        )
    config = peft.LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules=targets)
    peft.inject_adapter_in_model(config, backbone)
    for name, param in backbone.named_parameters():
        param.requires_grad_("lora_" in name)
    return targets


def _is_linear(module: nn.Module) -> bool:
    """Whether LoRA can adapt ``module`` (a linear layer, also transformers' Conv1D)."""
    return isinstance(module, nn.Linear) or type(module).__name__ == "Conv1D"


def _first_line(err: BaseException) -> str:
    """An exception's message cut to its first line."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


# ---------------------------------------------------------------- saving and loading


def save_foundation(model: FoundationClassifier, directory: str | Path) -> None:
    """Write ``model`` into ``directory`` as weights.safetensors (every weight), foundation.json
    and hf/ (config + tokenizer files, plus the source's .py files only when the model was
    built with trust_remote_code); all or nothing, replacing an earlier save."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".foundation-"))
    try:
        _write_hf_files(model, staging / HF_DIR)
        safetensors.torch.save_file(_unshared_state(model), str(staging / WEIGHTS))
        write_text_atomic(staging / META, json.dumps(_meta(model), indent=2))
        if (directory / HF_DIR).exists():
            shutil.rmtree(directory / HF_DIR)
        for name in (HF_DIR, WEIGHTS, META):
            os.replace(staging / name, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_foundation(directory: str | Path, trust_remote_code: bool = False) -> FoundationClassifier:
    """Rebuild a model written by ``save_foundation`` from ``directory`` alone (eval mode);
    every file read is validated and any problem is a one-line input error."""
    directory = Path(directory)
    meta = _read_meta(directory / META)
    hf_dir = directory / HF_DIR
    _check_config(hf_dir, trust_remote_code)
    tokenizer = _load_tokenizer(hf_dir, trust_remote_code)
    backbone = _backbone_from_config(hf_dir, trust_remote_code)
    settings = FoundationSettings(**{k: meta[k] for k in asdict(FoundationSettings())})
    model = FoundationClassifier(
        backbone,
        tokenizer,
        meta["n_outputs"],
        settings,
        source=hf_dir,
        trust_remote_code=trust_remote_code,
    )
    _load_weights(model, directory / WEIGHTS)
    return model.eval()


def _write_hf_files(model: FoundationClassifier, target: Path) -> None:
    """Config and tokenizer files (and, for trusted models, the source's Python files)."""
    target.mkdir()
    with _quiet_transformers():
        model.backbone.config.save_pretrained(str(target))
        model.tokenizer.save_pretrained(str(target))
    if model.trust_remote_code:
        for code in sorted(model.source.glob("*.py")):
            shutil.copy2(code, target / code.name)


def _unshared_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict on the CPU, with tensors that share storage copied (safetensors
    refuses shared tensors)."""
    seen: set[int] = set()
    state = {}
    for key, value in model.state_dict().items():
        value = value.detach().cpu().contiguous()
        ptr = value.untyped_storage().data_ptr()
        state[key] = value.clone() if ptr in seen else value
        seen.add(ptr)
    return state


def _meta(model: FoundationClassifier) -> dict[str, Any]:
    """foundation.json: format tag, head width, settings and provenance."""
    return {
        "format": FORMAT,
        "n_outputs": model.head[-1].out_features,
        "feature_dim": model.feature_dim,
        **asdict(model.settings),
        "lora_targets": model.lora_targets,
        "trust_remote_code": model.trust_remote_code,
        "source": str(model.source),
    }


def _read_meta(path: Path) -> dict[str, Any]:
    """foundation.json, checked: the format tag, integer widths and valid settings."""
    meta = _read_json(path)
    if meta.get("format") != FORMAT:
        raise InputError(f"not a genoclass foundation model (format {FORMAT!r})", path=path)
    for key in ("n_outputs", "feature_dim", *asdict(FoundationSettings())):
        if key not in meta:
            raise InputError(f"missing key {key!r}", path=path)
    n_out = meta["n_outputs"]
    if isinstance(n_out, bool) or not isinstance(n_out, int) or n_out < 1:
        raise InputError("n_outputs must be a positive integer", path=path, value=n_out)
    try:
        FoundationSettings(**{k: meta[k] for k in asdict(FoundationSettings())}).check()
    except InputError as err:
        raise InputError(err.reason, path=path, value=err.value) from err
    return meta


def _backbone_from_config(folder: Path, trust_remote_code: bool) -> nn.Module:
    """An untrained base model built from the folder's config alone."""
    with _quiet_transformers() as hf:
        try:
            config = hf.AutoConfig.from_pretrained(
                str(folder), local_files_only=True, trust_remote_code=trust_remote_code
            )
            model = _auto_class(hf, folder).from_config(config, trust_remote_code=trust_remote_code)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise InputError(f"cannot rebuild the model ({_first_line(err)})", path=folder) from err
    return _base_model(model).float()


def _load_weights(model: FoundationClassifier, path: Path) -> None:
    """Load ``path`` into ``model`` after checking names and shapes match exactly."""
    if not path.is_file():
        raise InputError("missing file", path=path)
    try:
        state = safetensors.torch.load_file(str(path))
    except (OSError, safetensors.SafetensorError) as err:
        raise InputError(f"unreadable weights ({_first_line(err)})", path=path) from err
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        first = (missing or extra)[0]
        raise InputError(
            f"weights do not fit foundation.json: {len(missing)} missing, {len(extra)} "
            f"unexpected (first: {first})",
            path=path,
        )
    for key, value in state.items():
        if value.shape != expected[key].shape:
            raise InputError(
                f"weight {key} has shape {tuple(value.shape)}, expected "
                f"{tuple(expected[key].shape)}",
                path=path,
            )
    model.load_state_dict(state)
