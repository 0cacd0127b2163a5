"""Every exposure of a campaign with what it brought in: one SQL statement per campaign.

An exposure is an assignment (variant or holdout) at its ``assigned_at``. Its window is
``(assigned_at, assigned_at + attribution window]``, cut short at the same customer's next
assignment in the campaign (recurring broadcasts, re-entry), so one order is attributed to
one exposure at most: the latest before it. The statement returns each exposure with
whether its window has closed, the customer's spend in the 90 days up to the assignment
(the CUPED covariate), and every completed order in its window with its revenue net of
refunds known now and its day since the assignment. numpy turns the orders into each
exposure's conversion and revenue and each arm's curves by day. Orders placed after
``now`` are left out, so a computation "as of" a moment is reproducible.

Each exposure is one range of the ``(customer, placed_at)`` order index, which carries the
status and amounts, so the order table itself is not read.
"""

import math
from dataclasses import dataclass, field
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
    # Per exposure: whether it converted, and whether its window had closed at ``now``.
    converted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    closed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # Per day of the window: [share converted so far, revenue per exposure so far]; the
    # results page's curves. Day d holds what happened up to (d + 1) × 24 hours after the
    # assignment; an order exactly at the window's end counts on its last day.
    by_day: list[list[float]] = field(default_factory=list)

    def closed_only(self) -> "ArmExposures":
        """The exposures whose window had closed: what an automatic winner may judge."""
        closed = self.closed
        return ArmExposures(
            assigned=int(closed.sum()),
            conversions=int(self.converted[closed].sum()),
            revenue=_cents(self.revenue_per_exposure[closed]),
            revenue_per_exposure=self.revenue_per_exposure[closed],
            prior_spend=self.prior_spend[closed],
            converted=self.converted[closed],
            closed=closed[closed],
        )  # no curves: the automatic winner compares totals


def _shifted(vendor: str, column: str, parameter: str, sign: str) -> str:
    """SQL for ``column ± %(parameter)s`` (a timedelta on PostgreSQL, microseconds on
    SQLite, where Django's own ``django_format_dtdelta`` keeps the stored format)."""
    if vendor == "postgresql":
        return f"({column} {sign} %({parameter})s)"
    return f"django_format_dtdelta('{sign}', {column}, %({parameter})s)"


def _parameter(vendor: str, delta: timedelta) -> timedelta | int:
    return delta if vendor == "postgresql" else delta // timedelta(microseconds=1)


NOBODY = ArmExposures(
    assigned=0,
    conversions=0,
    revenue=Decimal("0.00"),
    revenue_per_exposure=np.zeros(0),
    prior_spend=np.zeros(0),
)

# The campaign's exposures, each with the next assignment of the same customer (its window
# ends there at the latest).
EXPOSURES = """
    WITH e AS (
        SELECT id, customer_id, variant_id, assigned_at,
               LEAD(assigned_at) OVER (
                   PARTITION BY customer_id ORDER BY assigned_at, id
               ) AS next_at
        FROM campaigns_assignment
        WHERE campaign_id = %(campaign)s
    )"""


def window_params(*, campaign_id: int, attribution_days: int, now: datetime) -> dict[str, Any]:
    """The parameters of the exposures' statement."""
    vendor = connection.vendor
    return {
        "campaign": campaign_id,
        "window": _parameter(vendor, timedelta(days=attribution_days)),
        "prior": _parameter(vendor, timedelta(days=PRIOR_SPEND_DAYS)),
        "now": connection.ops.adapt_datetimefield_value(now),
    }


def _day_sql(vendor: str) -> str:
    """Whole days from the assignment to the order (0: within the first 24 hours)."""
    if vendor == "postgresql":
        return "CAST(FLOOR(EXTRACT(EPOCH FROM (o.placed_at - e.assigned_at)) / 86400) AS INTEGER)"
    return "CAST(julianday(o.placed_at) - julianday(e.assigned_at) AS INTEGER)"


