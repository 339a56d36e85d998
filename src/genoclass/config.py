"""Run configuration: one typed dataclass, filled from defaults, a YAML file and CLI flags.

Every setting declares its type and allowed range once, next to its field (``Bounds``);
constructing a ``TrainConfig`` checks them all, so a bad value from a flag, a YAML file or
a saved run is an ``InputError`` naming the option before any work starts. The same
``Bounds`` check the model hyperparameters of the registry.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from genoclass.errors import InputError

_INT = re.compile(r"[+-]?\d+")
_KIND_WORDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "text",
    "ints": "a list of integers, each",
    "mapping": "a mapping of name: value",
    "any": "a value",
}


@dataclass(frozen=True)
class Bounds:
    """The type and allowed values of one setting or hyperparameter.

    ``kind``: int, float, bool, str, ints (a non-empty list of integers), mapping or any.
    Numbers (and every item of ``ints``) must lie in [``low``, ``high``] (``low`` excluded
    when ``open_low``, ``high`` when ``open_high``); text must be one of ``choices`` when
    choices are given (for a number, a listed choice is accepted besides the range).
    ``optional`` allows None and ``off`` names one more accepted value that switches the
    feature off (e.g. ``cv: 0``).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    choices: tuple[Any, ...] = ()
    optional: bool = False
    off: Any = None

    def check(self, value: Any, name: str) -> Any:
        """``value`` converted to the kind (numeric text becomes a number), or InputError
        naming ``name`` and what is allowed."""
        if value is None and self.optional:
            return None
        if self.off is not None and value == self.off and not isinstance(value, bool):
            return value
        if value in self.choices and not isinstance(value, bool):
            return value
        converted = _convert(self.kind, value)
        if converted is _BAD or not self._inside(converted):
            raise InputError(f"{name} must be {self.describe()}, got {value!r}")
        return converted

    def _inside(self, value: Any) -> bool:
        if self.kind in ("int", "float"):
            return self._in_range(value)
        if self.kind == "ints":
            return 0 < len(value) <= 64 and all(self._in_range(v) for v in value)
        if self.kind == "str" and self.choices:
            return value in self.choices
        return True

    def _in_range(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.open_low else value < self.low):
            return False
        if self.high is not None and (value >= self.high if self.open_high else value > self.high):
            return False
        return True

    def describe(self) -> str:
        """What is allowed, in words: e.g. ``an integer in [1, 100000]``."""
        text = _KIND_WORDS[self.kind]
        if self.kind == "str" and self.choices:
            text = "one of " + ", ".join(map(str, self.choices))
        elif self.low is not None or self.high is not None:
            low = "-inf" if self.low is None else _number(self.low)
            high = "inf" if self.high is None else _number(self.high)
            text += (
                f" in {'(' if self.open_low else '['}{low}, {high}{')' if self.open_high else ']'}"
            )
            if self.choices:
                text += " or one of " + ", ".join(map(str, self.choices))
        if self.off is not None:
            text += f", or {self.off} (off)"
        if self.optional:
            text += ", or none"
        return text


_BAD = object()


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def _convert(kind: str, value: Any) -> Any:
    """``value`` as ``kind`` (numeric text accepted for numbers), or ``_BAD``."""
    if kind == "any":
        return value
    if kind == "bool":
        return value if isinstance(value, bool) else _BAD
    if kind == "str":
        return value if isinstance(value, str) else _BAD
    if kind == "mapping":
        return dict(value) if isinstance(value, dict) else _BAD
    if kind == "ints":
        if not isinstance(value, (list, tuple)):
            return _BAD
        items = [_convert("int", v) for v in value]
        return _BAD if any(v is _BAD for v in items) else items
    if isinstance(value, bool):
        return _BAD
    if isinstance(value, str):
        text = value.strip()
        if kind == "int" and _INT.fullmatch(text):
            return int(text)
        try:
            value = float(text) if kind == "float" else _BAD
        except ValueError:
            return _BAD
    if kind == "int":
        integral = isinstance(value, float) and value.is_integer()
        return int(value) if isinstance(value, int) or integral else _BAD
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return _BAD


#: what a setting decides: which rows and how they are read (data), how they are split
#: (split), the model and its input (model), the training loop (fit), where results go (output)
GROUPS = ("data", "split", "model", "fit", "output")


