"""Gamma-Gamma spend model on the CDNOW repeat customers (Fader & Hardie 2013)."""

from __future__ import annotations

import numpy as np
import pytest

from customers.clv import (
    GammaGammaParams,
    conditional_expected_order_value,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from customers.clv.gamma_gamma import _Likelihood

PUBLISHED = GammaGammaParams(p=6.2496, q=3.7442, gamma=15.4435)


def assert_published(fit):
    p = fit.params
    assert fit.converged
    assert fit.n_customers == 946
    assert fit.n_excluded == 2357 - 946
    for got, want in [(p.p, 6.2496), (p.q, 3.7442), (p.gamma, 15.4435)]:
        assert got == pytest.approx(want, rel=0.005)
    assert fit.log_likelihood == pytest.approx(-4055.92, abs=0.05)


def test_fit_on_published_zbar(cdnow_reference):
    fit = fit_gamma_gamma(cdnow_reference["x"], cdnow_reference["zbar"])
    assert_published(fit)
    # zbar rounded to cents moves the optimum slightly away from the unrounded one.
    assert fit.params.p == pytest.approx(6.248803, rel=1e-4)
    assert fit.log_likelihood == pytest.approx(-4055.923244, abs=1e-5)


def test_fit_on_own_summary(cdnow_summary):
    s = cdnow_summary
    fit = fit_gamma_gamma(s.frequency, s.monetary)
    assert_published(fit)
    p = fit.params
    assert p.p == pytest.approx(6.249574, rel=1e-4)
    assert p.q == pytest.approx(3.744224, rel=1e-4)
    assert p.gamma == pytest.approx(15.443515, rel=1e-4)
    assert fit.log_likelihood == pytest.approx(-4055.917695, abs=1e-5)


def test_log_likelihood_convention(cdnow_reference):
    x, zbar = cdnow_reference["x"], cdnow_reference["zbar"]
    ll = gamma_gamma_log_likelihood(PUBLISHED, x, zbar)
    assert ll == pytest.approx(-4055.92, abs=0.05)
    # The full density of zbar: dropping its parameter-free -sum(log zbar) term would
    # give about -915, so the published -4055.92 includes it.
    repeat = x > 0
    assert ll + np.log(zbar[repeat]).sum() == pytest.approx(-915.07, abs=0.05)


def test_derivatives_match_finite_differences(cdnow_reference):
    x, zbar = cdnow_reference["x"], cdnow_reference["zbar"]
    keep = x > 0
    lik = _Likelihood(x[keep], zbar[keep], None)
    params = np.array([5.0, 3.0, 12.0])
    _, grad, hess = lik(params, True)
    assert hess is not None
    for k in range(3):
        h = 1e-6 * params[k]
        up, down = params.copy(), params.copy()
        up[k] += h
        down[k] -= h
        ll_up, grad_up, _ = lik(up)
        ll_down, grad_down, _ = lik(down)
        assert grad[k] == pytest.approx((ll_up - ll_down) / (2 * h), rel=1e-6)
        np.testing.assert_allclose(hess[:, k], (grad_up - grad_down) / (2 * h), rtol=1e-5)


def test_weights_equal_repeated_rows(cdnow_reference):
    x, zbar = cdnow_reference["x"][:600], cdnow_reference["zbar"][:600]
    w = np.random.default_rng(3).integers(1, 4, x.size).astype(np.float64)
    weighted = fit_gamma_gamma(x, zbar, weights=w)
    expanded = fit_gamma_gamma(np.repeat(x, w.astype(int)), np.repeat(zbar, w.astype(int)))
    assert weighted.n_customers == expanded.n_customers
    assert weighted.log_likelihood == pytest.approx(expanded.log_likelihood, abs=1e-6)
    assert weighted.params.p == pytest.approx(expanded.params.p, rel=1e-5)


def test_conditional_expected_order_value(cdnow_summary):
    p = PUBLISHED
    value = conditional_expected_order_value(p, np.array([0.0, 2.0, 10.0]), [0.0, 22.345, 50.0])
    mean = p.p * p.gamma / (p.q - 1)
    assert p.population_mean == pytest.approx(mean, rel=1e-15)
    assert value[0] == pytest.approx(mean, rel=1e-14)
    assert value[1] == pytest.approx((p.gamma + 2 * 22.345) * p.p / (p.p * 2 + p.q - 1), rel=1e-14)
    # Credibility weighting: with 10 purchases 95.79% of the weight is on the own mean.
    own = p.p * 10 / (p.p * 10 + p.q - 1)
    assert own == pytest.approx(0.957937, abs=1e-6)
    assert value[2] == pytest.approx(own * 50.0 + (1 - own) * mean, rel=1e-14)
    s = cdnow_summary
    fit = fit_gamma_gamma(s.frequency, s.monetary)
    everyone = conditional_expected_order_value(fit, s.frequency, s.monetary)
    assert everyone.mean() == pytest.approx(35.2523, abs=1e-3)  # lifetimes' docs: 35.25
    assert fit.params.population_mean == pytest.approx(35.1704, abs=1e-3)


def test_needs_repeat_customers():
    with pytest.raises(ValueError, match="no customer"):
        fit_gamma_gamma([0.0, 0.0], [0.0, 0.0])
