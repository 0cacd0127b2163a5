"""Calibration on simulated campaigns with a known truth (1,000 campaigns per check).

Tolerances: over 1,000 simulations the binomial standard error of a share near 5% is 0.7%,
so "5% +- 2%" and "95% +- 2%" (93% to 97%) are about three standard errors wide.
"""

from __future__ import annotations

import numpy as np
import pytest

from campaigns.statistics import (
    RevenueModel,
    cap_values,
    cuped_adjust,
    means_compare,
    newcombe_interval,
    pooled_z_p_value,
    proportions_compare,
    simulate_means,
    simulate_proportions,
    welch_test,
)

SIGNIFICANT_UNDER_NO_EFFECT = (0.03, 0.07)
NOMINAL_COVERAGE = (0.93, 0.97)


def within(value, bounds):
    return bounds[0] <= value <= bounds[1]


def test_conversion_rates_without_effect_are_significant_five_percent_of_the_time():
    calibration = simulate_proportions(rate_t=0.05, rate_c=0.05, n_t=2_000, n_c=2_000, seed=1)
    assert calibration.simulations == 1_000
    assert calibration.true_difference == 0.0
    assert within(calibration.significant_share, SIGNIFICANT_UNDER_NO_EFFECT)
    assert within(calibration.coverage, NOMINAL_COVERAGE)


def test_conversion_rate_intervals_cover_a_real_uplift_at_their_nominal_rate():
    calibration = simulate_proportions(rate_t=0.06, rate_c=0.045, n_t=3_000, n_c=1_500, seed=2)
    assert calibration.true_difference == pytest.approx(0.015)
    assert within(calibration.coverage, NOMINAL_COVERAGE)
    assert within(calibration.relative_coverage, NOMINAL_COVERAGE)
    assert calibration.significant_share > 0.5  # the effect is found more often than not


def test_small_arms_keep_their_coverage():
    # 100 customers per arm, about 8 and 15 conversions: the Wald interval would undercover
    # here; Newcombe's stays near 95%, Katz's errs on the safe side.
    calibration = simulate_proportions(rate_t=0.15, rate_c=0.08, n_t=100, n_c=100, seed=3)
    assert within(calibration.coverage, NOMINAL_COVERAGE)
    assert calibration.relative_coverage is not None
    assert 0.93 <= calibration.relative_coverage <= 0.98


def test_skewed_revenue_without_effect_is_significant_five_percent_of_the_time():
    # 90% zeros and a lognormal tail, capped at the pooled 99th percentile, with CUPED.
    no_effect = RevenueModel(buy_rate=0.1)
    calibration = simulate_means(
        treatment=no_effect, control=no_effect, n_t=2_000, n_c=2_000, cap_percentile=99.0, seed=4
    )
    assert within(calibration.significant_share, SIGNIFICANT_UNDER_NO_EFFECT)


def test_skewed_revenue_without_effect_in_unequal_arms_without_cap_or_covariate():
    no_effect = RevenueModel(buy_rate=0.1, sigma=1.2)
    calibration = simulate_means(
        treatment=no_effect, control=no_effect, n_t=2_000, n_c=1_000, covariate=False, seed=5
    )
    assert within(calibration.significant_share, SIGNIFICANT_UNDER_NO_EFFECT)


@pytest.mark.parametrize("covariate", [True, False])
def test_revenue_intervals_cover_a_real_uplift_at_their_nominal_rate(covariate):
    calibration = simulate_means(
        treatment=RevenueModel(buy_rate=0.12),
        control=RevenueModel(buy_rate=0.1),
        n_t=2_000,
        n_c=2_000,
        covariate=covariate,
        seed=6,
    )
    assert calibration.true_difference == pytest.approx(0.02 * np.exp(3.5 + 0.5))
    assert within(calibration.coverage, NOMINAL_COVERAGE)


def test_cuped_finds_the_effect_more_often():
    # The same campaigns with and without the covariate (spend before and after correlate
    # at about 0.5 here): CUPED finds the effect in about 29% of them instead of 23%.
    def power(covariate):
        return simulate_means(
            treatment=RevenueModel(buy_rate=0.12, correlation=0.9),
            control=RevenueModel(buy_rate=0.1, correlation=0.9),
            n_t=2_000,
            n_c=2_000,
            covariate=covariate,
            seed=7,
        ).significant_share

    assert power(True) > power(False) + 0.04


def test_the_array_code_is_the_code_of_the_single_comparisons():
    rng = np.random.default_rng(8)
    model = RevenueModel(buy_rate=0.2)
    y_t, x_t = model.draw(rng, (5, 300))
    y_c, x_c = model.draw(rng, (5, 200))
    c_t, c_c, caps = cap_values(y_t, y_c, 99.0)
    a_t, a_c, thetas = cuped_adjust(c_t, c_c, x_t, x_c)
    welch = welch_test(a_t, a_c, 0.95)
    for row in range(5):
        single = means_compare(y_t[row], y_c[row], x_t=x_t[row], x_c=x_c[row])
        assert (single.cap, single.theta) == (caps[row], pytest.approx(thetas[row], rel=1e-12))
        assert single.p_value == pytest.approx(welch.p_value[row], rel=1e-12)
        assert single.ci_low == pytest.approx(welch.low[row], rel=1e-12)
    x_t_counts, x_c_counts = rng.binomial(300, 0.1, 5), rng.binomial(200, 0.1, 5)
    low, high = newcombe_interval(x_t_counts, 300, x_c_counts, 200, 1.959963984540054)
    p_values = pooled_z_p_value(x_t_counts, 300, x_c_counts, 200)
    for row in range(5):
        rates = proportions_compare(int(x_t_counts[row]), 300, int(x_c_counts[row]), 200)
        assert (rates.ci_low, rates.ci_high) == (low[row], high[row])
        assert rates.p_value == p_values[row]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate_t": 0.0}, "rate_t"),
        ({"rate_c": 1.0}, "rate_c"),
        ({"n_t": 1}, "n_t"),
        ({"simulations": 0}, "simulations"),
        ({"confidence": 95}, "confidence"),
        ({"seed": -3}, "seed"),
    ],
)
def test_invalid_settings_raise(kwargs, message):
    arguments = {"rate_t": 0.1, "rate_c": 0.1, "n_t": 10, "n_c": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        simulate_proportions(**arguments)