def setting(
    default: Any, bounds: Bounds, group: str | None = None, *, flag: str | None = ""
) -> Any:
    """A dataclass field with its ``Bounds`` and, for a run setting, its ``group`` (one of
    ``GROUPS``); ``flag`` is its command-line spelling (empty: ``--name-with-dashes``; None:
    set only in a YAML file)."""
    if group is not None and group not in GROUPS:
        raise ValueError(f"unknown settings group {group!r}")
    metadata = {"bounds": bounds, "flag": flag, "group": group}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def option_name(f: dataclasses.Field) -> str:
    """How a user names the field ``f``: its flag, else its YAML key."""
    flag = f.metadata.get("flag", "")
    if flag is None:
        return f.name
    return flag or "--" + f.name.replace("_", "-")


def check_fields(obj: Any) -> None:
    """Check (and convert) every field of a dataclass instance that declares ``Bounds``."""
    for f in dataclasses.fields(obj):
        bounds = f.metadata.get("bounds")
        if bounds is not None:
            setattr(obj, f.name, bounds.check(getattr(obj, f.name), option_name(f)))


SEED = Bounds("int", 0, 2**32 - 1)
SIZE = Bounds("int", 1, 10**9, optional=True)
TRANSFER_MODES = ("finetune", "features")
#: --accelerator values (Lightning's names; ``gpu`` is any CUDA device)
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps")
#: --strategy values (Lightning's names). ``ddp`` starts one process per device by running
#: the same command again (or joins processes started by srun / torchrun); ``ddp_spawn`` is
#: not offered: its workers' best-epoch weights and history would not come back (docs/scaling.md)
STRATEGIES = ("auto", "ddp", "ddp_find_unused_parameters_true")
#: --precision values (Lightning's names); ``16-mixed`` needs a CUDA GPU
PRECISIONS = ("32", "bf16-mixed", "16-mixed")
#: ``--init hf:DIR``: start from a DNA language model in a local Hugging Face folder
HF_PREFIX = "hf:"


@dataclass
class ComputeSettings:
    """Where and how a training command computes (``training.runtime``), shared by train,
    compare and pretrain; recorded in config.yaml and metrics.json "runtime".

    ``devices`` processes per node on ``num_nodes`` nodes train together (Lightning's
    ``strategy``); ``batch_size`` stays the global batch: every process takes an equal
    share of each batch (docs/scaling.md).
    """

    batch_size: int = setting(64, Bounds("int", 1, 1_000_000), "fit")
    threads: int | None = setting(None, Bounds("int", 1, 4096, optional=True), "fit")
    deterministic: bool = setting(False, Bounds("bool"), "fit")
    accelerator: str = setting("auto", Bounds("str", choices=ACCELERATORS), "fit")
    devices: int = setting(1, Bounds("int", 1, 4096), "fit")
    num_nodes: int = setting(1, Bounds("int", 1, 100_000), "fit")
    strategy: str = setting("auto", Bounds("str", choices=STRATEGIES), "fit")
    precision: str = setting("32", Bounds("str", choices=PRECISIONS), "fit")

    @property
    def world_size(self) -> int:
        """Processes that train together: devices x nodes."""
        return self.devices * self.num_nodes

    def check_processes(self) -> None:
        """--batch-size is the global batch: it must split evenly over the processes (an
        InputError naming the options otherwise)."""
        if self.batch_size % self.world_size:
            raise InputError(
                f"--batch-size {self.batch_size} is the global batch and must be divisible "
                f"by --devices x --num-nodes = {self.world_size} (each process takes an "
                "equal share)"
            )


