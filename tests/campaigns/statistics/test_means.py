"""Revenue per customer: pooled cap, CUPED and Welch's t against numpy and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from campaigns.statistics import means_compare


def revenue(rng: np.random.Generator, n: int, buy_rate: float = 0.1) -> np.ndarray:
    """Mostly zeros, a lognormal tail, rounded to cents like the orders."""
    return np.round(np.where(rng.random(n) < buy_rate, rng.lognormal(3.5, 1.2, n), 0.0), 2)


@pytest.fixture
def arms():
    rng = np.random.default_rng(13)
    y_t, y_c = revenue(rng, 3_000, 0.12), revenue(rng, 2_500, 0.1)
    # Spend before assignment, correlated with revenue after it.
    x_t = np.round(0.8 * y_t + 0.3 * revenue(rng, 3_000, 0.3), 2)
    x_c = np.round(0.8 * y_c + 0.3 * revenue(rng, 2_500, 0.3), 2)
    return y_t, y_c, x_t, x_c


def capped(y_t, y_c, percentile):
    cap = np.percentile(np.concatenate([y_t, y_c]), percentile)
    return np.minimum(y_t, cap), np.minimum(y_c, cap), cap


@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_welch_on_pooled_capped_values_agrees_with_scipy(arms, confidence):
    y_t, y_c, _, _ = arms
    c_t, c_c, cap = capped(y_t, y_c, 99.0)
    reference = stats.ttest_ind(c_t, c_c, equal_var=False)
    interval = reference.confidence_interval(confidence_level=confidence)
    result = means_compare(y_t, y_c, confidence=confidence)
    assert result.cap == cap
    assert np.max(y_t) > cap  # the cap bites
    assert result.treatment_mean == pytest.approx(y_t.mean(), rel=1e-12)
    assert result.control_mean == pytest.approx(y_c.mean(), rel=1e-12)
    assert result.absolute == pytest.approx(c_t.mean() - c_c.mean(), abs=1e-9)
    assert result.relative == pytest.approx((c_t.mean() - c_c.mean()) / c_c.mean(), abs=1e-9)
    assert result.p_value == pytest.approx(reference.pvalue, abs=1e-9)
    assert result.ci_low == pytest.approx(interval.low, abs=1e-9)
    assert result.ci_high == pytest.approx(interval.high, abs=1e-9)
    assert result.theta is None


def test_the_cap_is_the_pooled_percentile_not_each_arms(arms):
    y_t, y_c, _, _ = arms
    result = means_compare(y_t, y_c, cap_percentile=95.0)
    assert result.cap == np.percentile(np.concatenate([y_t, y_c]), 95.0)
    assert result.cap not in (np.percentile(y_t, 95.0), np.percentile(y_c, 95.0))


def test_no_cap(arms):
    y_t, y_c, _, _ = arms
    result = means_compare(y_t, y_c, cap_percentile=None)
    reference = stats.ttest_ind(y_t, y_c, equal_var=False)
    assert result.cap is None
    assert result.absolute == pytest.approx(y_t.mean() - y_c.mean(), abs=1e-9)
    assert result.p_value == pytest.approx(reference.pvalue, abs=1e-9)


def test_cuped_theta_and_adjusted_welch_agree_with_numpy_and_scipy(arms):
    y_t, y_c, x_t, x_c = arms
    c_t, c_c, _ = capped(y_t, y_c, 99.0)
    x = np.concatenate([x_t, x_c])
    y = np.concatenate([c_t, c_c])
    theta = np.cov(x, y)[0, 1] / np.var(x, ddof=1)
    a_t, a_c = c_t - theta * (x_t - x.mean()), c_c - theta * (x_c - x.mean())
    reference = stats.ttest_ind(a_t, a_c, equal_var=False)
    interval = reference.confidence_interval()
    result = means_compare(y_t, y_c, x_t=x_t, x_c=x_c)
    assert result.theta == pytest.approx(theta, rel=1e-9)
    assert result.absolute == pytest.approx(a_t.mean() - a_c.mean(), abs=1e-9)
    assert result.p_value == pytest.approx(reference.pvalue, abs=1e-9)
    assert result.ci_low == pytest.approx(interval.low, abs=1e-9)
    assert result.ci_high == pytest.approx(interval.high, abs=1e-9)
    # Raw means stay raw; the moments are the adjusted values'.
    assert result.treatment_mean == pytest.approx(y_t.mean(), rel=1e-12)
    assert result.treatment_adjusted_mean == pytest.approx(a_t.mean(), rel=1e-9)
    assert result.control_variance == pytest.approx(a_c.var(ddof=1), rel=1e-9)
    assert (result.treatment_size, result.control_size) == (3_000, 2_500)


def test_cuped_narrows_the_interval_when_spend_before_predicts_spend_after(arms):
    y_t, y_c, x_t, x_c = arms
    plain = means_compare(y_t, y_c)
    adjusted = means_compare(y_t, y_c, x_t=x_t, x_c=x_c)
    assert adjusted.theta is not None
    assert adjusted.theta > 0
    width = adjusted.ci_high - adjusted.ci_low
    assert width < 0.9 * (plain.ci_high - plain.ci_low)


def test_constant_covariate_gives_theta_zero(arms):
    y_t, y_c, _, _ = arms
    plain = means_compare(y_t, y_c)
    adjusted = means_compare(y_t, y_c, x_t=np.zeros(y_t.size), x_c=np.zeros(y_c.size))
    assert adjusted.theta == 0.0
    assert (adjusted.absolute, adjusted.p_value) == (plain.absolute, plain.p_value)


def test_bootstrap_interval_is_reproducible_and_close_to_welch_on_large_arms(arms):
    y_t, y_c, _, _ = arms
    first = means_compare(y_t, y_c, seed=7)
    again = means_compare(y_t, y_c, seed=7)
    other = means_compare(y_t, y_c, seed=8)
    assert (first.bootstrap_low, first.bootstrap_high) == (
        again.bootstrap_low,
        again.bootstrap_high,
    )
    assert first.bootstrap_low != other.bootstrap_low
    width = first.ci_high - first.ci_low
    assert first.bootstrap_low == pytest.approx(first.ci_low, abs=0.05 * width)
    assert first.bootstrap_high == pytest.approx(first.ci_high, abs=0.05 * width)


def test_all_zero_revenue():
    result = means_compare(np.zeros(100), np.zeros(80))
    assert result.estimable
    assert (result.treatment_mean, result.control_mean, result.absolute) == (0.0, 0.0, 0.0)
    assert (result.ci_low, result.ci_high, result.p_value) == (0.0, 0.0, 1.0)
    assert (result.bootstrap_low, result.bootstrap_high, result.cap) == (0.0, 0.0, 0.0)
    assert result.relative is None


def test_all_zero_revenue_with_a_covariate():
    rng = np.random.default_rng(1)
    result = means_compare(np.zeros(50), np.zeros(50), x_t=rng.random(50), x_c=rng.random(50))
    assert (result.theta, result.absolute, result.p_value) == (0.0, 0.0, 1.0)


def test_zero_variance_with_different_means_is_a_certain_difference():
    result = means_compare(np.full(10, 5.0), np.full(12, 3.0), cap_percentile=None)
    assert (result.absolute, result.ci_low, result.ci_high, result.p_value) == (2.0, 2.0, 2.0, 0.0)
    assert result.relative == pytest.approx(2 / 3)


def test_zero_variance_in_one_arm_uses_the_others():
    y_t = np.array([0.0, 10.0, 20.0, 30.0])
    reference = stats.ttest_ind(y_t, np.zeros(6), equal_var=False)
    result = means_compare(y_t, np.zeros(6), cap_percentile=None)
    assert result.p_value == pytest.approx(reference.pvalue, abs=1e-9)


@pytest.mark.parametrize(
    ("y_t", "y_c", "absolute"),
    [
        ([], [], 0.0),
        ([], [1.0, 2.0, 3.0], 0.0),
        ([4.0, 2.0], [], 0.0),
        ([7.0], [1.0, 2.0, 3.0], 5.0),
        ([7.0], [3.0], 4.0),
    ],
)
def test_arms_below_two_customers_are_not_estimable(y_t, y_c, absolute):
    result = means_compare(np.array(y_t), np.array(y_c), cap_percentile=None)
    assert not result.estimable
    assert result.absolute == absolute
    assert (result.ci_low, result.ci_high, result.p_value) == (absolute, absolute, 1.0)
    assert (result.bootstrap_low, result.bootstrap_high) == (absolute, absolute)
    assert result.treatment_mean == (np.mean(y_t) if y_t else 0.0)
    assert result.control_mean == (np.mean(y_c) if y_c else 0.0)


def test_both_arms_empty_have_no_cap():
    result = means_compare(np.array([]), np.array([]))
    assert (result.cap, result.estimable) == (None, False)


def test_nothing_is_nan_on_degenerate_input():
    cases = [
        (np.zeros(2), np.zeros(2)),
        (np.array([1.0]), np.array([1.0])),
        (np.array([0.0, 0.0]), np.array([0.0, 5.0])),
        (np.array([]), np.array([0.0])),
    ]
    for y_t, y_c in cases:
        result = means_compare(y_t, y_c, x_t=np.zeros(y_t.size), x_c=np.ones(y_c.size))
        values = [v for v in vars(result).values() if isinstance(v, float)]
        assert all(np.isfinite(values)), result


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_t": np.array([1.0, np.nan])}, "finite"),
        ({"y_c": np.array([1.0, np.inf])}, "finite"),
        ({"y_t": np.ones((2, 2))}, "1-D"),
        ({"x_t": np.ones(3)}, "both arms"),
        ({"x_t": np.ones(2), "x_c": np.ones(2)}, "one value per customer"),
        ({"cap_percentile": 0.0}, "cap_percentile"),
        ({"cap_percentile": 101.0}, "cap_percentile"),
        ({"confidence": 1.0}, "confidence"),
        ({"resamples": 0}, "resamples"),
        ({"resamples": 10.5}, "resamples"),
        ({"seed": -1}, "seed"),
    ],
)
def test_invalid_input_raises(kwargs, message):
    arguments = {"y_t": np.ones(3), "y_c": np.ones(3), **kwargs}
    with pytest.raises(ValueError, match=message):
        means_compare(**arguments)
