"""Difference of two means: a variant's revenue per assigned customer against the holdout's.

One value per assigned customer (revenue in the attribution window, net of refunds, 0 for
most), so the distribution is a spike at zero and a long right tail. Steps, each from its
source:

1. Cap: every value above the ``cap_percentile``-th percentile of the POOLED arms (treatment
   and control together, numpy's linear interpolation) is set to that percentile, so one
   wholesale order cannot decide the test. The cap is computed on the pooled arms, never per
   arm, so it cannot itself differ between arms (winsorising at the top; Kohavi, Tang & Xu
   2020, "Trustworthy Online Controlled Experiments", ch. 22).
2. CUPED (Deng, Xu, Kohavi & Walker 2013, "Improving the sensitivity of online controlled
   experiments by utilizing pre-experiment data", WSDM): with x the customer's spend in the
   90 days before assignment and y the capped value, theta = cov(x, y) / var(x) on the
   pooled arms and y_adj = y - theta (x - mean(x_pooled)). x is fixed before assignment,
   so the adjusted difference estimates the same effect with less variance; theta = 0 when
   x does not vary.
3. Welch's t (Welch 1947, "The generalization of 'Student's' problem when several different
   population variances are involved", Biometrika 34, 28-35) on the capped, adjusted values:
   the difference of means, its interval with the Welch-Satterthwaite degrees of freedom and
   the two-sided p-value (scipy ``ttest_ind(equal_var=False)``).
4. Beside it, the percentile bootstrap interval (Efron & Tibshirani 1993, "An Introduction to
   the Bootstrap", ch. 13) of the same difference: each arm resampled with replacement,
   ``resamples`` times, the cap and theta held fixed; it does not lean on normality, which
   matters for skewed revenue in small arms.

The array functions work along the last axis, so ``simulation.py`` runs a thousand
campaigns as one (simulations, customers) array through the code ``means_compare`` uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike, NDArray

from campaigns.statistics._checks import check_count, check_level, check_values
from campaigns.statistics.bootstrap import bootstrap_interval
from campaigns.statistics.welch import welch_test

__all__ = [
    "MeanComparison",
    "cap_values",
    "cuped_adjust",
    "means_compare",
]

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class MeanComparison:
    """A treatment arm's mean (a variant) against a control arm's mean (the holdout).

    treatment_mean, control_mean: the raw means (uncapped, unadjusted; 0.0 for an empty arm).
    absolute: difference of the capped, CUPED-adjusted means (currency per customer).
    relative: absolute / adjusted control mean, None when that mean is not positive.
    ci_low, ci_high, p_value: Welch's t on the capped (+ CUPED) values.
    bootstrap_low, bootstrap_high: percentile bootstrap interval of the same difference.
    cap: the pooled-percentile cap applied (None: no capping asked, or no values at all).
    theta: the CUPED coefficient (None: no covariate given).
    estimable: False when an arm has fewer than 2 customers (a variance needs two): then the
        intervals are the single point ``absolute`` and p_value is 1.0, placeholders a page
        shows as "not enough data".
    treatment_size, control_size: customers per arm.
    treatment_adjusted_mean, control_adjusted_mean, treatment_variance, control_variance:
        mean and sample variance (ddof 1; 0.0 below 2 customers) of each arm's capped,
        adjusted values, the moments Welch's t uses (the winner compares variants from them).
    """

    treatment_mean: float
    control_mean: float
    absolute: float
    relative: float | None
    ci_low: float
    ci_high: float
    p_value: float
    bootstrap_low: float
    bootstrap_high: float
    cap: float | None
    theta: float | None
    estimable: bool = True
    treatment_size: int = 0
    control_size: int = 0
    treatment_adjusted_mean: float = 0.0
    control_adjusted_mean: float = 0.0
    treatment_variance: float = 0.0
    control_variance: float = 0.0


def cap_values(y_t: Floats, y_c: Floats, percentile: float) -> tuple[Floats, Floats, Floats]:
    """Cap both arms at the given percentile of the pooled arms (along the last axis).

    y_t: (..., n_t), y_c: (..., n_c), n_t + n_c > 0. Returns the capped arms and the cap (...).
    """
    cap = np.percentile(np.concatenate([y_t, y_c], axis=-1), percentile, axis=-1)
    bound = cap[..., np.newaxis]
    return np.minimum(y_t, bound), np.minimum(y_c, bound), cap


def cuped_adjust(
    y_t: Floats, y_c: Floats, x_t: Floats, x_c: Floats
) -> tuple[Floats, Floats, Floats]:
    """CUPED-adjusted arms and theta = cov(x, y) / var(x), both on the pooled arms.

    y and x of one arm have the same shape (..., n). theta (...) is 0 where x is constant.
    """
    y = np.concatenate([y_t, y_c], axis=-1)
    x = np.concatenate([x_t, x_c], axis=-1)
    x_mean = x.mean(axis=-1, keepdims=True)
    x_centred = x - x_mean
    covariance = (x_centred * (y - y.mean(axis=-1, keepdims=True))).sum(axis=-1)
    variance = (x_centred * x_centred).sum(axis=-1)
    theta = np.where(variance > 0.0, covariance / np.where(variance > 0.0, variance, 1.0), 0.0)
    slope = theta[..., np.newaxis]
    return y_t - slope * (x_t - x_mean), y_c - slope * (x_c - x_mean), theta


def means_compare(
    y_t: ArrayLike,
    y_c: ArrayLike,
    *,
    x_t: ArrayLike | None = None,
    x_c: ArrayLike | None = None,
    cap_percentile: float | None = 99.0,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> MeanComparison:
    """Compare the treatment's mean of y_t with the control's mean of y_c.

    y_t: float (n_t,), y_c: float (n_c,): one value per assigned customer (currency).
    x_t, x_c: the same customers' pre-assignment covariate (spend in the 90 days before),
        both or neither; same lengths as y_t, y_c.
    cap_percentile: in (0, 100], the pooled percentile values are capped at; None: no cap.
    resamples, seed: the bootstrap's resample count (>= 1) and random seed.
    Raises ValueError for non-finite values, mismatched lengths or out-of-range settings.
    """
    y_t, y_c = check_values(y_t, "y_t"), check_values(y_c, "y_c")
    covariates = _covariates(x_t, x_c, y_t, y_c)
    confidence = check_level(confidence, "confidence")
    _check_settings(cap_percentile, resamples, seed)
    raw_t = float(y_t.mean()) if y_t.size else 0.0
    raw_c = float(y_c.mean()) if y_c.size else 0.0
    y_t, y_c, cap, theta = _capped_and_adjusted(y_t, y_c, cap_percentile, covariates)
    mean_t = float(y_t.mean()) if y_t.size else 0.0
    mean_c = float(y_c.mean()) if y_c.size else 0.0
    absolute = mean_t - mean_c if y_t.size and y_c.size else 0.0
    estimable = y_t.size >= 2 and y_c.size >= 2
    ci_low, ci_high, p_value, bootstrap_low, bootstrap_high = (
        _inference(y_t, y_c, confidence=confidence, resamples=resamples, seed=seed)
        if estimable
        else (absolute, absolute, 1.0, absolute, absolute)
    )
    return MeanComparison(
        treatment_mean=raw_t,
        control_mean=raw_c,
        absolute=absolute,
        relative=absolute / mean_c if y_t.size and mean_c > 0.0 else None,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        bootstrap_low=bootstrap_low,
        bootstrap_high=bootstrap_high,
        cap=cap,
        theta=theta,
        estimable=estimable,
        treatment_size=y_t.size,
        control_size=y_c.size,
        treatment_adjusted_mean=mean_t,
        control_adjusted_mean=mean_c,
        treatment_variance=float(y_t.var(ddof=1)) if y_t.size > 1 else 0.0,
        control_variance=float(y_c.var(ddof=1)) if y_c.size > 1 else 0.0,
    )


def _capped_and_adjusted(
    y_t: Floats,
    y_c: Floats,
    cap_percentile: float | None,
    covariates: tuple[Floats, Floats] | None,
) -> tuple[Floats, Floats, float | None, float | None]:
    """The arms capped (when asked and there are values), then CUPED-adjusted (when x given)."""
    cap = theta = None
    if cap_percentile is not None and y_t.size + y_c.size > 0:
        y_t, y_c, cap_array = cap_values(y_t, y_c, float(cap_percentile))
        cap = float(cap_array)
    if covariates is not None:
        y_t, y_c, theta_array = cuped_adjust(y_t, y_c, *covariates)
        theta = float(theta_array)
    return y_t, y_c, cap, theta


def _inference(
    y_t: Floats, y_c: Floats, *, confidence: float, resamples: int, seed: int
) -> tuple[float, float, float, float, float]:
    """Welch's interval and p-value, then the bootstrap interval (each arm n >= 2)."""
    welch = welch_test(y_t, y_c, confidence)
    bootstrap_low, bootstrap_high = bootstrap_interval(
        y_t, y_c, confidence=confidence, resamples=resamples, seed=seed
    )
    return float(welch.low), float(welch.high), float(welch.p_value), bootstrap_low, bootstrap_high


def _check_settings(cap_percentile: object, resamples: object, seed: object) -> None:
    if cap_percentile is not None and (
        isinstance(cap_percentile, bool)
        or not isinstance(cap_percentile, Real)
        or not 0.0 < float(cap_percentile) <= 100.0
    ):
        raise ValueError(f"cap_percentile must be in (0, 100] or None, got {cap_percentile!r}")
    if check_count(resamples, "resamples") < 1:
        raise ValueError("resamples must be >= 1")
    check_count(seed, "seed")


def _covariates(x_t: object, x_c: object, y_t: Floats, y_c: Floats) -> tuple[Floats, Floats] | None:
    if x_t is None and x_c is None:
        return None
    if x_t is None or x_c is None:
        raise ValueError("give the covariate for both arms (x_t and x_c) or for neither")
    x_t_, x_c_ = check_values(x_t, "x_t"), check_values(x_c, "x_c")
    if x_t_.shape != y_t.shape or x_c_.shape != y_c.shape:
        raise ValueError("each arm's covariate x must have one value per customer, like y")
    return x_t_, x_c_