@dataclass
class TrainConfig(ComputeSettings):
    """Every setting of a training run; the resolved copy is written to config.yaml."""

    data: str = setting("", Bounds("str"), "data")
    test: str | None = setting(None, Bounds("str", optional=True), "data")
    val: str | None = setting(None, Bounds("str", optional=True), "data")
    labels: str | None = setting(None, Bounds("str", optional=True), "data")
    format: str = setting("auto", Bounds("str"), "data")
    sequence_col: str = setting("sequence", Bounds("str"), "data")
    label_col: str = setting("label", Bounds("str"), "data")
    model: str = setting("fast_accurate_cnn", Bounds("str"), "model")
    model_params: dict[str, Any] = setting({}, Bounds("mapping"), "model", flag="--param")
    epochs: int = setting(10, Bounds("int", 1, 100_000), "fit")
    lr: float = setting(1e-3, Bounds("float", 0, 10, open_low=True), "fit")
    weight_decay: float = setting(1e-2, Bounds("float", 0, 10), "fit", flag=None)
    recipe: str = setting("onecycle", Bounds("str"), "fit")
    patience: int = setting(3, Bounds("int", 0, 100_000), "fit")
    grad_clip: float = setting(1.0, Bounds("float", 0, 1e6), "fit", flag=None)
    label_smoothing: float = setting(0.0, Bounds("float", 0, 1, open_high=True), "fit")
    #: warmup_cosine recipe: warm-up share of the optimiser steps; floor as a share of the peak
    warmup: float = setting(0.05, Bounds("float", 0, 1, open_high=True), "fit")
    lr_floor: float = setting(0.01, Bounds("float", 0, 1), "fit", flag=None)
    #: decay of the exponential moving average of the weights (None: off; training.ema)
    ema: float | None = setting(
        None, Bounds("float", 0, 1, open_low=True, open_high=True, optional=True), "fit"
    )
    class_weights: bool = setting(False, Bounds("bool"), "fit")
    seed: int = setting(42, SEED, "split")
    split_seed: int | None = setting(None, dataclasses.replace(SEED, optional=True), "split")
    ignore_splits: bool = setting(False, Bounds("bool"), "split")
    max_len: int | None = setting(None, SIZE, "model")
    crop: str = setting("right", Bounds("str", choices=("left", "right", "center")), "model")
    test_size: float = setting(0.2, Bounds("float", 0, 1, open_high=True), "split")
    val_size: float = setting(0.1, Bounds("float", 0, 1, open_high=True), "split")
    dedup: str = setting("none", Bounds("str", choices=("none", "exact", "rc", "similar")), "split")
    similarity: float = setting(0.8, Bounds("float", 0, 1, open_low=True), "split")
    kmer: int = setting(9, Bounds("int", 3, 16), "split")
    group_col: str | None = setting(None, Bounds("str", optional=True), "split")
    split_by: str | None = setting(
        None, Bounds("str", choices=("chromosome",), optional=True), "split"
    )
    augment: dict[str, float] = setting({}, Bounds("mapping"), "model")
    window: int | None = setting(None, SIZE, "model")
    window_stride: int | None = setting(None, SIZE, "model")
    #: transfer learning (training.transfer): start from an earlier run's model files
    init: str | None = setting(None, Bounds("str", optional=True), "model")
    transfer: str | None = setting(
        None, Bounds("str", choices=TRANSFER_MODES, optional=True), "model"
    )
    trunk_lr_scale: float | None = setting(
        None, Bounds("float", 0, 10, open_low=True, optional=True), "fit"
    )
    unfreeze_after: int | None = setting(None, Bounds("int", 1, 100_000, optional=True), "fit")
    orientation: str = setting("auto", Bounds("str", choices=("auto", "samples", "genes")), "model")
    missing: str = setting("reject", Bounds("str", choices=("reject", "impute-median")), "model")
    preprocess: str = setting("auto", Bounds("str"), "model")
    cv: int = setting(0, Bounds("int", 2, 1000, off=0), "split")
    cv_seeds: int = setting(1, Bounds("int", 1, 1000), "split", flag="--seeds")
    out: str = setting("", Bounds("str"), "output")
    #: estimated activation memory of one training batch (GB) above which training refuses
    batch_memory_gb: float = setting(8.0, Bounds("float", 0.001, 100_000), "fit", flag=None)
    #: DataLoader worker processes building the batches (0: the training process itself)
    workers: int = setting(0, Bounds("int", 0, 256), "fit")
    #: stop after this many optimiser steps (None: after --epochs)
    max_steps: int | None = setting(None, Bounds("int", 1, 10**12, optional=True), "fit")
    #: wall-clock minutes for the whole fit (None: no limit); a neural fit stops at the end of
    #: the epoch that spends it, and ``--model auto`` skips the candidates it leaves no time for
    time_budget: float | None = setting(
        None, Bounds("float", 0, 10**6, open_low=True, optional=True), "fit"
    )

    def __post_init__(self) -> None:
        self.precision = plain_precision(self.precision)
        check_fields(self)
        self.check_processes()
        if self.world_size > 1:
            self._check_distributed()
        if self.init is not None and self.init.startswith(HF_PREFIX):
            self._foundation_from_init()

    def _check_distributed(self) -> None:
        """Refuse what several processes cannot do together (docs/scaling.md)."""
        if self.unfreeze_after is not None:
            raise InputError(
                "--unfreeze-after cannot change the trained parameters of several processes "
                "mid-run; leave it out or train on one device"
            )
        if self.cv:
            raise InputError(
                "--cv runs its folds one after another; use --devices 1 with --cv, or train "
                "each fold as its own multi-device run"
            )

    def _foundation_from_init(self) -> None:
        """``--init hf:DIR`` trains the ``foundation`` model on the folder DIR (the same as
        ``--model foundation --param path=DIR``, with --transfer and its options)."""
        folder = self.init[len(HF_PREFIX) :]
        if not folder:
            raise InputError("--init hf: needs a folder, as in hf:models/DNA_bert_6")
        if self.model not in ("foundation", default_of("model")):
            raise InputError(
                f"--init hf:DIR trains the foundation model; leave out --model {self.model}"
            )
        if self.model_params.get("path", folder) != folder:
            raise InputError("--init hf:DIR and --param path=... name different folders")
        self.model = "foundation"
        self.model_params = {**self.model_params, "path": folder}

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (for YAML)."""
        return dataclasses.asdict(self)


def plain_precision(value: Any) -> Any:
    """``--precision`` as text: a YAML file's number 32 (or 32.0) becomes "32"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 32:
        return "32"
    return value


