"""genoclass: deep-learning classifiers for DNA sequences and gene-expression profiles.

The Python interface (imported on first use, so ``import genoclass`` stays light):
``genoclass.load(run_dir)`` and ``genoclass.train(data, model, **settings)`` return a
``TrainedRun``; ``genoclass.embed(run_dir, data)`` gives a neural sequence run's trunk
features (embeddings) of the data; ``genoclass.SequenceClassifier`` and
``genoclass.ExpressionClassifier`` are scikit-learn estimators.
"""

from importlib import import_module
from typing import Any

from genoclass.library_warnings import silence_library_warnings

__version__ = "0.1.0"

#: public name -> module that defines it
_PUBLIC = {
    "load": "genoclass.api",
    "train": "genoclass.api",
    "embed": "genoclass.api",
    "TrainedRun": "genoclass.workflows.apply",
    "SequenceClassifier": "genoclass.estimators",
    "ExpressionClassifier": "genoclass.estimators",
}
__all__ = ["__version__", *_PUBLIC]

silence_library_warnings()


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'genoclass' has no attribute {name!r}")
    return getattr(import_module(_PUBLIC[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
