"""Welch's t test and interval for a difference of two means with unequal variances.

Welch (1947), "The generalization of 'Student's' problem when several different population
variances are involved", Biometrika 34, 28-35: t = (m_t - m_c) / sqrt(v_t/n_t + v_c/n_c) with
the Welch-Satterthwaite degrees of freedom (scipy ``ttest_ind(equal_var=False)``). Here on the
capped, CUPED-adjusted revenue per customer (``means.py``) and, from the arms' moments, for
the winner's comparisons between variants (``winner.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = ["WelchTest", "welch_from_moments", "welch_test"]

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class WelchTest:
    """Welch's t of mean_t - mean_c, arrays of the broadcast shape of the inputs.

    difference, low, high: the difference and its interval; p_value: two-sided. With zero
    variance in both arms the interval is the point itself and p is 1.0 if the means are
    equal, 0.0 if not (the limit of the test as the variances go to zero).
    """

    difference: Floats
    low: Floats
    high: Floats
    p_value: Floats


def welch_from_moments(
    mean_t: ArrayLike,
    variance_t: ArrayLike,
    n_t: ArrayLike,
    mean_c: ArrayLike,
    variance_c: ArrayLike,
    n_c: ArrayLike,
    confidence: float,
) -> WelchTest:
    """Welch's test from each arm's mean, sample variance (ddof 1) and size (each n >= 2)."""
    m_t, m_c = np.asarray(mean_t, dtype=np.float64), np.asarray(mean_c, dtype=np.float64)
    size_t, size_c = np.asarray(n_t, dtype=np.float64), np.asarray(n_c, dtype=np.float64)
    share_t = np.asarray(variance_t, dtype=np.float64) / size_t
    share_c = np.asarray(variance_c, dtype=np.float64) / size_c
    difference = m_t - m_c
    variance = share_t + share_c
    varies = variance > 0.0
    safe_variance = np.where(varies, variance, 1.0)
    # Welch-Satterthwaite; the where() keeps 0/0 out of arms without variance.
    spread = share_t**2 / (size_t - 1.0) + share_c**2 / (size_c - 1.0)
    freedom = np.where(varies, safe_variance**2 / np.where(varies, spread, 1.0), 1.0)
    error = np.sqrt(safe_variance)
    half = np.where(varies, stats.t.isf((1.0 - confidence) / 2.0, freedom) * error, 0.0)
    p_value = np.where(
        varies,
        2.0 * stats.t.sf(np.abs(difference) / error, freedom),
        np.where(difference == 0.0, 1.0, 0.0),
    )
    return WelchTest(difference, difference - half, difference + half, p_value)


def welch_test(a_t: Floats, a_c: Floats, confidence: float) -> WelchTest:
    """Welch's test of mean(a_t) - mean(a_c) along the last axis (each arm n >= 2)."""
    return welch_from_moments(
        a_t.mean(axis=-1),
        a_t.var(axis=-1, ddof=1),
        a_t.shape[-1],
        a_c.mean(axis=-1),
        a_c.var(axis=-1, ddof=1),
        a_c.shape[-1],
        confidence,
    )
