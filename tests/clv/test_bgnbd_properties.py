"""Property tests: P(alive) and expected purchases stay valid for extreme histories."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from customers.clv import (
    BGNBDParams,
    conditional_expected_purchases,
    expected_purchases,
    probability_alive,
)
from customers.clv._special import (
    beta_mixture_purchases,
    beta_mixture_purchases_quadrature,
)

MODELS = ("bgnbd", "mbgnbd")


def positive(lo: float, hi: float) -> st.SearchStrategy[float]:
    # Log-uniform-ish coverage of several orders of magnitude.
    return st.floats(np.log(lo), np.log(hi)).map(np.exp)


params_strategy = st.builds(
    BGNBDParams,
    r=positive(0.01, 20.0),
    alpha=positive(0.05, 500.0),
    a=positive(0.02, 20.0),
    b=positive(0.02, 200.0),
    model=st.sampled_from(MODELS),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[float, float, float]:
    x = draw(st.one_of(st.sampled_from([0, 1, 500]), st.integers(0, 500)))
    t_age = draw(st.one_of(st.sampled_from([0.0, 1.0, 1e5]), st.floats(0.0, 1e5)))
    share = draw(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)))
    recency = 0.0 if x == 0 else t_age * share
    return float(x), recency, t_age


@settings(max_examples=300, deadline=None)
@given(params=params_strategy, history=histories(), t=st.floats(0.0, 1e4))
def test_alive_and_expectation_are_valid(params, history, t):
    x, tx, t_age = history
    alive = float(probability_alive(params, x, tx, t_age))
    assert 0.0 <= alive <= 1.0
    if params.model == "bgnbd" and x == 0:
        assert alive == 1.0
    expected = float(conditional_expected_purchases(params, t, x, tx, t_age))
    assert np.isfinite(expected)
    assert expected >= 0.0
    # (1 - (1 + p u)^-A) / p <= A u: never more than the alive rate times t.
    assert expected <= alive * (params.r + x) * t / (params.alpha + t_age) * (1 + 1e-8) + 1e-300


@settings(max_examples=100, deadline=None)
@given(params=params_strategy, history=histories())
def test_expectation_grows_with_horizon(params, history):
    x, tx, t_age = history
    t = np.array([0.0, 1.0, 10.0, 100.0, 1000.0])
    values = conditional_expected_purchases(params, t, x, tx, t_age)
    assert values[0] == 0.0
    assert np.all(np.diff(values) >= -1e-12 * values[1:])


@settings(max_examples=100, deadline=None)
@given(params=params_strategy, t=st.floats(0.0, 1e4))
def test_unconditional_expectation_is_valid(params, t):
    value = float(expected_purchases(params, t))
    assert np.isfinite(value)
    assert 0.0 <= value <= params.r * t / params.alpha * (1 + 1e-8) + 1e-300


@pytest.mark.parametrize("model", MODELS)
def test_extreme_histories_are_finite(model):
    p = BGNBDParams(0.2426, 4.4136, 0.7929, 2.4259, model=model)
    x = np.array([0.0, 0.0, 500.0, 500.0, 500.0, 1.0, 500.0, 0.0])
    tx = np.array([0.0, 0.0, 0.0, 1e5, 10.0, 0.0, 0.0, 0.0])
    t_age = np.array([0.0, 1e5, 0.0, 1e5, 1e5, 1e5, 1e5, 38.86])
    alive = probability_alive(p, x, tx, t_age)
    assert np.all((alive >= 0) & (alive <= 1))
    for t in (0.5, 39.0, 1e4):
        value = conditional_expected_purchases(p, t, x, tx, t_age)
        assert np.all(np.isfinite(value))
        assert np.all(value >= 0)
    # 500 purchases then 1e5 silent weeks: certainly gone; 500 purchases with the
    # last at the end of the window: alive, and buying a lot.
    assert alive[4] == 0.0
    assert alive[3] > 0.99
    assert conditional_expected_purchases(p, 39.0, 500, 1e5, 1e5) > 0.1


@settings(max_examples=200, deadline=None)
@given(
    u=positive(1e-9, 1e5),
    shape=positive(0.01, 2000.0),
    a=positive(0.02, 20.0),
    bb=positive(0.02, 2000.0),
)
def test_fast_routes_agree_with_quadrature(u, shape, a, bb):
    fast = float(beta_mixture_purchases(u, shape, a, bb))
    slow = float(beta_mixture_purchases_quadrature(u, shape, a, bb))
    assert fast == pytest.approx(slow, rel=1e-7)


def test_special_function_near_its_singular_points():
    # a = 1 (0/0 in the closed form) and a + bb - 1 = 0 (pole of the closed form's c).
    u = np.array([0.1, 1.0, 10.0, 300.0])
    for a, bb in [(1.0, 2.5), (1.0 + 1e-9, 2.5), (0.4, 0.6), (0.3, 0.5)]:
        fast = beta_mixture_purchases(u, 3.0, a, bb)
        slow = beta_mixture_purchases_quadrature(u, 3.0, a, bb)
        np.testing.assert_allclose(fast, slow, rtol=1e-8)
        assert np.all(np.isfinite(fast))
        assert np.all(np.diff(fast) > 0)

    # At a = 1 compare with the defining integral E[(1 - (1 + p u)^-A) / p],
    # p ~ Beta(1, 2.5) with density 2.5 (1 - p)^1.5.
    def integrand(p: float) -> float:
        return (1 - (1 + p * 10.0) ** -3.0) / p * 2.5 * (1 - p) ** 1.5

    direct, _ = quad(integrand, 0, 1, epsabs=0, epsrel=1e-12)
    assert float(beta_mixture_purchases(10.0, 3.0, 1.0, 2.5)) == pytest.approx(direct, rel=1e-9)
