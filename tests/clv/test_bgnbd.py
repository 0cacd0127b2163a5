"""BG/NBD and MBG/NBD: CDNOW reference fits, likelihood, gradient and predictions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import betaln, gammaln

from customers.clv import (
    BGNBDParams,
    bgnbd_log_likelihood,
    conditional_expected_purchases,
    expected_purchases,
    fit_bgnbd,
    probability_alive,
)
from customers.clv._bgnbd_likelihood import Likelihood

# Fader, Hardie & Lee (2005), Table/Figure values for the CDNOW sample (weeks).
PAPER = BGNBDParams(r=0.2426, alpha=4.4136, a=0.7929, b=2.4259, time_unit="W")
# MBG/NBD on CDNOW, the values of lifetimes' ModifiedBetaGeoFitter test (0.525, 6.183,
# 0.891, 1.614) to four digits.
MBG_CDNOW = BGNBDParams(r=0.5248, alpha=6.1831, a=0.8914, b=1.6140, model="mbgnbd", time_unit="W")


@pytest.fixture(scope="module")
def bg_fit(cdnow_summary):
    s = cdnow_summary
    return fit_bgnbd(s.frequency, s.recency, s.age, time_unit="W")


@pytest.fixture(scope="module")
def mbg_fit(cdnow_summary):
    s = cdnow_summary
    return fit_bgnbd(s.frequency, s.recency, s.age, model="mbgnbd", time_unit="W")


def test_cdnow_bgnbd_matches_paper(bg_fit):
    p = bg_fit.params
    assert bg_fit.model == "bgnbd"
    assert bg_fit.converged
    assert bg_fit.n_customers == 2357
    for got, want in [(p.r, 0.2426), (p.alpha, 4.4136), (p.a, 0.7929), (p.b, 2.4259)]:
        assert got == pytest.approx(want, rel=0.005)
    assert bg_fit.log_likelihood == pytest.approx(-9582.43, abs=0.05)
    # Our own optimum, pinned tighter than the paper's four digits.
    assert p.r == pytest.approx(0.2425945, rel=1e-5)
    assert p.alpha == pytest.approx(4.413602, rel=1e-5)
    assert p.a == pytest.approx(0.792922, rel=1e-4)
    assert p.b == pytest.approx(2.425907, rel=1e-4)
    assert bg_fit.log_likelihood == pytest.approx(-9582.429207, abs=1e-5)
    assert bg_fit.n_unique < bg_fit.n_customers


def test_cdnow_log_likelihood_at_paper_params(cdnow_summary):
    s = cdnow_summary
    ll = bgnbd_log_likelihood(PAPER, s.frequency, s.recency, s.age)
    assert ll == pytest.approx(-9582.43, abs=0.05)


def test_cdnow_fit_from_published_summary(cdnow_reference):
    ref = cdnow_reference
    fit = fit_bgnbd(ref["x"], ref["t_x"], ref["T"], time_unit="W")
    p = fit.params
    for got, want in [(p.r, 0.2426), (p.alpha, 4.4136), (p.a, 0.7929), (p.b, 2.4259)]:
        assert got == pytest.approx(want, rel=0.005)
    assert fit.log_likelihood == pytest.approx(-9582.43, abs=0.05)
    # lifetimes' BetaGeoFitter on this file reports these estimates and standard
    # errors: 0.242593 (0.012557), 4.413532 (0.378221), 0.792886 (0.185719),
    # 2.425752 (0.705345).
    np.testing.assert_allclose(
        [p.r, p.alpha, p.a, p.b], [0.242593, 4.413532, 0.792886, 2.425752], rtol=2e-6
    )
    np.testing.assert_allclose(fit.std_errors, [0.012557, 0.378221, 0.185719, 0.705345], rtol=5e-5)


def test_cdnow_mbgnbd(mbg_fit):
    p = mbg_fit.params
    assert mbg_fit.model == "mbgnbd"
    assert mbg_fit.converged
    for got, want in [
        (p.r, MBG_CDNOW.r),
        (p.alpha, MBG_CDNOW.alpha),
        (p.a, MBG_CDNOW.a),
        (p.b, MBG_CDNOW.b),
    ]:
        assert got == pytest.approx(want, rel=5e-4)
    assert mbg_fit.log_likelihood == pytest.approx(-9582.1357, abs=1e-3)


def _reference_log_likelihood(model, params, x, tx, t_age):
    # Straight from the papers' likelihood formulas, per customer.
    r, alpha, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    if model == "bgnbd":
        first = betaln(a, b + x) - (r + x) * np.log(alpha + t_age)
        with np.errstate(invalid="ignore"):
            second = betaln(a + 1, b + x - 1) - (r + x) * np.log(alpha + tx)
        second = np.where(x > 0, second, -np.inf)
    else:
        first = betaln(a, b + x + 1) - (r + x) * np.log(alpha + t_age)
        second = betaln(a + 1, b + x) - (r + x) * np.log(alpha + tx)
    return float(np.sum(common + np.logaddexp(first, second)))


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_likelihood_derivatives_against_reference(model, cdnow_summary):
    s = cdnow_summary
    params = np.array([0.31, 3.7, 0.85, 2.9])
    lik = Likelihood.from_arrays(model, s.frequency, s.recency, s.age, None)
    ll, grad, hess = lik(params, True)
    assert hess is not None
    assert ll == pytest.approx(
        _reference_log_likelihood(model, params, s.frequency, s.recency, s.age), rel=1e-12
    )
    np.testing.assert_array_equal(hess, hess.T)
    for k in range(4):
        h = 1e-6 * params[k]
        up, down = params.copy(), params.copy()
        up[k] += h
        down[k] -= h
        ll_up, grad_up, _ = lik(up)
        ll_down, grad_down, _ = lik(down)
        assert grad[k] == pytest.approx((ll_up - ll_down) / (2 * h), rel=1e-6, abs=1e-6)
        np.testing.assert_allclose(hess[:, k], (grad_up - grad_down) / (2 * h), rtol=1e-5)


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_weights_equal_repeated_rows(model, cdnow_summary):
    s = cdnow_summary
    rows = slice(0, 400)
    x, tx, t_age = s.frequency[rows], s.recency[rows], s.age[rows]
    w = np.random.default_rng(7).integers(1, 5, x.size).astype(np.float64)
    params = BGNBDParams(0.4, 6.0, 0.9, 2.0, model=model)
    repeated = [np.repeat(v, w.astype(int)) for v in (x, tx, t_age)]
    assert bgnbd_log_likelihood(params, x, tx, t_age, weights=w) == pytest.approx(
        bgnbd_log_likelihood(params, *repeated), rel=1e-13
    )
    weighted = fit_bgnbd(x, tx, t_age, model=model, weights=w)
    expanded = fit_bgnbd(*repeated, model=model)
    assert weighted.n_customers == expanded.n_customers == int(w.sum())
    assert weighted.converged
    assert expanded.converged
    assert weighted.log_likelihood == pytest.approx(expanded.log_likelihood, abs=1e-6)
    for got, want in zip(weighted.std_errors, expanded.std_errors, strict=True):
        assert got == pytest.approx(want, rel=1e-3)


def test_probability_alive_one_time_buyers(bg_fit, mbg_fit):
    t_age = np.array([0.0, 1.0, 38.86, 1e5])
    zeros = np.zeros(4)
    bg = probability_alive(bg_fit, zeros, zeros, t_age)
    np.testing.assert_array_equal(bg, np.ones(4))
    mbg = probability_alive(mbg_fit, zeros, zeros, t_age)
    assert np.all(mbg < 1.0)
    assert np.all(np.diff(mbg) < 0)  # the longer without a purchase, the likelier dead
    p = mbg_fit.params
    expected = 1.0 / (1.0 + p.a / p.b * ((p.alpha + 38.86) / p.alpha) ** p.r)
    assert mbg[2] == pytest.approx(expected, rel=1e-12)
    assert mbg[2] == pytest.approx(0.389715, abs=1e-5)


def test_probability_alive_repeat_buyer(bg_fit):
    p = bg_fit.params
    x, tx, t_age = 2.0, 30.43, 38.86
    expected = 1.0 / (
        1.0 + p.a / (p.b + x - 1.0) * ((p.alpha + t_age) / (p.alpha + tx)) ** (p.r + x)
    )
    assert probability_alive(bg_fit, x, tx, t_age) == pytest.approx(expected, rel=1e-12)
    # A purchase at the very end of the window means certainly alive only if T = t_x.
    assert probability_alive(bg_fit, 5, 38.86, 38.86) == pytest.approx(
        1.0 / (1.0 + p.a / (p.b + 4.0)), rel=1e-12
    )


# Eq. (10) of Fader, Hardie & Lee (2005) and its MBG/NBD analogue, evaluated with
# mpmath at 50 digits for PAPER and MBG_CDNOW: (t, x, t_x, T, expectation).
BG_CONDITIONAL = [
    (39, 2, 30.43, 38.86, 1.2259226579870331),
    (39, 0, 0, 38.86, 0.19478676916062002),
    (39, 500, 38, 38.86, 9.2207506502711708),
    (39, 500, 38.86, 38.86, 343.51801682834457),
    (52, 10, 1, 100000.0, 1.5296755041731034e-45),
    (52, 0, 0, 100000.0, 0.00012613639518675488),
    (1000, 500, 0.5, 0.5, 4860.3996651706451),
    (39, 1, 0, 0, 3.8876359728332219),
    (0.001, 3, 2, 5, 0.00021239485345521379),
    (39, 7, 35, 38.86, 4.3875235149741373),
]
MBG_CONDITIONAL = [
    (39, 2, 30.43, 38.86, 1.2626267058525277),
    (39, 0, 0, 38.86, 0.15394516025397677),
    (39, 500, 38, 38.86, 11.323204236033599),
    (39, 500, 38.86, 38.86, 322.71784884548958),
    (52, 10, 1, 100000.0, 1.7427804060862092e-45),
    (52, 0, 0, 100000.0, 3.0208787400499215e-6),
    (1000, 500, 0.5, 0.5, 3340.4105824698954),
    (39, 1, 0, 0, 3.4769325528031321),
    (0.001, 3, 2, 5, 0.00019936600435992711),
    (39, 7, 35, 38.86, 4.2275228215423175),
]


@pytest.mark.parametrize(
    ("params", "cases"), [(PAPER, BG_CONDITIONAL), (MBG_CDNOW, MBG_CONDITIONAL)]
)
def test_conditional_expectation_against_mpmath(params, cases):
    t, x, tx, t_age, want = (np.array(c, dtype=np.float64) for c in zip(*cases, strict=True))
    got = conditional_expected_purchases(params, t, x, tx, t_age)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)
    # Same values one at a time (the vectorised path groups identical rows).
    for i in range(len(cases)):
        single = conditional_expected_purchases(params, t[i], x[i], tx[i], t_age[i])
        assert float(single) == pytest.approx(want[i], rel=1e-10)


@pytest.mark.parametrize(
    ("params", "want"),
    [
        (PAPER, [0.05318554122653926, 1.1950476815137786, 1.8580239048662915, 6.5732668336820822]),
        (
            MBG_CDNOW,
            [0.053054940756431556, 1.1821536950210603, 1.8034315653155579, 5.606292715033962],
        ),
    ],
)
def test_unconditional_expectation_against_mpmath(params, want):
    got = expected_purchases(params, np.array([1.0, 39.0, 78.0, 1000.0]))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)
    assert float(expected_purchases(params, 0.0)) == 0.0
    assert float(expected_purchases(params, -3.0)) == 0.0


def test_conditional_expectation_table_broadcasts(bg_fit, cdnow_summary):
    s = cdnow_summary
    t = np.array([0.0, 13.0, 26.0, 39.0])
    table = conditional_expected_purchases(
        bg_fit, t[None, :], s.frequency[:, None], s.recency[:, None], s.age[:, None]
    )
    assert table.shape == (2357, 4)
    np.testing.assert_array_equal(table[:, 0], 0.0)
    assert np.all(np.diff(table, axis=1) > 0)
    direct = conditional_expected_purchases(bg_fit, 39.0, s.frequency, s.recency, s.age)
    np.testing.assert_allclose(table[:, 3], direct, rtol=1e-13)


def test_data_without_an_optimum_is_not_converged():
    # Nobody ever came back: the likelihood has no interior maximum.
    fit = fit_bgnbd(np.zeros(100), np.zeros(100), np.linspace(1.0, 50.0, 100))
    assert not fit.converged
    assert np.all(np.isnan(fit.std_errors))
    assert fit.log_likelihood == pytest.approx(0.0, abs=1e-6)


def test_rejects_invalid_histories(bg_fit):
    with pytest.raises(ValueError, match="recency <= age"):
        probability_alive(bg_fit, 2, 10.0, 5.0)
    with pytest.raises(ValueError, match="recency must be 0"):
        probability_alive(bg_fit, 0, 1.0, 5.0)
    with pytest.raises(ValueError, match="non-negative integer"):
        fit_bgnbd([1.5, 2.0], [1.0, 1.0], [2.0, 2.0])
    with pytest.raises(ValueError, match="model"):
        fit_bgnbd([1.0], [1.0], [2.0], model="pareto")  # type: ignore[arg-type]  # an unknown model on purpose