#: environment variables that give a process its global rank: torchrun's and SLURM's (srun)
_RANK_VARIABLES = ("RANK", "SLURM_PROCID")


def is_main_process() -> bool:
    """Whether this process is rank 0 of a multi-process run (or the only process): only it
    writes outputs and prints progress. Read from the launchers' environment (torchrun,
    srun, or Lightning's NODE_RANK and LOCAL_RANK), so it is known before training starts."""
    for name in _RANK_VARIABLES:
        if name == "SLURM_PROCID" and os.environ.get("SLURM_NTASKS", "1") in ("", "0", "1"):
            continue  # one SLURM task: a plain job, not a multi-process run
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name]) == 0
    return all(os.environ.get(name, "0") in ("", "0") for name in ("NODE_RANK", "LOCAL_RANK"))


@contextmanager
def quiet_unless_main() -> Iterator[None]:
    """In a process other than rank 0 of a multi-process run, print nothing on stdout during
    the block (rank 0 shows the progress once; errors still reach stderr)."""
    if is_main_process():
        yield
        return
    with open(os.devnull, "w") as null, redirect_stdout(null):
        yield


def default_of(name: str) -> Any:
    """The default value of the TrainConfig setting ``name`` (defined once, on its field)."""
    for f in dataclasses.fields(TrainConfig):
        if f.name == name:
            return f.default_factory() if f.default is dataclasses.MISSING else f.default
    raise KeyError(name)


def settings_in(*groups: str) -> tuple[str, ...]:
    """Names of the TrainConfig settings in ``groups`` (see ``GROUPS``), in field order."""
    return tuple(f.name for f in dataclasses.fields(TrainConfig) if f.metadata["group"] in groups)


def config_from_mapping(values: dict[str, Any], path: str | Path | None = None) -> TrainConfig:
    """A TrainConfig from a mapping of settings (a YAML file's, or a saved run's
    config.yaml); unknown keys and bad values are input errors naming ``path``."""
    if not isinstance(values, dict):
        raise InputError("config must be a mapping of setting: value", path=path)
    check_settings(values, path)
    return TrainConfig(**values)


def check_settings(values: dict[str, Any], path: str | Path | None, *, label: str = "") -> None:
    """Every key of ``values`` is a TrainConfig setting with an allowed value; otherwise an
    InputError naming ``path`` and the key (prefixed by ``label``)."""
    known = {f.name: f for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(map(str, set(values) - set(known)))
    if unknown:
        raise InputError(f"{label}unknown setting(s) {unknown}; known: {sorted(known)}", path=path)
    for key, value in values.items():
        try:
            known[key].metadata["bounds"].check(value, label + key)
        except InputError as exc:
            raise InputError(exc.reason, path=path) from None


def read_yaml_mapping(path: str | Path, what: str) -> Any:
    """The parsed YAML file ``path`` (``what`` names it in errors: config, search space ...)."""
    try:
        return yaml.safe_load(Path(path).read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", path=path) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"not valid YAML ({what}): {problem}", path=path, where=where) from exc


def load_config(path: str | Path | None, overrides: dict[str, Any]) -> TrainConfig:
    """Build a TrainConfig from an optional YAML file, then CLI overrides (non-None wins).

    Unknown YAML keys and bad values are input errors naming the file and the key; bad flag
    values name the flag.
    """
    values: dict[str, Any] = {}
    if path is not None:
        loaded = read_yaml_mapping(path, "config") or {}
        config_from_mapping(loaded, path)
        values.update(loaded)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**values)
