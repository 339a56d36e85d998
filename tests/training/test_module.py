"""The training module's validation metrics agree with scikit-learn's."""

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score, matthews_corrcoef

from genoclass.training.module import _confusion, _macro_f1, _mcc


@pytest.mark.parametrize("n_classes", [2, 3])
def test_validation_mcc_and_macro_f1_match_scikit_learn(n_classes):
    rng = np.random.default_rng(n_classes)
    y = rng.integers(0, n_classes, 200)
    pred = np.where(rng.random(200) < 0.6, y, rng.integers(0, n_classes, 200))
    cm = _confusion(torch.from_numpy(y), torch.from_numpy(pred), n_classes)
    assert float(_mcc(cm)) == pytest.approx(matthews_corrcoef(y, pred), abs=1e-6)
    assert float(_macro_f1(cm)) == pytest.approx(f1_score(y, pred, average="macro"), abs=1e-6)


def test_validation_mcc_is_zero_when_one_class_is_always_predicted():
    y = torch.tensor([0, 1, 1, 0])
    assert float(_mcc(_confusion(y, torch.ones(4, dtype=torch.long), 2))) == 0.0
