"""Optimisation recipes: the warmup_cosine schedule's learning rates at known steps."""

import math

import pytest
import torch

from genoclass.errors import InputError
from genoclass.training.recipes import FitSettings, get_recipe, warmup_cosine_factor


def _learning_rates(settings: FitSettings, steps: int) -> list[float]:
    """The learning rate each optimiser step of a ``steps``-step run uses."""
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": settings.lr}]
    configured = get_recipe(settings.recipe).optimizer(groups, settings, steps)
    opt, sched = configured["optimizer"], configured["lr_scheduler"]["scheduler"]
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


def test_warmup_cosine_rates_at_first_step_end_of_warmup_middle_and_last_step():
    settings = FitSettings(recipe="warmup_cosine", lr=0.01, warmup=0.05, lr_floor=0.1)
    rates = _learning_rates(settings, 200)  # 10 warm-up steps, 190 of decay
    assert rates[0] == pytest.approx(0.01 / 10)  # first step: 1/10 of the peak
    assert rates[4] == pytest.approx(0.01 * 5 / 10)
    assert rates[9] == pytest.approx(0.01)  # end of warm-up: the peak
    assert rates[10] == pytest.approx(0.01)  # decay starts at the peak
    middle = 10 + 189 / 2  # half-way through the decay: half-way between peak and floor
    assert warmup_cosine_factor(middle, 200, 0.05, 0.1) == pytest.approx(0.1 + 0.9 * 0.5)
    assert rates[199] == pytest.approx(0.001)  # last step: the floor, 0.1 x the peak
    assert all(a >= b for a, b in zip(rates[9:-1], rates[10:], strict=True))  # monotone decay
    assert rates[150] == pytest.approx(0.001 + 0.009 * 0.5 * (1 + math.cos(math.pi * 140 / 189)))


def test_warmup_cosine_without_warmup_starts_at_the_peak():
    rates = _learning_rates(FitSettings(recipe="warmup_cosine", lr=0.5, warmup=0.0), 20)
    assert rates[0] == pytest.approx(0.5) and rates[-1] == pytest.approx(0.5 * 0.01)


def test_warmup_cosine_uses_adamw_with_the_weight_decay():
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1}]
    settings = FitSettings(recipe="warmup_cosine", weight_decay=0.05)
    opt = get_recipe("warmup_cosine").optimizer(groups, settings, 10)["optimizer"]
    assert isinstance(opt, torch.optim.AdamW) and opt.param_groups[0]["weight_decay"] == 0.05
    assert get_recipe("warmup_cosine").clips_gradients


def test_unknown_recipe_lists_warmup_cosine():
    with pytest.raises(InputError, match="warmup_cosine"):
        get_recipe("cosine")
