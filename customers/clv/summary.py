"""RFM summary of a transaction log, as used throughout the BTYD literature.

The production pipeline computes the same arrays with one SQL aggregate; this
vectorised numpy version is the reference used by tests and back-tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DAYS_PER_UNIT",
    "DayLike",
    "RFMSummary",
    "TimeUnit",
    "day_number",
    "repeat_purchases_per_period",
    "rfm_summary",
]

TimeUnit = Literal["D", "W"]
DAYS_PER_UNIT: dict[str, float] = {"D": 1.0, "W": 7.0}

DayLike = int | np.integer | np.datetime64 | dt.date | str


def day_number(day: DayLike) -> int:
    """Convert a day (int days since 1970-01-01, datetime64, date or ISO string) to int days."""
    if isinstance(day, np.datetime64):
        return int(day.astype("datetime64[D]").astype(np.int64))
    if isinstance(day, int | np.integer) and not isinstance(day, bool):
        return int(day)
    return int(np.datetime64(day, "D").astype(np.int64))


def _day_array(day: ArrayLike) -> NDArray[np.int64]:
    arr = np.asarray(day)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[D]").astype(np.int64)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.floor(arr)):
        return arr.astype(np.int64)
    raise TypeError("day must be integer days since the epoch or datetime64")


@dataclass(frozen=True)
class RFMSummary:
    """Per-customer RFM summary (one row per customer, sorted by customer id).

    customer: int64 (n,), customer ids.
    frequency: float64 (n,), repeat purchase days in the window (integer-valued; "x").
    recency: float64 (n,), first to last purchase day, in ``time_unit`` ("t_x").
    age: float64 (n,), first purchase day to ``end_day``, in ``time_unit`` ("T").
    monetary: float64 (n,), mean value of the repeat purchase days, currency; 0 if x = 0.
    first_day, last_day: int64 (n,), days since 1970-01-01 of first and last purchase.
    n_purchase_days: int64 (n,), purchase days in the window (= frequency + 1).
    total_value: float64 (n,), value of all purchase days in the window, currency.
    time_unit: "D" (days) or "W" (weeks = days / 7).
    end_day: int, the day ``age`` is measured to (as-of day, or calibration end).
    holdout_frequency: float64 (n,) or None, purchase days after ``end_day`` up to
        the as-of day (all are repeat purchases); None without a calibration end.
    holdout_value: float64 (n,) or None, value of those holdout purchase days.
    holdout_length: float or None, holdout length in ``time_unit``.
    """

    customer: NDArray[np.int64]
    frequency: NDArray[np.float64]
    recency: NDArray[np.float64]
    age: NDArray[np.float64]
    monetary: NDArray[np.float64]
    first_day: NDArray[np.int64]
    last_day: NDArray[np.int64]
    n_purchase_days: NDArray[np.int64]
    total_value: NDArray[np.float64]
    time_unit: str
    end_day: int
    holdout_frequency: NDArray[np.float64] | None = None
    holdout_value: NDArray[np.float64] | None = None
    holdout_length: float | None = None


def _purchase_days(
    customer: NDArray[np.int64], day: NDArray[np.int64], value: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    # Same-day purchases are one transaction in the BTYD models, so merge them
    # (summing value) after sorting by (customer, day).
    order = np.lexsort((day, customer))
    c, d, v = customer[order], day[order], value[order]
    new = np.ones(c.size, dtype=bool)
    new[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1])
    starts = np.flatnonzero(new)
    merged_value = np.add.reduceat(v, starts) if starts.size else v[:0]
    return c[starts], d[starts], merged_value


def rfm_summary(
    customer: ArrayLike,
    day: ArrayLike,
    value: ArrayLike,
    *,
    as_of: DayLike,
    calibration_end: DayLike | None = None,
    time_unit: TimeUnit = "D",
) -> RFMSummary:
    """Summarise transactions into the BTYD (frequency, recency, T, monetary) arrays.

    customer: int array (n_tx,), customer id of each transaction.
    day: int array (n_tx,) of days since 1970-01-01, or datetime64 array (n_tx,).
    value: float array (n_tx,), transaction value in currency.
    as_of: last day of observation (inclusive); later transactions are ignored.
    calibration_end: if given, last day (inclusive) of the calibration window: the
        summary then describes the calibration window, ``age`` is measured to it,
        only customers who bought by then are included, and the holdout fields count
        purchase days in (calibration_end, as_of].
    time_unit: "D" for days or "W" for weeks (days / 7) for recency, age and
        holdout_length.

    A transaction is a customer's purchase day (same-day rows merge, values summed).
    ``age`` is end day minus first purchase day, so a customer who first bought on the
    end day has age 0 (the convention of Hardie's CDNOW summary).
    """
    if time_unit not in DAYS_PER_UNIT:
        raise ValueError(f"time_unit must be one of {sorted(DAYS_PER_UNIT)}")
    unit = DAYS_PER_UNIT[time_unit]
    cust = np.asarray(customer).astype(np.int64)
    days = _day_array(day)
    val = np.asarray(value, dtype=np.float64)
    if not cust.shape == days.shape == val.shape or cust.ndim != 1:
        raise ValueError("customer, day and value must be 1-D arrays of equal length")
    as_of_day = day_number(as_of)
    end_day = as_of_day if calibration_end is None else day_number(calibration_end)
    if end_day > as_of_day:
        raise ValueError("calibration_end must not be after as_of")

    keep = days <= as_of_day
    c, d, v = _purchase_days(cust[keep], days[keep], val[keep])
    in_cal = d <= end_day
    cal_c, cal_d, cal_v = c[in_cal], d[in_cal], v[in_cal]

    first_row = np.ones(cal_c.size, dtype=bool)
    first_row[1:] = cal_c[1:] != cal_c[:-1]
    starts = np.flatnonzero(first_row)
    ends = np.append(starts[1:], cal_c.size) - 1
    ids = cal_c[starts]
    first_day = cal_d[starts]
    last_day = cal_d[ends]
    n_days = ends - starts + 1
    total = np.add.reduceat(cal_v, starts) if starts.size else cal_v[:0]
    frequency = (n_days - 1).astype(np.float64)
    repeat_value = total - cal_v[starts]
    monetary = np.divide(
        repeat_value, frequency, out=np.zeros_like(repeat_value), where=frequency > 0
    )

    hold_freq = hold_value = None
    hold_len = None
    if calibration_end is not None:
        hold = ~in_cal
        hc, hv = c[hold], v[hold]
        # Holdout purchases of customers first seen after calibration_end are not
        # part of a calibration/holdout comparison.
        pos = np.searchsorted(ids, hc)
        known = (pos < ids.size) & (ids[np.minimum(pos, ids.size - 1)] == hc)
        hold_freq = np.bincount(pos[known], minlength=ids.size).astype(np.float64)
        # Already float64 (weighted); numpy's stubs type bincount as integer.
        hold_value = np.bincount(pos[known], weights=hv[known], minlength=ids.size).astype(
            np.float64, copy=False
        )
        hold_len = (as_of_day - end_day) / unit

    return RFMSummary(
        customer=ids,
        frequency=frequency,
        recency=(last_day - first_day) / unit,
        age=(end_day - first_day) / unit,
        monetary=monetary,
        first_day=first_day,
        last_day=last_day,
        n_purchase_days=n_days.astype(np.int64),
        total_value=total,
        time_unit=time_unit,
        end_day=end_day,
        holdout_frequency=hold_freq,
        holdout_value=hold_value,
        holdout_length=hold_len,
    )


def repeat_purchases_per_period(
    customer: ArrayLike,
    day: ArrayLike,
    *,
    start: DayLike,
    n_periods: int,
    period_days: int = 7,
) -> NDArray[np.int64]:
    """Repeat purchase days per calendar period (the "actual" curve of a back-test).

    customer: int array (n_tx,); day: int days since 1970-01-01 or datetime64 (n_tx,).
    start: first day of period 0; periods are [start + k*period_days,
    start + (k+1)*period_days) for k = 0..n_periods-1.
    Returns int64 (n_periods,): purchase days that are not the customer's first
    purchase day, counted in the period they fall in. A customer's first purchase
    day is their earliest day in the whole log, so the log must start at or before
    ``start`` for repeat/first to be classified correctly.
    """
    cust = np.asarray(customer).astype(np.int64)
    days = _day_array(day)
    c, d, _ = _purchase_days(cust, days, np.zeros(cust.size))
    repeat = np.ones(c.size, dtype=bool)
    repeat[0:1] = False
    repeat[1:] = c[1:] == c[:-1]
    period = (d[repeat] - day_number(start)) // period_days
    period = period[(period >= 0) & (period < n_periods)]
    return np.bincount(period, minlength=n_periods).astype(np.int64)
