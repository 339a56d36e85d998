"""Models: the registry and every registered architecture (importing registers them)."""

from genoclass.models import sequence_cnn  # noqa: F401
from genoclass.models.registry import ModelSpec, available, get_spec, register

__all__ = ["ModelSpec", "available", "get_spec", "register"]
