"""Back-test the purchase model: fit on a calibration period, compare with the holdout.

Three set-based queries whatever the number of customers: the calibration summary
(``purchase_history`` as of the calibration end), every customer's purchase days in the
holdout (``purchase_history`` again, from the day after the calibration end), and the
weekly count of repeat transactions of the calibration cohort. Customers whose first
purchase falls after the calibration end are not part of the comparison (the cohort of
Fader, Hardie & Lee 2005). Time is in weeks, as in the paper.
"""

from datetime import date, timedelta

import numpy as np
from django.db import connection
from numpy.typing import NDArray

from customers import clv
from customers.clv_runs import compute
from customers.clv_runs.aggregate import customer_days_sql, purchase_history, sql_dialect
from customers.clv_runs.run import default_settings
from customers.models import ClvBacktest

TIME_UNIT: clv.TimeUnit = "W"
DAYS_PER_WEEK = 7


class BacktestError(ValueError):
    """The dates or the data do not allow a back-test; the message says why."""


def backtest_run(*, calibration_end: date, holdout_end: date) -> ClvBacktest:
    """Fit the shop's purchase model up to ``calibration_end`` and test it on the holdout.

    The holdout is the days after ``calibration_end`` up to and including ``holdout_end``.
    Fits BG/NBD (or MBG/NBD, as ``CLV_MODEL`` says) in weeks on the customers who bought
    by ``calibration_end``, predicts each one's repeat transactions (purchase days) in the
    holdout, and records the comparison as a :class:`~customers.models.ClvBacktest`.
    Raises :class:`BacktestError` for a holdout that does not follow the calibration, or
    too little data to fit.
    """
    if holdout_end <= calibration_end:
        raise BacktestError(
            f"the holdout must end after the calibration: holdout end {holdout_end} "
            f"is not after calibration end {calibration_end}"
        )
    history = purchase_history(calibration_end)
    if not len(history):
        raise BacktestError(f"no completed orders on or before {calibration_end}")
    if not np.count_nonzero(history.purchase_days > 1):
        raise BacktestError(f"no customer made a repeat purchase by {calibration_end}")
    cal_day = clv.day_number(calibration_end)
    summary = compute.summarise(history, cal_day, TIME_UNIT)
    fit = clv.fit_bgnbd(
        summary.frequency,
        summary.recency,
        summary.age,
        model=default_settings().model,
        time_unit=TIME_UNIT,
    )
    start_day = int(history.first_day.min())
    # Complete weeks only: a partial last week would set a week's forecast against a few
    # days of actual purchases.
    weeks = (clv.day_number(holdout_end) - start_day + 1) // DAYS_PER_WEEK
    result = clv.backtest(
        fit,
        summary.frequency,
        summary.recency,
        summary.age,
        _holdout_purchase_days(history.customer_id, calibration_end, holdout_end),
        holdout_length=(holdout_end - calibration_end).days / DAYS_PER_WEEK,
        calibration_end=(cal_day - start_day) / DAYS_PER_WEEK,
        actual_per_period=weekly_repeat_transactions(
            calibration_end, holdout_end, start_day=start_day, weeks=weeks
        ),
    )
    return _record(calibration_end, holdout_end, start_day, fit, result)


def _holdout_purchase_days(
    cohort: NDArray[np.int64], calibration_end: date, holdout_end: date
) -> NDArray[np.float64]:
    """Purchase days in the holdout of each cohort customer, aligned with ``cohort``."""
    holdout = purchase_history(holdout_end, since=calibration_end + timedelta(days=1))
    # Both arrays are sorted by customer id; newcomers of the holdout drop out here.
    position = np.searchsorted(cohort, holdout.customer_id)
    inside = position < cohort.size
    inside[inside] = cohort[position[inside]] == holdout.customer_id[inside]
    counts = np.zeros(cohort.size, dtype=np.float64)
    counts[position[inside]] = holdout.purchase_days[inside]
    return counts


def weekly_repeat_transactions(
    calibration_end: date, holdout_end: date, *, start_day: int, weeks: int
) -> NDArray[np.int64]:
    """Repeat purchase days per week of the calibration cohort, in one query.

    Week k (0-based) is the days ``start_day + 7k`` to ``start_day + 7k + 6`` (days since
    1970-01-01). A repeat transaction is a purchase day other than the customer's first;
    only customers whose first purchase day is on or before ``calibration_end`` count.
    Returns int64 (weeks,).
    """
    inner, params = customer_days_sql(holdout_end)
    day_number, _ = sql_dialect()
    sql = f"""
        SELECT (day_number - %s) / {DAYS_PER_WEEK} AS week, COUNT(*)
        FROM (
            SELECT {day_number.format("d.day")} AS day_number,
                   {day_number.format("MIN(d.day) OVER (PARTITION BY d.customer_id)")}
                       AS first_day_number,
                   ROW_NUMBER() OVER (PARTITION BY d.customer_id ORDER BY d.day) AS nth
            FROM ({inner}) d
        ) numbered
        WHERE nth > 1 AND first_day_number <= %s
        GROUP BY week
        ORDER BY week
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, (start_day, *params, clv.day_number(calibration_end)))
        rows = cursor.fetchall()
    counts = np.zeros(weeks, dtype=np.int64)
    for week, count in rows:
        if 0 <= week < weeks:
            counts[int(week)] = count
    return counts


def _record(
    calibration_end: date,
    holdout_end: date,
    start_day: int,
    fit: clv.BGNBDFit,
    result: clv.Backtest,
) -> ClvBacktest:
    p = fit.params
    weekly = [
        {
            "week": week,
            "actual_cumulative": int(actual),
            "predicted_cumulative": round(float(predicted), 4),
        }
        for week, actual, predicted in zip(
            range(1, result.period_end.size + 1),
            result.cumulative_actual,
            result.cumulative_predicted,
            strict=True,
        )
    ]
    return ClvBacktest.objects.create(
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        calendar_start=date(1970, 1, 1) + timedelta(days=start_day),
        model=p.model,
        r=p.r,
        alpha=p.alpha,
        a=p.a,
        b=p.b,
        log_likelihood=fit.log_likelihood,
        customers=result.actual.size,
        predicted_total=result.predicted_total,
        actual_total=round(result.actual_total),
        mean_absolute_error=result.mean_absolute_error,
        correlation=result.correlation if np.isfinite(result.correlation) else None,
        weekly=weekly,
    )
