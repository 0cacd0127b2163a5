"""The retention programme against the global control group, over a period.

Who is compared: the shop's existing customers at the period's start (a completed order
before it), split by the global control group's hash (``campaigns.assignment``) as the
setting stands now. Per customer, two outcomes over ``[start, end)``: revenue (completed
orders net of refunds, zero for a customer who bought nothing) and retention (at least one
completed order). Everyone else's revenue per customer and retention rate are compared
with the control group's by ``campaigns.statistics``: Welch's t on revenue capped at the
pooled 99th percentile (with a bootstrap interval beside it) and the two-proportion
comparison for retention. One query reads the orders of the period and before it, grouped
per customer; the rest is numpy.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import connection

from campaigns.assignment import GLOBAL_CONTROL_KEY, bucket_sql, global_control_buckets
from campaigns.statistics import (
    MeanComparison,
    ProportionComparison,
    means_compare,
    proportions_compare,
)

# A million customers resampled a thousand times is a second of numpy; enough for an
# interval beside Welch's, which is the headline one.
BOOTSTRAP_RESAMPLES = 1000

PER_CUSTOMER = """
    SELECT {bucket} AS bucket,
           SUM(CASE WHEN o.placed_at >= %(start)s THEN o.total - o.refunded_amount ELSE 0 END),
           MAX(CASE WHEN o.placed_at >= %(start)s THEN 1 ELSE 0 END)
    FROM customers_order o
    WHERE o.status = 'completed' AND o.placed_at < %(end)s
    GROUP BY o.customer_id
    HAVING MIN(o.placed_at) < %(start)s
"""


@dataclass(frozen=True)
class GroupFigures:
    """One side of the comparison: its customers, revenue and retention."""

    customers: int
    revenue: Decimal
    revenue_per_customer: float
    retained: int
    retention_rate: float


@dataclass(frozen=True)
class ProgrammeComparison:
    """Everyone else (treated by the programme) against the global control group."""

    start: datetime
    end: datetime
    control_percent: float
    treated: GroupFigures
    control: GroupFigures
    revenue: MeanComparison | None  # None while either side has no customer
    retention: ProportionComparison | None


def programme_compare(*, start: datetime, end: datetime) -> ProgrammeComparison:
    """Compare the programme's customers with the global control group over the period."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    bucket = bucket_sql(connection.vendor, repr(GLOBAL_CONTROL_KEY), "o.customer_id")
    params = {
        "start": connection.ops.adapt_datetimefield_value(start),
        "end": connection.ops.adapt_datetimefield_value(end),
    }
    with connection.cursor() as cursor:
        cursor.execute(PER_CUSTOMER.format(bucket=bucket), params)
        rows = cursor.fetchall()
    buckets = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    revenue = np.fromiter((float(row[1]) for row in rows), dtype=np.float64, count=len(rows))
    retained = np.fromiter((row[2] for row in rows), dtype=np.int64, count=len(rows))
    in_control = buckets < global_control_buckets()
    treated, control = ~in_control, in_control
    comparable = bool(treated.any() and control.any())
    return ProgrammeComparison(
        start=start,
        end=end,
        control_percent=settings.CAMPAIGN_GLOBAL_CONTROL_PERCENT,
        treated=_figures(revenue[treated], retained[treated]),
        control=_figures(revenue[control], retained[control]),
        revenue=(
            means_compare(revenue[treated], revenue[control], resamples=BOOTSTRAP_RESAMPLES, seed=0)
            if comparable
            else None
        ),
        retention=(
            proportions_compare(
                int(retained[treated].sum()),
                int(treated.sum()),
                int(retained[control].sum()),
                int(control.sum()),
            )
            if comparable
            else None
        ),
    )


def _figures(revenue: np.ndarray, retained: np.ndarray) -> GroupFigures:
    customers = len(revenue)
    total = float(revenue.sum())
    kept = int(retained.sum())
    return GroupFigures(
        customers=customers,
        revenue=Decimal(f"{total:.2f}"),
        revenue_per_customer=total / customers if customers else 0.0,
        retained=kept,
        retention_rate=kept / customers if customers else 0.0,
    )
