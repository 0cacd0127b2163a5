"""Calibration/holdout back-test of a BG/NBD or MBG/NBD fit (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from customers.clv.bgnbd import (
    BGNBDFit,
    BGNBDParams,
    conditional_expected_purchases,
    expected_purchases,
)

__all__ = ["Backtest", "backtest"]


@dataclass(frozen=True)
class Backtest:
    """Outcome of ``backtest``; purchases are repeat purchase days.

    predicted, actual: float64 (n,), per-customer holdout purchases.
    predicted_total, actual_total: their sums.
    mean_absolute_error, root_mean_squared_error: per customer, purchases.
    correlation: Pearson correlation of predicted and actual (nan if constant).
    period_end: float64 (m,), end of each calendar period, model time units since
        the calendar start.
    cumulative_predicted, cumulative_actual: float64 (m,), repeat purchases by the
        end of each period (the tracking plot of Figure 2 in the 2005 paper).
    """

    predicted: NDArray[np.float64]
    actual: NDArray[np.float64]
    predicted_total: float
    actual_total: float
    mean_absolute_error: float
    root_mean_squared_error: float
    correlation: float
    period_end: NDArray[np.float64]
    cumulative_predicted: NDArray[np.float64]
    cumulative_actual: NDArray[np.float64]


def backtest(
    params: BGNBDParams | BGNBDFit,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    holdout_frequency: ArrayLike,
    *,
    holdout_length: float,
    calibration_end: float,
    actual_per_period: ArrayLike,
    period_length: float = 1.0,
) -> Backtest:
    """Compare a calibration-period fit with what happened in the holdout period.

    frequency, recency, age: float64 (n,), the calibration summary in
        ``params.time_unit``; age is measured to the calibration end.
    holdout_frequency: float64 (n,), actual repeat purchase days in the holdout.
    holdout_length: holdout duration, model time units.
    calibration_end: time from the calendar start (period 0's start) to the day ages
        are measured to, model time units; customer n's first purchase is then at
        calibration_end - age_n (CDNOW in weeks: 272 / 7).
    actual_per_period: (m,) actual repeat purchases per calendar period (e.g.
        ``repeat_purchases_per_period``), covering calibration and holdout.
    period_length: length of a period in model time units (1 = a week for "W").

    The cumulative prediction at time tau is sum_n E[X(tau - t0_n)], the
    unconditional expectation for each customer since their first purchase t0_n,
    as in Figure 2 of Fader, Hardie & Lee (2005).
    """
    x = np.asarray(frequency, dtype=np.float64)
    t_age = np.asarray(age, dtype=np.float64)
    actual = np.asarray(holdout_frequency, dtype=np.float64)
    predicted = conditional_expected_purchases(params, holdout_length, x, recency, t_age)
    err = predicted - actual
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (
            float(np.corrcoef(predicted, actual)[0, 1])
            if predicted.size > 1 and np.std(predicted) > 0 and np.std(actual) > 0
            else float("nan")
        )

    per_period = np.asarray(actual_per_period, dtype=np.float64)
    period_end = period_length * np.arange(1, per_period.size + 1, dtype=np.float64)
    # Customers sharing a first-purchase time share their whole curve.
    start, counts = np.unique(np.round(calibration_end - t_age, 9), return_counts=True)
    curves = expected_purchases(params, period_end[None, :] - start[:, None])
    return Backtest(
        predicted=predicted,
        actual=actual,
        predicted_total=float(predicted.sum()),
        actual_total=float(actual.sum()),
        mean_absolute_error=float(np.mean(np.abs(err))),
        root_mean_squared_error=float(np.sqrt(np.mean(err**2))),
        correlation=corr,
        period_end=period_end,
        cumulative_predicted=np.einsum("i,ij->j", counts.astype(np.float64), curves),
        cumulative_actual=np.cumsum(per_period),
    )
