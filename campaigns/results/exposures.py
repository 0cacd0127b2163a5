"""Every exposure of a campaign with what it brought in: one SQL statement per campaign.

An exposure is an assignment (variant or holdout) at its ``assigned_at``. Its window is
``(assigned_at, assigned_at + attribution window]``, cut short at the same customer's next
assignment in the campaign (recurring broadcasts, re-entry), so one order is attributed to
one exposure at most: the latest before it. Per exposure the statement returns whether a
completed order fell in the window, those orders' revenue net of refunds known now, and the
customer's spend in the 90 days up to the assignment (the CUPED covariate). Orders placed
after ``now`` are left out, so a computation "as of" a moment is reproducible.

Each lookup is a range of the ``(customer, placed_at)`` order index, once per exposure.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction

# The CUPED covariate's period: the customer's spend in this many days before assignment.
PRIOR_SPEND_DAYS = 90
CENT = Decimal("0.01")
HOLDOUT = -1


@dataclass(frozen=True)
class ArmExposures:
    """One arm's exposures: counts, and per exposure (shape ``(assigned,)``, shop currency)
    the revenue in its window and the spend in the 90 days before it."""

    assigned: int
    conversions: int
    revenue: Decimal
    revenue_per_exposure: np.ndarray
    prior_spend: np.ndarray


def _shifted(vendor: str, column: str, parameter: str, sign: str) -> str:
    """SQL for ``column ± %(parameter)s`` (a timedelta on PostgreSQL, microseconds on
    SQLite, where Django's own ``django_format_dtdelta`` keeps the stored format)."""
    if vendor == "postgresql":
        return f"({column} {sign} %({parameter})s)"
    return f"django_format_dtdelta('{sign}', {column}, %({parameter})s)"


def _parameter(vendor: str, delta: timedelta) -> timedelta | int:
    return delta if vendor == "postgresql" else delta // timedelta(microseconds=1)


def _statement(vendor: str) -> str:
    window_end = _shifted(vendor, "e.assigned_at", "window", "+")
    prior_start = _shifted(vendor, "e.assigned_at", "prior", "-")
    in_window = f"""o.customer_id = e.customer_id AND o.status = 'completed'
        AND o.placed_at > e.assigned_at AND o.placed_at <= {window_end}
        AND (e.next_at IS NULL OR o.placed_at <= e.next_at) AND o.placed_at <= %(now)s"""
    return f"""
        WITH e AS (
            SELECT id, customer_id, variant_id, assigned_at,
                   LEAD(assigned_at) OVER (
                       PARTITION BY customer_id ORDER BY assigned_at, id
                   ) AS next_at
            FROM campaigns_assignment
            WHERE campaign_id = %(campaign)s
        )
        SELECT e.variant_id,
               EXISTS (SELECT 1 FROM customers_order o WHERE {in_window}) AS converted,
               CAST(COALESCE((SELECT SUM(o.total - o.refunded_amount)
                              FROM customers_order o WHERE {in_window}), 0)
                    AS DOUBLE PRECISION) AS revenue,
               CAST(COALESCE((SELECT SUM(o.total - o.refunded_amount)
                              FROM customers_order o
                              WHERE o.customer_id = e.customer_id AND o.status = 'completed'
                                AND o.placed_at > {prior_start}
                                AND o.placed_at <= e.assigned_at), 0)
                    AS DOUBLE PRECISION) AS prior_spend
        FROM e
        ORDER BY e.id"""


def campaign_exposures(
    *, campaign_id: int, attribution_days: int, now: datetime
) -> dict[int | None, ArmExposures]:
    """Each arm's exposures (key: the variant's id, ``None`` for the holdout), in one query.

    Arms nobody was assigned to are absent.
    """
    vendor = connection.vendor
    params: dict[str, Any] = {
        "campaign": campaign_id,
        "window": _parameter(vendor, timedelta(days=attribution_days)),
        "prior": _parameter(vendor, timedelta(days=PRIOR_SPEND_DAYS)),
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            # One statement of 100,000 cheap index probes: compiling it (JIT) costs more
            # than it saves.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(_statement(vendor), params)
        rows = cursor.fetchall()
    return _by_arm(rows)


def _by_arm(rows: list[tuple[Any, ...]]) -> dict[int | None, ArmExposures]:
    """Group the statement's rows by arm (``-1``: the holdout, while in numpy)."""
    arms = np.array([HOLDOUT if row[0] is None else row[0] for row in rows], dtype=np.int64)
    converted = np.array([bool(row[1]) for row in rows], dtype=bool)
    revenue = np.array([row[2] for row in rows], dtype=np.float64)
    prior_spend = np.array([row[3] for row in rows], dtype=np.float64)
    grouped: dict[int | None, ArmExposures] = {}
    for arm in np.unique(arms).tolist():
        mine = arms == arm
        grouped[None if arm == HOLDOUT else arm] = ArmExposures(
            assigned=int(mine.sum()),
            conversions=int(converted[mine].sum()),
            revenue=_cents(revenue[mine]),
            revenue_per_exposure=revenue[mine],
            prior_spend=prior_spend[mine],
        )
    return grouped


def _cents(values: np.ndarray) -> Decimal:
    """The exact sum of cent amounts read as floats. ``fsum`` adds the floats without
    rounding error and each float is within a relative 1.2e-16 of its amount, so the sum is
    off by less than half a cent for any total under 40 trillion: rounded to the cent, it is
    the decimal sum."""
    return Decimal(math.fsum(values.tolist())).quantize(CENT)
