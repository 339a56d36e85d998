"""Attribution maps of any classifier: gradients (captum) and in-silico mutagenesis.

Every function takes a model whose ``forward(x, lengths=None)`` returns logits, an input
tensor ``x`` (one-hot ``(B, 4, L)`` for sequences, ``(B, genes)`` for expression) and the
class index each row is explained for, and returns a tensor shaped like ``x``. Token
models are first wrapped by ``onehot_model`` so that sequences are always explained on
their one-hot representation (models that look up k-mers read it back as tokens, which
only in-silico mutagenesis can explain).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable

import numpy as np
import torch
from captum.attr import DeepLift, InputXGradient, IntegratedGradients, Saliency
from torch import nn

from genoclass.alphabet import TOKEN_IDS
from genoclass.training.progress import Steps, progress

Target = int | torch.Tensor
#: seconds between progress lines of attribution batches (when not on a terminal)
BATCH_LINES_S = 10.0
Method = Callable[..., torch.Tensor]


class ClassScores(nn.Module):
    """Wrap a classifier so it returns one score column per class: the logits of a
    multi-class model, or ``[-logit, logit]`` of a one-logit binary model (so class 0 is
    explained by what lowers the positive logit)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        logits = self.model(x, lengths)
        return torch.cat([-logits, logits], dim=1) if logits.shape[1] == 1 else logits


