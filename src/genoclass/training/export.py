"""ONNX export of a trained neural sequence model, and prediction with onnxruntime.

The exported graph takes what genoclass's batches hold (``x``: int64 tokens (batch,
length) or float32 one-hot (batch, 4, length); ``lengths``: int64 (batch,)) and returns
class probabilities ``proba`` (batch, classes). Batch size is always free; the length is
free unless the model is fixed-length. The file's metadata carries the classes, the input
encoding and the SHA-256 of the weights it was exported from, so a stale export is refused.
Every export is checked against PyTorch on random sequences at a batch size and length
other than the traced ones before it is kept.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from genoclass.alphabet import TOKEN_IDS
from genoclass.atomic import write_with
from genoclass.data.loaders import FeatureSet, make_loader, model_batch
from genoclass.errors import InputError
from genoclass.models.outputs import logits_to_proba

#: largest |probability difference| to PyTorch an export may show
TOLERANCE = 1e-5
OPSET = 17
#: shortest input a variable-length model is traced on
TRACE_WIDTH = 512
#: input kinds an export takes (the batches of ``data.loaders.model_batch``)
EXPORTABLE_INPUTS = ("tokens", "onehot")


class _Probabilities(nn.Module):
    """A model's class probabilities as one graph (what predict reports)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return logits_to_proba(self.model(x, lengths))


def random_batch(
    n: int, width: int, input_kind: str, *, fixed: bool, seed: int
) -> dict[str, torch.Tensor]:
    """``n`` random A/C/G/T sequences as a model batch of ``width`` columns (lengths vary
    from half the width to all of it unless the model is ``fixed``-length)."""
    rng = np.random.default_rng(seed)
    bases = np.array([TOKEN_IDS[b] for b in "ACGT"], dtype=np.uint8)
    tokens = bases[rng.integers(0, 4, size=(n, width))]
    lengths = np.full(n, width) if fixed else rng.integers(max(width // 2, 1), width + 1, n)
    tokens[np.arange(width)[None, :] >= lengths[:, None]] = 0
    return model_batch(tokens, lengths, None, input_kind=input_kind, fixed_width=width)


def export_onnx(
    model: nn.Module,
    out: str | Path,
    *,
    input_kind: str,
    input_length: int,
    fixed_length: bool,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """Write ``model`` as ONNX to ``out`` atomically (``metadata``: string values stored in
    the file) after checking it against PyTorch; returns what was checked. A model the
    exporter cannot trace, or whose export differs from PyTorch by more than
    ``TOLERANCE``, is an InputError and nothing is written."""
    if input_kind not in EXPORTABLE_INPUTS:
        raise InputError(f"ONNX export takes sequence models on {EXPORTABLE_INPUTS} input")
    onnx, onnxruntime = _onnx_modules()
    wrapper = _Probabilities(model).eval()
    length_axis = 1 if input_kind == "tokens" else 2
    # a long traced input: models that skip work on short inputs (taps of a dilated
    # convolution that only reach padding) trace their full computation, valid at any length
    traced_width = input_length if fixed_length else max(input_length, TRACE_WIDTH)
    traced = random_batch(4, traced_width, input_kind, fixed=fixed_length, seed=0)
    width = input_length if fixed_length else max(input_length // 2 + 3, 1)
    check = random_batch(7, width, input_kind, fixed=fixed_length, seed=1)

    def write(temp: Path) -> None:
        dynamic = {"x": {0: "batch"}, "lengths": {0: "batch"}, "proba": {0: "batch"}}
        if not fixed_length:
            dynamic["x"][length_axis] = "length"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
            try:
                torch.onnx.export(
                    wrapper,
                    (traced["x"], traced["lengths"]),
                    str(temp),
                    input_names=["x", "lengths"],
                    output_names=["proba"],
                    dynamic_axes=dynamic,
                    opset_version=OPSET,
                    dynamo=False,
                )
            except Exception as exc:  # noqa: BLE001 - any tracing failure is the model's
                reason = " ".join(str(exc).split())[:200]
                raise InputError(f"this model cannot be exported to ONNX: {reason}") from None
        graph = onnx.load(str(temp))
        for key, value in metadata.items():
            graph.metadata_props.add(key=key, value=str(value))
        onnx.save(graph, str(temp))
        session = onnxruntime.InferenceSession(str(temp), providers=["CPUExecutionProvider"])
        got = session.run(None, _feed(session, check))
        with torch.no_grad():
            expected = wrapper(check["x"], check["lengths"]).numpy()
        result["max_abs_diff"] = float(np.abs(got[0] - expected).max())
        if not result["max_abs_diff"] <= TOLERANCE:
            raise InputError(
                f"the ONNX export differs from PyTorch by {result['max_abs_diff']:.2e} "
                f"(tolerance {TOLERANCE:g}); not written"
            )

    result: dict[str, Any] = {"opset": OPSET, "dynamic_length": not fixed_length}
    write_with(out, write)
    return result


def _feed(session: Any, batch: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """The batch's arrays the graph takes (a fixed-length model's export has no lengths)."""
    return {i.name: batch[i.name].numpy() for i in session.get_inputs()}


def _onnx_modules() -> tuple[Any, Any]:
    """onnx and onnxruntime, or an InputError saying how to install them."""
    try:
        import onnx
        import onnxruntime
    except ImportError:
        raise InputError("ONNX needs: pip install 'genoclass[onnx]'") from None
    return onnx, onnxruntime


class OnnxPredictor:
    """Class probabilities from an exported model with onnxruntime (``threads``: its
    intra-op threads, None for its default)."""

    def __init__(self, path: str | Path, *, threads: int | None = None) -> None:
        _, onnxruntime = _onnx_modules()
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        try:
            self.session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - a damaged or foreign file
            reason = " ".join(str(exc).split())[:200]
            raise InputError(f"not a readable ONNX model: {reason}", path=path) from None
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)

    def meta(self, key: str) -> Any:
        """A JSON value stored at export (None when absent)."""
        value = self.metadata.get(key)
        return None if value is None else json.loads(value)

    def predict_proba(self, features: FeatureSet, batch_size: int = 256) -> np.ndarray:
        """(n, C) class probabilities of every row of ``features``, in order."""
        out = [
            self.session.run(None, _feed(self.session, b))[0]
            for b in make_loader(features, batch_size, shuffle=False)
        ]
        return np.concatenate(out) if out else np.zeros((0, 0))