def _statement(vendor: str) -> str:
    """Per exposure: its arm, whether its window had closed, and ``prior|orders``: the
    customer's spend in the 90 days before it, then its window's orders as
    ``day:net,day:net`` (empty: none). One range of the customer's order index covers both,
    from 90 days before the assignment to the window's end (the index carries the status
    and amounts, so the table is not read); a join instead would let the planner scan every
    order."""
    window_end = _shifted(vendor, "e.assigned_at", "window", "+")
    prior_start = _shifted(vendor, "e.assigned_at", "prior", "-")
    joined = "string_agg" if vendor == "postgresql" else "group_concat"
    net = "(o.total - o.refunded_amount)"
    in_window = """o.placed_at > e.assigned_at AND (e.next_at IS NULL OR o.placed_at <= e.next_at)
        AND o.placed_at <= %(now)s"""
    return f"""{EXPOSURES}
        SELECT e.id, e.variant_id,
               CASE WHEN {window_end} <= %(now)s THEN 1 ELSE 0 END AS closed,
               (SELECT COALESCE(CAST(SUM({net}) FILTER (WHERE o.placed_at <= e.assigned_at)
                                     AS TEXT), '0')
                       || '|'
                       || COALESCE({joined}(CAST({_day_sql(vendor)} AS TEXT) || ':'
                                            || CAST({net} AS TEXT), ',')
                                   FILTER (WHERE {in_window}), '')
                FROM customers_order o
                WHERE o.customer_id = e.customer_id AND o.status = 'completed'
                  AND o.placed_at > {prior_start} AND o.placed_at <= {window_end}) AS spent
        FROM e
        ORDER BY e.id"""


def campaign_exposures(
    *, campaign_id: int, attribution_days: int, now: datetime
) -> dict[int | None, ArmExposures]:
    """Each arm's exposures (key: the variant's id, ``None`` for the holdout), in one
    statement. Arms nobody was assigned to are absent.
    """
    vendor = connection.vendor
    params = window_params(campaign_id=campaign_id, attribution_days=attribution_days, now=now)
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            # One statement of 100,000 cheap index probes: compiling it (JIT) costs more
            # than it saves.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(_statement(vendor), params)
        exposures = cursor.fetchall()
    return _by_arm(exposures, attribution_days)


def _by_arm(exposures: list[tuple[Any, ...]], days: int) -> dict[int | None, ArmExposures]:
    """Group the exposures by arm (``-1``: the holdout, while in numpy), each with the
    revenue and the conversion its orders brought, and the arm's curves by day."""
    ids = np.array([row[0] for row in exposures], dtype=np.int64)
    arms = np.array([HOLDOUT if row[1] is None else row[1] for row in exposures], dtype=np.int64)
    closed = np.array([bool(row[2]) for row in exposures], dtype=bool)
    spent = [str(row[3]).partition("|") for row in exposures]
    prior_spend = np.array([float(prior) for prior, _, _ in spent], dtype=np.float64)
    # The window's orders, one entry each: its exposure's position, its day and its net.
    orders = [
        (position, item.partition(":"))
        for position, (_, _, window) in enumerate(spent)
        if window
        for item in window.split(",")
    ]
    at = np.array([position for position, _ in orders], dtype=np.int64)
    day = np.clip(np.array([int(d) for _, (d, _, _) in orders], dtype=np.int64), 0, days - 1)
    net = np.array([float(n) for _, (_, _, n) in orders], dtype=np.float64)
    revenue = np.bincount(at, weights=net, minlength=len(ids))
    converted = np.bincount(at, minlength=len(ids)) > 0
    grouped: dict[int | None, ArmExposures] = {}
    for arm in np.unique(arms).tolist():
        mine = arms == arm
        of_arm = mine[at]
        grouped[None if arm == HOLDOUT else arm] = ArmExposures(
            assigned=int(mine.sum()),
            conversions=int(converted[mine].sum()),
            revenue=_cents(revenue[mine]),
            revenue_per_exposure=revenue[mine],
            prior_spend=prior_spend[mine],
            converted=converted[mine],
            closed=closed[mine],
            by_day=_curve(at[of_arm], day[of_arm], net[of_arm], int(mine.sum()), days),
        )
    return grouped


def _curve(
    exposures: np.ndarray, days: np.ndarray, revenue: np.ndarray, size: int, length: int
) -> list[list[float]]:
    """Per day of the window: [share converted so far, revenue per exposure so far]."""
    # Each exposure converts on the day of its first order: sort by exposure, then day.
    order = np.lexsort((days, exposures))
    _, first = np.unique(exposures[order], return_index=True)
    converted = np.bincount(days[order][first], minlength=length).cumsum() / size
    earned = np.bincount(days, weights=revenue, minlength=length).cumsum() / size
    return [
        [round(float(rate), 6), round(float(money), 4)]
        for rate, money in zip(converted, earned, strict=True)
    ]


def _cents(values: np.ndarray) -> Decimal:
    """The exact sum of cent amounts read as floats. ``fsum`` adds the floats without
    rounding error and each float is within a relative 1.2e-16 of its amount, so the sum is
    off by less than half a cent for any total under 40 trillion: rounded to the cent, it is
    the decimal sum."""
    return Decimal(math.fsum(values.tolist())).quantize(CENT)
