"""Supervised transfer learning: start a run from the trunk of an earlier run's model.

``train --init RUN_DIR`` builds the new model, copies the earlier model's trunk into it
(every state key not under ``head.``; models.registry's trunk + head contract) and keeps
the earlier head only when the classes are the same names in the same order (otherwise
the head is new). The model name, the hyperparameters that change what the trunk computes
(``Param.trunk``) and the input encoding must match the earlier run's: a mismatch is an
InputError naming what differs. Trunk hyperparameters not given on the command line are
taken from the earlier run, so ``--param`` need not repeat them.

Two modes: ``finetune`` trains every weight, the trunk at ``lr * trunk_lr_scale`` (its own
optimiser parameter group); ``features`` freezes the trunk (no gradients, and eval mode so
batch-norm statistics and dropout stay as trained) and trains a head on its features.
``unfreeze_after N`` keeps the trunk frozen for the first N epochs and then fine-tunes it
(gradual unfreezing: head first, then everything). The origin of the initial weights
(folder + SHA-256 of its weights file) goes to metrics.json and model.json.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from torch import nn

from genoclass.config import HF_PREFIX, TrainConfig
from genoclass.errors import InputError
from genoclass.io.textfile import file_sha256
from genoclass.models.registry import ModelSpec, get_spec
from genoclass.models.serialize import (
    META,
    WEIGHTS,
    ModelCard,
    build_model,
    check_card,
    load_model,
    read_card_json,
)
from genoclass.models.windowed import WindowedClassifier

#: learning-rate factor of the trunk when fine-tuning and --trunk-lr-scale is not given
DEFAULT_TRUNK_LR_SCALE = 0.1
#: model.json "input" entries that define how bases become model input (must match)
ENCODING_KEYS = ("featurizer", "input_kind", "alphabet", "one_hot_N", "padding")
#: options that only mean something with --init
TRANSFER_OPTIONS = {
    "transfer": "--transfer",
    "trunk_lr_scale": "--trunk-lr-scale",
    "unfreeze_after": "--unfreeze-after",
}


@dataclass
class Transfer:
    """How a run started from an earlier model trains: its mode, the trunk's learning-rate
    factor, the epochs the trunk stays frozen (``math.inf``: always) and the origin record."""

    mode: str
    trunk_lr_scale: float
    frozen_epochs: float
    origin: dict[str, Any] = field(default_factory=dict)

    def callback(self) -> Callback:
        """The training callback that freezes and unfreezes the trunk by epoch."""
        return TrunkFreezer(self.frozen_epochs)


#: state-dict prefix of a neural model's head (trunk + head, docs/design.md); the rest: trunk
HEAD_PREFIX = "head."


def has_trunk(spec: ModelSpec) -> bool:
    """Whether models of ``spec`` have a trunk (``features``) and a head: every neural
    sequence model (token or one-hot input); classical and expression models have none."""
    return spec.family == "neural" and spec.input_kind in ("tokens", "onehot")


def base_model(model: nn.Module) -> nn.Module:
    """The model holding trunk and head: a window wrapper's inner model, else ``model``."""
    return model.inner if isinstance(model, WindowedClassifier) else model


