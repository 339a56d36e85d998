"""Saving and loading models as ``weights.safetensors`` + ``model.json``: never pickle.

Loading reads numbers and JSON only, so a model from an untrusted source cannot run code.
Everything is checked before real memory is allocated: model.json against its schema (the
hyperparameters against the registry's bounds), the architecture built on the meta device
(parameter limit), and the tensors listed in the safetensors header (a JSON block at the
start of the file) against the names, shapes and dtypes the architecture expects. Any
mismatch is one InputError line naming the file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy
import safetensors.torch
import torch
from torch import nn

from genoclass import __version__
from genoclass.atomic import write_text_atomic, write_with
from genoclass.config import Bounds
from genoclass.errors import InputError
from genoclass.models.budget import meta_model
from genoclass.models.outputs import n_outputs
from genoclass.models.registry import get_spec
from genoclass.models.windowed import WindowedClassifier

WEIGHTS = "weights.safetensors"
META = "model.json"
#: largest model.json read (expression pipelines store gene lists and per-gene statistics)
MAX_META_BYTES = 256 * 2**20
#: largest safetensors header read (it lists tensor names, dtypes, shapes and offsets)
MAX_HEADER_BYTES = 100 * 2**20
#: safetensors dtype name -> bytes per element
DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
    "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip


@dataclass
class ModelCard:
    """Everything needed to rebuild a model and feed it inputs like those it was trained on."""

    name: str
    hparams: dict[str, Any]
    classes: list[str]
    input_length: int
    input: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    training_data: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    genoclass_version: str = __version__

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)


#: model.json's top-level keys and their types (``classes`` is checked on its own)
CARD_SCHEMA: dict[str, Bounds] = {
    "name": Bounds("str"),
    "hparams": Bounds("mapping"),
    "classes": Bounds("any"),
    "input_length": Bounds("int", 1, 10**9),
    "input": Bounds("mapping"),
    "preprocessing": Bounds("mapping"),
    "training_data": Bounds("mapping"),
    "extra": Bounds("mapping"),
    "genoclass_version": Bounds("str"),
    "family": Bounds("str", choices=("neural", "classical")),
    "state": Bounds("mapping"),
}
WINDOW = Bounds("int", 1, 10**9)
_REQUIRED = {"name", "hparams", "classes", "input_length"}
#: torch dtype -> safetensors dtype name
TORCH_DTYPES = {
    torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}  # fmt: skip


def build_model(card: ModelCard) -> Any:
    """A fresh (untrained) model instance for ``card``; a neural model is first built on the
    meta device, so settings that cannot be built or that exceed the parameter limit are
    input errors before any memory is used."""
    spec = get_spec(card.name)
    if spec.family != "neural":
        return spec.builder(card.n_classes, **card.hparams)
    meta_build(card)
    return _build_neural(card)


def meta_build(card: ModelCard) -> nn.Module | None:
    """The neural model of ``card`` on the meta device (shapes only; see models.budget), or
    None for a model that cannot be built there (``ModelSpec.meta_build``)."""
    if not get_spec(card.name).meta_build:
        return None
    return meta_model(lambda: _build_neural(card), card.name)


def _build_neural(card: ModelCard) -> nn.Module:
    window = card.extra.get("window")  # {"size", "stride"}: model applied to windows
    length = window["size"] if window else card.input_length
    model = get_spec(card.name).builder(n_outputs(card.n_classes), length, **card.hparams)
    return WindowedClassifier(model, window["size"], window["stride"]) if window else model


def save_model(model: Any, card: ModelCard, directory: Path) -> None:
    """Write weights and model.json into ``directory`` (created if needed), each atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    meta = dict(card.__dict__)
    if isinstance(model, nn.Module):
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        write_with(directory / WEIGHTS, lambda p: safetensors.torch.save_file(state, str(p)))
    else:
        arrays, state_meta = model.get_state()
        plain = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
        write_with(directory / WEIGHTS, lambda p: safetensors.numpy.save_file(plain, str(p)))
        meta["state"] = state_meta
    meta["family"] = get_spec(card.name).family
    write_text_atomic(directory / META, json.dumps(meta, indent=2, default=_jsonable))


