"""Holm's adjustment against statsmodels ``multipletests(method="holm")``."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from campaigns.statistics import holm_adjust

CASES = [
    [0.01, 0.04, 0.03, 0.005],
    [0.2, 0.01],
    [0.5, 0.5, 0.5],
    [0.0, 1.0, 0.02, 0.02, 0.3],
    [0.03],
    [0.9, 0.8, 0.001, 0.04, 0.011, 0.012],
]


@pytest.mark.parametrize("p_values", CASES)
def test_agrees_with_statsmodels(p_values):
    _, expected, _, _ = multipletests(p_values, method="holm")
    assert holm_adjust(p_values) == pytest.approx(list(expected), abs=1e-12)


def test_textbook_values():
    # m = 4: sorted 0.005, 0.01, 0.03, 0.04 scaled by 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.06.
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_empty_and_single():
    assert holm_adjust([]) == []
    assert holm_adjust([0.2]) == [0.2]


@pytest.mark.parametrize("p_values", [[0.1, -0.01], [1.5], [float("nan")], [0.1, float("inf")]])
def test_invalid_p_values_raise(p_values):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm_adjust(p_values)


@given(st.lists(st.floats(0.0, 1.0), max_size=12))
def test_adjusted_values_keep_the_order_and_never_fall_below_the_raw_ones(p_values):
    adjusted = holm_adjust(p_values)
    assert all(p <= a <= 1.0 for p, a in zip(p_values, adjusted, strict=True))
    for (p, a), (q, b) in itertools.combinations(zip(p_values, adjusted, strict=True), 2):
        assert (p < q and a <= b) or (p > q and a >= b) or (p == q and a == b)