def trunk_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Every weight of the model holding trunk and head outside its head (state-dict keys
    not starting with ``head.``)."""
    return {
        k: v for k, v in base_model(model).state_dict().items() if not k.startswith(HEAD_PREFIX)
    }


def load_trunk(model: nn.Module, state: Mapping[str, torch.Tensor], *, source: str | Path) -> None:
    """Copy the trunk weights in ``state`` (another model's state dict; its head is ignored)
    into ``model``; a missing, unexpected or differently shaped trunk tensor is an input
    error naming ``source``."""
    mine = trunk_state(model)
    theirs = {k: v for k, v in state.items() if not k.startswith(HEAD_PREFIX)}
    missing, unexpected = sorted(set(mine) - set(theirs)), sorted(set(theirs) - set(mine))
    wrong = sorted(k for k in set(mine) & set(theirs) if mine[k].shape != theirs[k].shape)
    if missing or unexpected or wrong:
        raise InputError(
            f"trunk weights do not fit this model: missing {missing[:3]}, "
            f"unexpected {unexpected[:3]}, other shape {wrong[:3]}",
            path=source,
        )
    base_model(model).load_state_dict(theirs, strict=False)


def parameter_groups(model: nn.Module, lr: float, trunk_lr_scale: float) -> list[dict[str, Any]]:
    """Optimiser parameter groups: one group at ``lr`` when ``trunk_lr_scale`` is 1, else
    the head at ``lr`` (first, so it is the reported rate) and the trunk at
    ``lr * trunk_lr_scale``."""
    params = list(model.parameters())
    if trunk_lr_scale == 1.0:
        return [{"params": params, "lr": lr}]
    head = {id(p) for p in base_model(model).head.parameters()}
    return [
        {"params": [p for p in params if id(p) in head], "lr": lr},
        {"params": [p for p in params if id(p) not in head], "lr": lr * trunk_lr_scale},
    ]


def set_trunk_frozen(model: nn.Module, frozen: bool) -> None:
    """Freeze (no gradients, eval mode) or release the trunk; the head keeps its mode."""
    base = base_model(model)
    head = {id(p) for p in base.head.parameters()}
    for p in base.parameters():
        if id(p) not in head:
            p.requires_grad_(not frozen)
    if frozen:
        head_training = base.head.training
        base.eval()  # the model's own flag too: some trunks read self.training
        base.head.train(head_training)


class TrunkFreezer(Callback):
    """Keeps the trunk frozen during the first ``frozen_epochs`` training epochs (re-applied
    before every batch, since Lightning switches the whole model to training mode) and
    releases it afterwards and when fitting ends."""

    def __init__(self, frozen_epochs: float) -> None:
        self.frozen_epochs = frozen_epochs

    def _frozen(self, trainer: L.Trainer) -> bool:
        return trainer.current_epoch < self.frozen_epochs

    def on_train_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        set_trunk_frozen(module.model, self._frozen(trainer))

    def on_train_batch_start(
        self, trainer: L.Trainer, module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self._frozen(trainer):
            set_trunk_frozen(module.model, True)

    def on_fit_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        set_trunk_frozen(module.model, False)


def model_folder(path: Path) -> Path:
    """The folder holding model.json and the weights: ``path/model`` of a run directory, or
    ``path`` itself; anything else is an InputError."""
    for folder in (path / "model", path):
        if (folder / META).is_file():
            return folder
    raise InputError("--init: not a run directory or model folder (no model/model.json)", path=path)


def build_initial_model(config: TrainConfig, card: ModelCard) -> tuple[Any, Transfer | None]:
    """The untrained model of ``card``, or with ``config.init`` the model started from that
    run's trunk (and head, see the module docstring) with the Transfer that trains it;
    ``card`` then carries the inherited trunk hyperparameters and the origin. A classical
    model given ``config.init`` is fitted on that trunk's features (``training.embedding``):
    it is built untrained, and its Transfer only records the origin."""
    if config.init is None:
        given = [flag for key, flag in TRANSFER_OPTIONS.items() if getattr(config, key) is not None]
        if given:
            raise InputError(f"{', '.join(given)} need --init RUN_DIR (the model to start from)")
        return build_model(card), None
    if config.init.startswith(HF_PREFIX):
        return _from_hugging_face(config, card)
    folder = model_folder(Path(config.init))
    meta_path = folder / META
    meta = read_card_json(meta_path)
    meta.pop("state", None)
    meta.pop("family", None)
    source_card = check_card(ModelCard(**meta), meta_path)
    if get_spec(card.name).family == "classical":
        transfer = Transfer("features", 1.0, math.inf, source_origin(folder, source_card))
        transfer.origin["head"] = "new"
        _record_origin(card, transfer, str(folder), f"{source_card.name}, ")
        return build_model(card), transfer
    transfer = _settings(config)
    inherited = _check_compatible(source_card, card, config, folder)
    model = build_model(card)
    with torch.random.fork_rng():  # building the earlier model leaves this run's seed alone
        source, _ = load_model(folder)
    head = _copy_weights(base_model(source), base_model(model), source_card, card, folder)
    transfer.origin = {
        **source_origin(folder, source_card, transfer.mode),
        "head": head,
        "trunk_lr_scale": transfer.trunk_lr_scale,
        "unfreeze_after": config.unfreeze_after,
        "trunk_hparams_inherited": inherited,
    }
    _record_origin(card, transfer, str(folder), f"{source_card.name}, ")
    return model, transfer


def _from_hugging_face(config: TrainConfig, card: ModelCard) -> tuple[Any, Transfer]:
    """``--init hf:DIR``: the foundation model built on DIR (its pretrained weights are the
    trunk, the head is new) with the Transfer that trains it as --transfer says."""
    model = build_model(card)  # reads and checks the folder (models.foundation)
    folder = Path(card.hparams["path"])
    transfer = _settings(config)
    transfer.origin = {
        "path": str(folder.resolve()),
        "weights_sha256": file_sha256(folder / "model.safetensors"),
        "model": "Hugging Face folder",
        "transfer": transfer.mode,
        "head": "new",
        "trunk_lr_scale": transfer.trunk_lr_scale,
        "unfreeze_after": config.unfreeze_after,
    }
    _record_origin(card, transfer, f"the Hugging Face folder {folder}", "model.safetensors ")
    return model, transfer


def source_origin(folder: Path, source: ModelCard, mode: str = "features") -> dict[str, Any]:
    """Where a run's initial weights come from: the model folder, the SHA-256 of its
    weights file, its model and classes, and the transfer mode."""
    return {
        "path": str(folder.resolve()),
        "weights_sha256": file_sha256(folder / WEIGHTS),
        "model": source.name,
        "classes": source.classes,
        "transfer": mode,
    }


def _record_origin(card: ModelCard, transfer: Transfer, where: str, what: str) -> None:
    """Put the origin into ``card`` (model.json ``extra.init``) and say it in one line:
    from ``where`` (``what``: the weights named before their SHA-256)."""
    card.extra["init"] = {k: transfer.origin[k] for k in ("path", "weights_sha256", "transfer")}
    print(
        f"init: {transfer.mode} from {where} ({what}sha256 "
        f"{transfer.origin['weights_sha256'][:12]}), {transfer.origin['head']} head"
    )


def _settings(config: TrainConfig) -> Transfer:
    """Mode, trunk learning-rate factor and frozen epochs from the options (checked)."""
    mode = config.transfer or "finetune"
    frozen = config.unfreeze_after or (math.inf if mode == "features" else 0)
    if mode == "features" and config.trunk_lr_scale is not None and math.isinf(frozen):
        raise InputError(
            "--trunk-lr-scale has no effect with --transfer features (the trunk never "
            "trains); add --unfreeze-after N or use --transfer finetune"
        )
    scale = DEFAULT_TRUNK_LR_SCALE if config.trunk_lr_scale is None else config.trunk_lr_scale
    return Transfer(mode, scale, frozen)


def _check_compatible(
    source: ModelCard, card: ModelCard, config: TrainConfig, folder: Path
) -> dict[str, Any]:
    """InputError naming what differs between the earlier run's model and this one (model,
    encoding, trunk hyperparameters); sets ``card``'s trunk hyperparameters to the earlier
    run's and returns those it took from there."""
    spec = get_spec(source.name)
    if not has_trunk(spec):
        raise InputError(
            f"--init: model {source.name!r} is not a neural sequence model (no trunk to transfer)",
            path=folder,
        )
    if source.name != card.name:
        raise InputError(
            f"--init: the run's model is {source.name!r}, this run's {card.name!r} "
            f"(pass --model {source.name})",
            path=folder,
        )
    for key in ENCODING_KEYS:
        if source.input.get(key) != card.input.get(key):
            raise InputError(
                f"--init: input encoding differs: {key} {source.input.get(key)!r} in the run, "
                f"{card.input.get(key)!r} here",
                path=folder,
            )
    inherited = {}
    for param in spec.params:
        if not param.trunk:
            continue
        name, given = param.name, config.model_params.get(param.name)
        if name not in source.hparams:
            if name in config.model_params:
                raise InputError(
                    f"--init: hyperparameter {name} is not recorded in the run (it was built "
                    "with its constructor default); leave --param out",
                    path=folder,
                )
            card.hparams.pop(name, None)  # built as the earlier model was
            continue
        want = source.hparams[name]
        if name in config.model_params and param.check(given) != want:
            raise InputError(
                f"--init: hyperparameter {name} differs: {want!r} in the run, {given!r} here "
                "(trunk hyperparameters must match; leave --param out to take the run's)",
                path=folder,
            )
        if card.hparams.get(name) != want:
            inherited[name] = want
        card.hparams[name] = want
    return inherited


def _copy_weights(
    source: nn.Module, model: nn.Module, source_card: ModelCard, card: ModelCard, folder: Path
) -> str:
    """Copy ``source``'s trunk (and head when the classes and head shapes are the same) into
    ``model``; returns "kept" or "new" (the head). Trunk tensors that do not match are an
    InputError naming them."""
    theirs = source.state_dict()
    load_trunk(model, theirs, source=folder)
    ours = model.state_dict()
    heads = [k for k in ours if k.startswith(HEAD_PREFIX)]
    keep = source_card.classes == card.classes and all(
        k in theirs and theirs[k].shape == ours[k].shape for k in heads
    )
    if keep:
        model.load_state_dict({k: theirs[k] for k in heads}, strict=False)
    return "kept" if keep else "new"