def load_model(directory: Path) -> tuple[Any, ModelCard]:
    """Rebuild the model saved in ``directory`` and return it (eval mode) with its card,
    after checking model.json and the weights file (see the module docstring)."""
    directory = Path(directory)
    meta_path = directory / META
    if not meta_path.is_file():
        raise InputError("not a saved genoclass model (no model.json)", path=directory)
    meta = read_card_json(meta_path)
    state_meta = meta.pop("state", None)
    meta.pop("family", None)
    card = check_card(ModelCard(**meta), meta_path)
    weights = directory / WEIGHTS
    header = read_safetensors_header(weights)
    if get_spec(card.name).family == "neural":
        return _load_neural(card, weights, header), card
    return _load_classical(card, weights, header, state_meta), card


def read_card_json(path: Path) -> dict[str, Any]:
    """model.json as a mapping with only known keys of the right types."""
    if path.stat().st_size > MAX_META_BYTES:
        raise InputError(f"model.json is larger than {MAX_META_BYTES // 2**20} MB", path=path)
    try:
        meta = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", path=path) from None
    if not isinstance(meta, dict):
        raise InputError("model.json must be a JSON object", path=path)
    unknown = sorted(set(meta) - set(CARD_SCHEMA))
    missing = sorted({f.name for f in fields(ModelCard) if f.name not in meta} & _REQUIRED)
    if unknown or missing:
        raise InputError(f"model.json keys: unknown {unknown}, missing {missing}", path=path)
    try:
        return {k: CARD_SCHEMA[k].check(v, k) for k, v in meta.items()}
    except InputError as exc:
        raise InputError(exc.reason, path=path) from None


def check_card(card: ModelCard, path: Path) -> ModelCard:
    """``card`` with its hyperparameters checked against the registry's bounds, its classes
    and window checked; any problem is an InputError naming ``path``."""
    try:
        spec = get_spec(card.name)
        card.hparams = spec.check(card.hparams, label="hyperparameter ")
        classes = card.classes
        if not (isinstance(classes, list) and all(isinstance(c, str) for c in classes)):
            raise InputError("classes must be a list of names")
        if not 2 <= len(classes) <= 100_000 or len(set(classes)) != len(classes):
            raise InputError(f"classes must be 2 or more distinct names, got {len(classes)}")
        window = card.extra.get("window")
        if window is not None:
            if not isinstance(window, dict) or set(window) != {"size", "stride"}:
                raise InputError("extra.window must be {size, stride}")
            card.extra["window"] = {k: WINDOW.check(v, f"window {k}") for k, v in window.items()}
    except InputError as exc:
        raise InputError(exc.reason, path=path) from None
    return card


def read_safetensors_header(path: Path) -> dict[str, dict[str, Any]]:
    """Tensor name -> {"dtype", "shape"} from the JSON header of a safetensors file, checked
    (known dtypes, sizes that match the byte ranges, ranges inside the file) without reading
    any tensor."""
    if not path.is_file():
        raise InputError("no weights file", path=path)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        n = int.from_bytes(handle.read(8), "little") if size >= 8 else -1
        if not 2 <= n <= min(size - 8, MAX_HEADER_BYTES):
            raise InputError("not a safetensors file (no valid header)", path=path)
        raw = handle.read(n)
    try:
        header = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InputError("not a safetensors file (header is not JSON)", path=path) from None
    if not isinstance(header, dict):
        raise InputError("not a safetensors file (header is not a mapping)", path=path)
    header.pop("__metadata__", None)
    return {name: _tensor_entry(name, entry, size - 8 - n, path) for name, entry in header.items()}


