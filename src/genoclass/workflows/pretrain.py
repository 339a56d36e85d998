"""The ``pretrain`` job: masked-span reconstruction on unlabelled sequences (see
training.pretrain) into a run directory whose model files hold the trunk for --init."""

from __future__ import annotations

from pathlib import Path

import safetensors.torch

from genoclass.atomic import write_table_atomic, write_with
from genoclass.config import is_main_process
from genoclass.data.featurize import SequenceFeaturizer
from genoclass.errors import InputError
from genoclass.io.run_files import RunFiles
from genoclass.models.registry import get_spec
from genoclass.models.serialize import ModelCard, build_model, save_model
from genoclass.reporting.pretrain_report import write_pretrain_report
from genoclass.training.fit import seed_everything
from genoclass.training.pretrain import (
    PretrainConfig,
    PretrainModule,
    WindowStream,
    exclusion_counts,
    fit_pretraining,
    source_paths,
    unigram_baseline,
)
from genoclass.training.runtime import Runtime, applied
from genoclass.workflows.rundir import CHECKPOINTS, staged_directory, write_json, write_yaml

#: class names of a pretrained model's (untrained) head: never a real task's, so --init
#: always gives the classifier a new head
PRETRAIN_CLASSES = ["untrained_head_0", "untrained_head_1"]
OBJECTIVE = "masked-span nucleotide reconstruction"
#: settings a --resume may change: where the run goes and how many processes train it
NEUTRAL = ("out", "devices", "num_nodes", "strategy")


def run_pretraining(
    config: PretrainConfig, *, resume: bool = False, overwrite: bool = False, progress: bool = True
) -> Path:
    """Pretrain ``config.model``'s trunk on ``config.data`` and write the run directory
    ``config.out`` (model/, decoder.safetensors, metrics.json, history.csv, report)."""
    if not config.out:
        raise InputError("--out is required")
    spec = get_spec(config.model)
    if spec.family != "neural" or spec.input_kind not in ("tokens", "onehot"):
        raise InputError(f"pretrain needs a neural sequence model, not {spec.name!r}")
    source_paths(config.data)
    excluded = exclusion_counts(config) if config.exclude else None
    if excluded:
        print(
            f"exclude: {excluded['found_in_corpus']} of {excluded['sequences']} excluded "
            f"sequences occur in the corpus; {excluded['windows_dropped']} of "
            f"{excluded['windows']} windows dropped"
        )
    featurizer = SequenceFeaturizer(spec.input_kind, config.window, "right", spec.fixed_length)
    featurizer.input_length = config.window
    card = ModelCard(
        spec.name,
        spec.hparams(config.model_params),
        PRETRAIN_CLASSES,
        config.window,
        input=featurizer.state(),
        extra={"pretrained": {"objective": OBJECTIVE, "data": config.data}},
    )
    out = Path(config.out)
    with staged_directory(out, overwrite=overwrite, resume=resume) as stage:
        seed_everything(config.seed)
        model = build_model(card)
        module = PretrainModule(model, spec.input_kind, config)
        module.train_stream = WindowStream(config, "train")
        val = WindowStream(config, "val")
        baseline, n_val = unigram_baseline(val)
        with applied(Runtime.of(config)) as runtime:
            history, seconds = fit_pretraining(
                module,
                val,
                checkpoint_dir=stage / CHECKPOINTS,
                identity={k: v for k, v in config.to_dict().items() if k not in NEUTRAL},
                resume=resume,
                progress=progress,
            )
        if not is_main_process():  # rank 0 of several processes writes the run
            return out
        last = history.iloc[-1] if len(history) else {}
        metrics = {
            "task": "pretraining",
            "objective": OBJECTIVE,
            "model": spec.name,
            "mask_rate": config.mask_rate,
            "span": config.span,
            "window": config.window,
            "stride": config.stride,
            "windows_val": n_val,
            "epochs_run": len(history),
            "train_seconds": round(seconds, 3),
            "unigram_baseline_loss": baseline,
            "final_train_loss": float(last.get("train_loss", float("nan"))),
            "final_val_loss": float(last.get("val_loss", float("nan"))),
            "data": config.data,
            "runtime": runtime,
        }
        if excluded:
            metrics["exclude"] = excluded
        files = RunFiles(stage)
        save_model(model, card, files.model)
        decoder = {k: v.contiguous() for k, v in module.decoder.state_dict().items()}
        write_with(
            stage / "decoder.safetensors", lambda p: safetensors.torch.save_file(decoder, str(p))
        )
        write_yaml(files.config, config.to_dict())
        write_json(files.metrics, metrics)
        write_table_atomic(history, files.history)
        write_pretrain_report(stage)
    return out
