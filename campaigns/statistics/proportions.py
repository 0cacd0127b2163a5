"""Two-proportion comparison: a variant's conversion rate against the holdout's.

Three methods, each from its source:

- the absolute difference p_t - p_c with Newcombe's hybrid score interval, "method 10" of
  Newcombe (1998), "Interval estimation for the difference between independent proportions:
  comparison of eleven methods", Statistics in Medicine 17, 873-890: each rate's Wilson (1927)
  score interval without continuity correction, combined by the square-and-add rule. It keeps
  close to its nominal coverage for small counts and for rates near 0 or 1, where the Wald
  interval collapses (statsmodels calls it ``method="newcomb"``);
- the relative uplift p_t / p_c - 1 with the log interval of the risk ratio, Katz, Baptista,
  Azen & Pike (1978), "Obtaining confidence intervals for the risk ratio in cohort studies",
  Biometrics 34, 469-474 (statsmodels ``compare="ratio", method="log"``);
- the two-sided two-proportion z test with the pooled variance under the null hypothesis of
  equal rates (statsmodels ``proportions_ztest``).

The array functions broadcast, so the simulations (``simulation.py``) run thousands of
campaigns in one call through the same code as ``proportions_compare``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from campaigns.statistics._checks import check_count, check_level, normal_quantile

__all__ = [
    "ProportionComparison",
    "newcombe_interval",
    "pooled_z_p_value",
    "proportions_compare",
    "risk_ratio_log_interval",
    "wilson_interval",
]

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class ProportionComparison:
    """A treatment arm's rate (a variant) against a control arm's rate (the holdout).

    treatment_rate, control_rate: x / n of each arm (0.0 for an empty arm, by convention).
    absolute: p_t - p_c; ci_low, ci_high: its Newcombe hybrid score interval, in [-1, 1].
    relative: p_t / p_c - 1, None when p_c == 0 (no ratio to a zero rate).
    relative_ci_low, relative_ci_high: Katz log interval of the ratio, minus 1; None when
        either arm has no success (the log of a zero rate has no interval) or p_c == 0.
    p_value: two-sided pooled two-proportion z test; 1.0 when both arms have the same rate
        of 0 or 1 (nothing varies, nothing differs).
    estimable: False when an arm is empty: then absolute is 0.0, the interval is [-1, 1]
        (every difference is possible), p_value is 1.0 and relative is None; a page shows
        "not enough data" rather than these placeholders.
    treatment_successes, treatment_size, control_successes, control_size: the counts
        compared (the winner compares variants with each other from them).
    """

    treatment_rate: float
    control_rate: float
    absolute: float
    relative: float | None
    ci_low: float
    ci_high: float
    relative_ci_low: float | None
    relative_ci_high: float | None
    p_value: float
    estimable: bool = True
    treatment_successes: int = 0
    treatment_size: int = 0
    control_successes: int = 0
    control_size: int = 0


def wilson_interval(x: ArrayLike, n: ArrayLike, z: float) -> tuple[Floats, Floats]:
    """Wilson (1927) score interval of x / n, no continuity correction (arrays, n > 0).

    The roots in p of (x/n - p)^2 = z^2 p (1 - p) / n: with x = 0 the lower bound is
    exactly 0, with x = n the upper bound exactly 1 (clipped against rounding).
    """
    x_, n_ = np.asarray(x, dtype=np.float64), np.asarray(n, dtype=np.float64)
    z2 = z * z
    centre = 2.0 * x_ + z2
    half = z * np.sqrt(z2 + 4.0 * x_ * (1.0 - x_ / n_))
    denominator = 2.0 * (n_ + z2)
    return (
        np.clip((centre - half) / denominator, 0.0, 1.0),
        np.clip((centre + half) / denominator, 0.0, 1.0),
    )


def newcombe_interval(
    x_t: ArrayLike, n_t: ArrayLike, x_c: ArrayLike, n_c: ArrayLike, z: float
) -> tuple[Floats, Floats]:
    """Newcombe (1998) method 10 interval of p_t - p_c (arrays, n_t > 0 and n_c > 0).

    L = d - sqrt((p_t - l_t)^2 + (u_c - p_c)^2), U = d + sqrt((u_t - p_t)^2 + (p_c - l_c)^2)
    with (l, u) each arm's Wilson interval.
    """
    p_t = np.asarray(x_t, dtype=np.float64) / np.asarray(n_t, dtype=np.float64)
    p_c = np.asarray(x_c, dtype=np.float64) / np.asarray(n_c, dtype=np.float64)
    low_t, high_t = wilson_interval(x_t, n_t, z)
    low_c, high_c = wilson_interval(x_c, n_c, z)
    difference = p_t - p_c
    low = difference - np.sqrt((p_t - low_t) ** 2 + (high_c - p_c) ** 2)
    high = difference + np.sqrt((high_t - p_t) ** 2 + (p_c - low_c) ** 2)
    return low, high


def pooled_z_p_value(x_t: ArrayLike, n_t: ArrayLike, x_c: ArrayLike, n_c: ArrayLike) -> Floats:
    """Two-sided p-value of the pooled two-proportion z test (arrays, n_t > 0 and n_c > 0).

    z = (p_t - p_c) / sqrt(p (1 - p) (1/n_t + 1/n_c)) with p the pooled rate. When p is 0 or
    1 both rates are equal and the p-value is 1.0 (instead of 0/0).
    """
    xt, nt = np.asarray(x_t, dtype=np.float64), np.asarray(n_t, dtype=np.float64)
    xc, nc = np.asarray(x_c, dtype=np.float64), np.asarray(n_c, dtype=np.float64)
    pooled = (xt + xc) / (nt + nc)
    variance = pooled * (1.0 - pooled) * (1.0 / nt + 1.0 / nc)
    degenerate = variance <= 0.0
    z = np.abs(xt / nt - xc / nc) / np.sqrt(np.where(degenerate, 1.0, variance))
    return np.where(degenerate, 1.0, 2.0 * stats.norm.sf(z))


def risk_ratio_log_interval(
    x_t: ArrayLike, n_t: ArrayLike, x_c: ArrayLike, n_c: ArrayLike, z: float
) -> tuple[Floats, Floats]:
    """Katz et al. (1978) interval of p_t / p_c (arrays, x_t > 0 and x_c > 0).

    exp(log(p_t / p_c) +- z sqrt(1/x_t - 1/n_t + 1/x_c - 1/n_c)).
    """
    xt, nt = np.asarray(x_t, dtype=np.float64), np.asarray(n_t, dtype=np.float64)
    xc, nc = np.asarray(x_c, dtype=np.float64), np.asarray(n_c, dtype=np.float64)
    log_ratio = np.log(xt / nt) - np.log(xc / nc)
    half = z * np.sqrt(1.0 / xt - 1.0 / nt + 1.0 / xc - 1.0 / nc)
    return np.exp(log_ratio - half), np.exp(log_ratio + half)


def proportions_compare(
    x_t: int, n_t: int, x_c: int, n_c: int, *, confidence: float = 0.95
) -> ProportionComparison:
    """Compare the treatment's rate x_t / n_t with the control's x_c / n_c.

    x_t, n_t: the treatment arm's successes (conversions) and size (assigned customers);
    x_c, n_c: the control arm's. Raises ValueError unless 0 <= x <= n for both arms and
    0 < confidence < 1. An empty arm gives ``estimable=False`` (see ProportionComparison).
    """
    x_t, n_t = check_count(x_t, "x_t"), check_count(n_t, "n_t")
    x_c, n_c = check_count(x_c, "x_c"), check_count(n_c, "n_c")
    if x_t > n_t or x_c > n_c:
        raise ValueError(f"successes exceed the arm's size: {x_t}/{n_t}, {x_c}/{n_c}")
    z = normal_quantile(check_level(confidence, "confidence"))
    rate_t = x_t / n_t if n_t else 0.0
    rate_c = x_c / n_c if n_c else 0.0
    if n_t == 0 or n_c == 0:
        return ProportionComparison(
            rate_t, rate_c, 0.0, None, -1.0, 1.0, None, None, 1.0, False, x_t, n_t, x_c, n_c
        )
    low, high = newcombe_interval(x_t, n_t, x_c, n_c, z)
    relative_low = relative_high = None
    if x_t > 0 and x_c > 0:
        ratio_low, ratio_high = risk_ratio_log_interval(x_t, n_t, x_c, n_c, z)
        relative_low, relative_high = float(ratio_low) - 1.0, float(ratio_high) - 1.0
    return ProportionComparison(
        treatment_rate=rate_t,
        control_rate=rate_c,
        absolute=rate_t - rate_c,
        relative=rate_t / rate_c - 1.0 if x_c > 0 else None,
        ci_low=max(float(low), -1.0),
        ci_high=min(float(high), 1.0),
        relative_ci_low=relative_low,
        relative_ci_high=relative_high,
        p_value=float(pooled_z_p_value(x_t, n_t, x_c, n_c)),
        treatment_successes=x_t,
        treatment_size=n_t,
        control_successes=x_c,
        control_size=n_c,
    )
