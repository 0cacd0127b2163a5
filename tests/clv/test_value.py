"""Predicted (discounted, model-based) and historical CLV."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import hyp2f1

from customers.clv import (
    BGNBDParams,
    conditional_expected_purchases,
    expected_purchases_by_month,
    historical_clv,
    predicted_clv,
)

PAPER = BGNBDParams(r=0.2426, alpha=4.4136, a=0.7929, b=2.4259, time_unit="W")
X = np.array([2.0, 0.0, 7.0])
TX = np.array([30.43, 0.0, 35.0])
AGE = np.array([38.86, 38.86, 38.86])
ORDER_VALUE = np.array([20.0, 35.0, 50.0])


def paper_eq10(t: float, x: float, tx: float, t_age: float) -> float:
    """Eq. (10) of Fader, Hardie & Lee (2005), typed in directly."""
    r, alpha, a, b = PAPER.r, PAPER.alpha, PAPER.a, PAPER.b
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + t_age + t))
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + t_age) / (alpha + t_age + t)) ** (r + x) * hyp)
    den = 1 + (x > 0) * a / (b + x - 1) * ((alpha + t_age) / (alpha + tx)) ** (r + x)
    return num / den


def test_predicted_clv_matches_hand_computation():
    months, rate, margin = 3, 0.01, 0.3
    month = 30.0 / 7.0  # weeks
    want = np.zeros(3)
    for n in range(3):
        for i in range(1, months + 1):
            bought = paper_eq10(i * month, X[n], TX[n], AGE[n]) - paper_eq10(
                (i - 1) * month, X[n], TX[n], AGE[n]
            )
            want[n] += bought * ORDER_VALUE[n] * margin / (1 + rate) ** i
    got = predicted_clv(
        PAPER, X, TX, AGE, ORDER_VALUE, months=months, discount_rate=rate, margin=margin
    )
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=0)
    assert want[0] == pytest.approx(2.662093, abs=1e-6)


def test_units_do_not_matter():
    # The same model in days: alpha and all times seven times larger.
    in_days = BGNBDParams(PAPER.r, PAPER.alpha * 7, PAPER.a, PAPER.b, time_unit="D")
    weekly = predicted_clv(PAPER, X, TX, AGE, ORDER_VALUE)
    daily = predicted_clv(in_days, X, TX * 7, AGE * 7, ORDER_VALUE)
    np.testing.assert_allclose(daily, weekly, rtol=1e-10)


def test_discounting_lowers_value_monotonically():
    rates = [0.0, 0.005, 0.01, 0.05, 0.2]
    values = np.array(
        [predicted_clv(PAPER, X, TX, AGE, ORDER_VALUE, discount_rate=d) for d in rates]
    )
    assert np.all(np.diff(values, axis=0) < 0)
    undiscounted = conditional_expected_purchases(PAPER, 360.0 / 7.0, X, TX, AGE) * ORDER_VALUE
    np.testing.assert_allclose(values[0], undiscounted, rtol=1e-12)
    # Longer horizons are worth more, and a later month is worth less than an earlier
    # one with the same purchases only because of discounting.
    longer = predicted_clv(PAPER, X, TX, AGE, ORDER_VALUE, months=24)
    assert np.all(longer > values[2])
    per_month = expected_purchases_by_month(PAPER, X, TX, AGE)
    assert per_month.shape == (3, 12)
    assert np.all(np.diff(per_month, axis=1) < 0)  # dropout: fewer purchases each month
    np.testing.assert_allclose(per_month.sum(axis=1), values[0] / ORDER_VALUE, rtol=1e-12)


def test_margin_and_order_value_scale_linearly():
    base = predicted_clv(PAPER, X, TX, AGE, 1.0)
    scaled = predicted_clv(PAPER, X, TX, AGE, ORDER_VALUE, margin=0.25)
    np.testing.assert_allclose(scaled, base * ORDER_VALUE * 0.25, rtol=1e-14)


def test_historical_clv_hand_example():
    # As of day 1000, churn after 365 silent days:
    # A active since day 0 (lifetime 1000 days), B churned (last - first = 200 days),
    # C a one-time buyer who churned (lifetime 0).
    h = historical_clv(
        first_day=[0, 100, 500],
        last_day=[900, 300, 500],
        orders=[4, 2, 1],
        total_value=[400.0, 100.0, 50.0],
        as_of=1000,
        margin=0.5,
        cac=[100.0, np.nan, 20.0],
    )
    np.testing.assert_array_equal(h.churned, [False, True, True])
    np.testing.assert_allclose(h.lifetime_years, np.array([1000, 200, 0]) / 365.25, rtol=1e-15)
    np.testing.assert_array_equal(h.value_to_date, [200.0, 50.0, 25.0])
    np.testing.assert_array_equal(h.average_order_value, [100.0, 50.0, 50.0])
    np.testing.assert_array_equal(h.clv_minus_cac, [100.0, np.nan, 5.0])
    exposure_years = 1200 / 365.25
    assert h.shop_average_order_value == pytest.approx(550 / 7, rel=1e-15)
    assert h.shop_purchase_frequency == pytest.approx(7 / exposure_years, rel=1e-14)
    assert h.shop_churn_rate == pytest.approx(2 / exposure_years, rel=1e-14)
    assert h.shop_lifespan_years == pytest.approx(600 / 365.25, rel=1e-14)
    # AOV x frequency x lifespan = 550 / 7 * 7 / E * E / 2 = 275 revenue, 137.5 margin.
    assert h.shop_clv == pytest.approx(137.5, rel=1e-14)
    assert h.shop_cac == 60.0
    assert h.shop_clv_minus_cac == pytest.approx(77.5, rel=1e-14)


def test_historical_clv_without_churn_or_cac():
    h = historical_clv(
        first_day=np.array(["2024-01-01", "2024-06-01"], dtype="datetime64[D]"),
        last_day=np.array(["2024-12-01", "2024-06-01"], dtype="datetime64[D]"),
        orders=[3, 1],
        total_value=[90.0, 10.0],
        as_of="2024-12-31",
    )
    assert not h.churned.any()
    assert h.shop_lifespan_years == float("inf")
    assert np.isnan(h.shop_cac)
    assert np.all(np.isnan(h.clv_minus_cac))
    fixed = historical_clv(
        first_day=[0, 100],
        last_day=[200, 100],
        orders=[3, 1],
        total_value=[90.0, 10.0],
        as_of=300,
        lifespan_years=2.0,
        cac=15.0,
    )
    # AOV 25 x (4 orders / (500 / 365.25) years) x 2 years.
    assert fixed.shop_clv == pytest.approx(25 * 4 / (500 / 365.25) * 2, rel=1e-14)
    np.testing.assert_array_equal(fixed.clv_minus_cac, [75.0, -5.0])