class OneHotEmbedding(nn.Module):
    """Replace a token embedding so the model reads one-hot ``(B, 4, L)`` instead of tokens.

    A one-hot column selects the embedding row of its base (A, C, G, T); an ``N`` column
    (0.25 on each base) gets the ``N`` row and an all-zero column the padding row (zero),
    so the wrapped model gives exactly the logits of the token model on the same sequence.
    """

    def __init__(self, embedding: nn.Embedding) -> None:
        super().__init__()
        weight = embedding.weight.detach()
        bases = [TOKEN_IDS[b] for b in "ACGT"]
        self.register_buffer("bases", weight[bases].clone())
        self.register_buffer("n_shift", (weight[TOKEN_IDS["N"]] - weight[bases].mean(0)).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        is_n = (x.amin(dim=1) > 0.2).to(x.dtype)  # only the N column has no zero entry
        return x.transpose(1, 2) @ self.bases + is_n[..., None] * self.n_shift


class OneHotTokens(nn.Module):
    """Feed a token model one-hot ``(B, 4, L)`` sequences by reading them back as tokens
    (a base's column -> its token, an ``N`` column -> N, an all-zero column -> padding).
    Not differentiable: for in-silico mutagenesis of models that look up k-mers."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        bases = torch.tensor([TOKEN_IDS[b] for b in "ACGT"], device=x.device)
        tokens = bases[x.argmax(dim=1)]
        tokens = torch.where(x.amin(dim=1) > 0.2, TOKEN_IDS["N"], tokens)
        return self.model(torch.where(x.amax(dim=1) > 0, tokens, 0), lengths)


def onehot_model(model: nn.Module, gradients: bool = True, onehot: bool = False) -> nn.Module:
    """A copy of a token-embedding model (one with an ``embedding`` attribute used on its
    input) that takes one-hot ``(B, 4, L)`` sequences, or (``gradients=False``: a model
    that looks up k-mers) the model behind ``OneHotTokens``; one-hot models (``onehot``, or
    no embedding) are returned as they are."""
    if onehot:
        return model
    if not gradients:
        return OneHotTokens(model).eval()
    if not isinstance(getattr(model, "embedding", None), nn.Embedding):
        return model
    adapted = copy.deepcopy(model)
    adapted.embedding = OneHotEmbedding(model.embedding)
    return adapted.eval()


def _captum(
    method: type, model: nn.Module, x: torch.Tensor, target: Target, lengths, **kwargs
) -> torch.Tensor:
    """Run one captum attribution method on the class-score wrapper of ``model``."""
    explainer = method(ClassScores(model).eval())
    inputs = x.detach().clone().requires_grad_(True)
    extra = None if lengths is None else (lengths,)
    with warnings.catch_warnings():
        # captum announces its DeepLIFT hooks and gradient requirements on every call
        warnings.filterwarnings("ignore", category=UserWarning, module="captum")
        return explainer.attribute(inputs, target=target, additional_forward_args=extra, **kwargs)


def saliency(
    model: nn.Module, x: torch.Tensor, target: Target, lengths: torch.Tensor | None = None
) -> torch.Tensor:
    """Absolute gradient of the class score with respect to each input value."""
    return _captum(Saliency, model, x, target, lengths).detach()


def input_x_gradient(
    model: nn.Module, x: torch.Tensor, target: Target, lengths: torch.Tensor | None = None
) -> torch.Tensor:
    """Input times the gradient of the class score (zero wherever the input is zero)."""
    return _captum(InputXGradient, model, x, target, lengths).detach()


def integrated_gradients(
    model: nn.Module,
    x: torch.Tensor,
    target: Target,
    lengths: torch.Tensor | None = None,
    *,
    n_steps: int = 32,
) -> torch.Tensor:
    """Integrated gradients of the class score from an all-zero baseline (an empty sequence,
    or the training-mean profile of standardised expression)."""
    return _captum(
        IntegratedGradients, model, x, target, lengths, n_steps=n_steps, internal_batch_size=512
    ).detach()


def deep_lift(
    model: nn.Module, x: torch.Tensor, target: Target, lengths: torch.Tensor | None = None
) -> torch.Tensor:
    """DeepLIFT (captum's rescale rule) of the class score against an all-zero baseline;
    layers captum has no rule for, and layers the model calls more than once, are treated
    by their gradient."""
    return _captum(DeepLift, single_use_modules(model, x, lengths), x, target, lengths).detach()


class _GradientOnly(nn.Module):
    """Calls a module without registering it, so captum sees no layer to apply a rule to."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self._hidden = [module]

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        return self._hidden[0](*args)


@torch.no_grad()
def single_use_modules(
    model: nn.Module, x: torch.Tensor, lengths: torch.Tensor | None
) -> nn.Module:
    """A copy of ``model`` in which every parameter-free module called more than once per
    forward pass (a shared pooling or activation layer) is hidden from captum, whose DeepLIFT
    hooks need each layer to be used once."""
    adapted = copy.deepcopy(model).eval()
    calls: dict[str, int] = {}
    hooks = [
        module.register_forward_hook(lambda *_, n=name: calls.__setitem__(n, calls.get(n, 0) + 1))
        for name, module in adapted.named_modules()
        if name and not any(True for _ in module.parameters(recurse=False))
    ]
    adapted(x[:1], None if lengths is None else lengths[:1])
    for hook in hooks:
        hook.remove()
    for name in (n for n, count in calls.items() if count > 1):
        parent, _, child = name.rpartition(".")
        owner = adapted.get_submodule(parent)
        setattr(owner, child, _GradientOnly(getattr(owner, child)))
    return adapted


@torch.no_grad()
def ism(
    model: nn.Module,
    x: torch.Tensor,
    target: Target,
    lengths: torch.Tensor | None = None,
    *,
    batch_size: int = 2048,
) -> torch.Tensor:
    """In-silico saturation mutagenesis of one-hot sequences: for every position, the class
    score of each of the three substitutions minus the reference score, then centred on the
    mean over the four bases so that the reference base carries the (negated) mean effect of
    mutating it, comparable with gradient attributions. The 3 x length mutants of all
    sequences go through the model in batched forward passes of ``batch_size`` mutants
    (a 251-nt sequence's 753 mutants take one pass)."""
    scorer = ClassScores(model).eval()
    n, _, width = x.shape
    lengths = torch.full((n,), width) if lengths is None else lengths.to(torch.int64)
    targets = torch.as_tensor(target).expand(n)
    reference = scorer(x, lengths).gather(1, targets[:, None])[:, 0]
    seq = torch.arange(n).repeat_interleave(3 * lengths)
    pos = torch.cat([torch.arange(int(k)).repeat_interleave(3) for k in lengths])
    alt = (x[seq, :, pos].argmax(1) + torch.arange(1, 4).repeat(len(seq) // 3)) % 4
    delta = torch.zeros_like(x)
    for start in range(0, len(seq), batch_size):
        s, p, a = (v[start : start + batch_size] for v in (seq, pos, alt))
        rows = torch.arange(len(s))
        mutants = x[s].clone()
        mutants[rows, :, p] = 0.0
        mutants[rows, a, p] = 1.0
        scores = scorer(mutants, lengths[s]).gather(1, targets[s][:, None])[:, 0]
        delta[s, a, p] = scores - reference[s]
    return delta - delta.mean(dim=1, keepdim=True)


#: method name -> attribution function (as accepted by ``genoclass explain --method``)
METHODS: dict[str, Method] = {
    "saliency": saliency,
    "input_x_gradient": input_x_gradient,
    "integrated_gradients": integrated_gradients,
    "deeplift": deep_lift,
    "ism": ism,
}


def attribute(
    model: nn.Module,
    x: torch.Tensor,
    target: Target,
    method: str,
    lengths: torch.Tensor | None = None,
    *,
    batch_size: int = 64,
) -> torch.Tensor:
    """Attributions of ``method`` (a key of ``METHODS``) for every row of ``x``, computed in
    batches of ``batch_size`` rows to bound memory."""
    fn = METHODS[method]
    targets = torch.as_tensor(target).expand(len(x))
    parts = []
    starts = range(0, len(x), batch_size)
    for start in progress(starts, len(starts), f"{method} batch", every=BATCH_LINES_S, leave=False):
        rows = slice(start, start + batch_size)
        sub_lengths = None if lengths is None else lengths[rows]
        parts.append(fn(model, x[rows], targets[rows], sub_lengths))
    return torch.cat(parts) if parts else torch.zeros_like(x)


def attribute_methods(
    model: nn.Module,
    x: torch.Tensor,
    target: Target,
    methods: list[str],
    lengths: torch.Tensor | None = None,
) -> dict[str, np.ndarray]:
    """``attribute`` for each of ``methods`` (as arrays), one progress step per method."""
    result = {}
    with Steps(len(methods), "attribution method") as steps:
        for method in methods:
            result[method] = attribute(model, x, target, method, lengths).numpy()
            steps.step(method)
    return result


def position_scores(attributions: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-position contribution ``(B, L)`` of the observed bases: attributions projected
    on the one-hot input and summed over the four channels."""
    return (attributions * x).sum(dim=1)
