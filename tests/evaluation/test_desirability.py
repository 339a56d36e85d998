"""Harrington desirability and integrated F1 against hand-computed numbers."""

import numpy as np
import pytest

from genoclass.evaluation.desirability import (
    harrington_d,
    integrated_f1,
    integrated_f1_relative,
)

D_AT_5 = 0.9932847020678415  # exp(-exp(-5))
D_AT_1_5 = 0.8000107130043536  # exp(-exp(-1.5))
D_AT_MINUS_2 = 0.0006179789893310934  # exp(-exp(2))


def test_harrington_d_scalar_and_array():
    assert harrington_d(5.0) == pytest.approx(D_AT_5)
    assert isinstance(harrington_d(5.0), float)
    np.testing.assert_allclose(harrington_d([1.5, -2.0]), [D_AT_1_5, D_AT_MINUS_2])


def test_fixed_scale_single_perfect_class_maps_to_y_5():
    assert integrated_f1([1.0]) == pytest.approx(D_AT_5)


def test_fixed_scale_two_classes_is_geometric_mean():
    # F1 0.5 -> Y = -2 + 7 * 0.5 = 1.5; F1 1.0 -> Y = 5; sqrt(0.80001 * 0.99328) = 0.89142
    assert integrated_f1([0.5, 1.0]) == pytest.approx(0.891424928256783)


def test_custom_scale_ends():
    # f1_low=0.5 -> y_low=-2, f1_high=1 -> y_high=5
    value = integrated_f1([0.5, 1.0], f1_low=0.5, f1_high=1.0)
    assert value == pytest.approx(0.02477557418712876)


def test_relative_scale_uses_matrix_min_and_max():
    values = integrated_f1_relative([[0.5, 1.0], [0.75, 0.75]])
    # row 0: Y = -2 and 5; row 1: Y = -2 + 14 * 0.25 = 1.5 for both classes
    np.testing.assert_allclose(values, [0.02477557418712876, D_AT_1_5])


def test_relative_scale_with_all_equal_values_ties_on_fixed_scale():
    values = integrated_f1_relative([[0.75, 0.75], [0.75, 0.75]])
    np.testing.assert_allclose(values, [0.96196788944221, 0.96196788944221])  # Y = 3.25


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        integrated_f1([])
    with pytest.raises(ValueError):
        integrated_f1([0.5], f1_low=0.3, f1_high=0.3)
    with pytest.raises(ValueError):
        integrated_f1_relative([0.5, 0.6])
