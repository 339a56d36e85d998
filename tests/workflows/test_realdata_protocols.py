"""Real-data protocols resolve to the documented splits (no training; reads ../shared/data)."""

import pytest

from genoclass.config import TrainConfig
from genoclass.models import get_spec
from genoclass.workflows.fitting import prepare
from genoclass.workflows.inputs import read_sequence_inputs

pytestmark = pytest.mark.realdata


def test_s0_nontata_protocol_split(shared_data):
    path = shared_data / "dna" / "genomic_benchmarks" / "human_nontata_promoters" / "test.csv.gz"
    config = TrainConfig(data=str(path), ignore_splits=True, seed=1, split_seed=42)
    prep = prepare(config, get_spec("fast_accurate_cnn"), read_sequence_inputs(config))
    sizes = {s: len(f) for s, f in prep.features.items()}
    assert sizes == {"train": 6504, "val": 723, "test": 1807}
    assert prep.classes == ["0", "1"]
    assert "total_cross_split_exact" in prep.info["duplicates"]


def test_gue_official_splits_are_kept(shared_data):
    config = TrainConfig(data=str(shared_data / "dna" / "gue" / "mouse" / "0"))
    prep = prepare(config, get_spec("gb_cnn"), read_sequence_inputs(config))
    assert {s: len(f) for s, f in prep.features.items()} == {"train": 6478, "val": 810, "test": 810}
