"""Models: the registry and every registered architecture (importing registers them)."""

from genoclass.models import (  # noqa: F401
    classical,
    expression_nets,
    foundation,
    gated_dilated_cnn,
    gated_kmer_cnn,
    kmer,
    kmer_cnn,
    kmer_dan,
    onehot_cnn,
    recurrent,
    sequence_cnn,
)
from genoclass.models.registry import ModelSpec, available, get_spec, register

__all__ = ["ModelSpec", "available", "get_spec", "register"]