def _tensor_entry(name: str, entry: Any, data_bytes: int, path: Path) -> dict[str, Any]:
    """One checked header entry: dtype, shape and a byte range that matches them."""
    ok = isinstance(entry, dict) and entry.get("dtype") in DTYPE_BYTES
    shape, offsets = (entry.get("shape"), entry.get("data_offsets")) if ok else (None, None)
    ok = ok and isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)
    ok = ok and isinstance(offsets, list) and len(offsets) == 2
    ok = ok and all(isinstance(o, int) for o in offsets) and 0 <= offsets[0] <= offsets[1]
    if not ok or offsets[1] > data_bytes:
        raise InputError(f"damaged safetensors header entry {name!r}", path=path)
    if offsets[1] - offsets[0] != math.prod(shape) * DTYPE_BYTES[entry["dtype"]]:
        raise InputError(f"tensor {name!r}: byte range does not match its shape", path=path)
    return {"dtype": entry["dtype"], "shape": shape}


def _load_neural(card: ModelCard, weights: Path, header: dict[str, Any]) -> nn.Module:
    """The neural model with its weights, after the header matched the architecture (built
    on the meta device when the model allows it, so before any memory is allocated)."""
    model = meta_build(card)
    real = None if model is not None else _build_neural(card)
    expected = {
        name: {"dtype": _safetensors_dtype(t), "shape": list(t.shape)}
        for name, t in (model or real).state_dict().items()
    }
    renames = legacy_prefixes(model or real)
    _compare_tensors(expected, rename_keys(header, renames), weights)
    real = real or _build_neural(card)
    real.load_state_dict(rename_keys(safetensors.torch.load_file(str(weights)), renames))
    return real.eval()


def legacy_prefixes(model: nn.Module) -> dict[str, str]:
    """Old state-dict key prefix -> today's, from the ``LEGACY_KEYS`` of ``model``'s modules
    (e.g. a model whose trunk was renamed; run directories written before still load)."""
    return {
        f"{name}.{old}" if name else old: f"{name}.{new}" if name else new
        for name, module in model.named_modules()
        for old, new in getattr(module, "LEGACY_KEYS", {}).items()
    }


def rename_keys(mapping: dict[str, Any], prefixes: dict[str, str]) -> dict[str, Any]:
    """``mapping`` with every key that starts with an old prefix given the new one."""
    renamed = {}
    for key, value in mapping.items():
        old = next((p for p in prefixes if key.startswith(p)), None)
        renamed[key if old is None else prefixes[old] + key[len(old) :]] = value
    return renamed


def _load_classical(card: ModelCard, weights: Path, header: dict[str, Any], state_meta: Any) -> Any:
    """The classical model with its arrays; the arrays are checked by its ``set_state``."""
    model = build_model(card)
    names = set(getattr(model, "STATE_ARRAYS", header))
    if set(header) != names:
        missing, unexpected = sorted(names - set(header)), sorted(set(header) - names)
        raise InputError(f"arrays missing {missing}, unexpected {unexpected}", path=weights)
    try:
        model.set_state(safetensors.numpy.load_file(str(weights)), state_meta or {})
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise InputError(f"inconsistent model arrays: {exc}", path=weights) from None
    return model


def _compare_tensors(expected: dict[str, Any], found: dict[str, Any], path: Path) -> None:
    """InputError naming the first missing, unexpected or mis-shaped tensors."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    if missing or unexpected:
        raise InputError(
            f"weights do not match the architecture in model.json: missing {_few(missing)}, "
            f"unexpected {_few(unexpected)}",
            path=path,
        )
    wrong = [
        f"{name} {found[name]['dtype']}{found[name]['shape']} (expected "
        f"{want['dtype']}{want['shape']})"
        for name, want in expected.items()
        if found[name] != want
    ]
    if wrong:
        raise InputError(f"tensor shapes do not match model.json: {_few(wrong)}", path=path)


def _few(items: list[str], shown: int = 3) -> str:
    more = f" (+{len(items) - shown} more)" if len(items) > shown else ""
    return f"{items[:shown]}{more}"


def _safetensors_dtype(tensor: torch.Tensor) -> str:
    """The safetensors name of a torch tensor's dtype (e.g. torch.float32 -> F32)."""
    return TORCH_DTYPES.get(tensor.dtype, str(tensor.dtype))


def _jsonable(value: Any) -> Any:
    """JSON fallback for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
