"""One set-based SQL aggregate: every customer's purchase days as of a date.

A transaction in the BTYD sense is a purchase *day* in the shop's time zone (same-day
orders merge); only completed orders count. The query groups orders into customer-days,
numbers each customer's days, and returns one row per customer: number of purchase days,
first and last day (days since 1970-01-01), total value and the value of the first day
(to get the mean of the *repeat* days). Orders after the as-of date are ignored.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from numpy.typing import NDArray

from customers.models import Order

FETCH_ROWS = 50_000


@dataclass(frozen=True)
class PurchaseHistory:
    """Per-customer purchase summary, arrays of shape (n,) sorted by customer id."""

    customer_id: NDArray[np.int64]
    purchase_days: NDArray[np.int64]
    first_day: NDArray[np.int64]
    last_day: NDArray[np.int64]
    total_value: NDArray[np.float64]
    first_day_value: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.customer_id)


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` in the shop's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time()))


def purchase_history(
    as_of: date, *, since: date | None = None, id_range: tuple[int, int] | None = None
) -> PurchaseHistory:
    """Read every customer's purchase summary as of the end of ``as_of``, in one query.

    ``since`` ignores earlier orders (for holdout counts); ``id_range`` limits the
    customers to ``lo <= id < hi`` (one slice of a fanned-out run).
    """
    inner, params = customer_days_sql(as_of, since=since, id_range=id_range)
    day_number, real = sql_dialect()
    sql = f"""
        SELECT customer_id, COUNT(*), {day_number.format("MIN(day)")},
               {day_number.format("MAX(day)")}, {real.format("SUM(value)")},
               {real.format("SUM(CASE WHEN nth = 1 THEN value ELSE 0 END)")}
        FROM (
            SELECT d.customer_id, d.day, d.value,
                   ROW_NUMBER() OVER (PARTITION BY d.customer_id ORDER BY d.day) AS nth
            FROM ({inner}) d
        ) numbered
        GROUP BY customer_id
        ORDER BY customer_id
    """
    return _fetch(sql, params)


def customer_days_sql(
    until: date, *, since: date | None = None, id_range: tuple[int, int] | None = None
) -> tuple[str, tuple]:
    """SQL of every customer-day with completed orders up to the end of ``until``.

    Rows are ``(customer_id, day, value)``: one per customer and purchase day in the shop's
    time zone, value summed. Compiled by Django for the database in use.
    """
    orders = Order.objects.filter(status=Order.Status.COMPLETED, placed_at__lt=end_of_day(until))
    if since is not None:
        orders = orders.filter(placed_at__gte=end_of_day(since - timedelta(days=1)))
    if id_range is not None:
        orders = orders.filter(customer_id__gte=id_range[0], customer_id__lt=id_range[1])
    days = (
        orders.annotate(day=TruncDate("placed_at", tzinfo=timezone.get_current_timezone()))
        .values("customer_id", "day")
        .annotate(value=Sum("total"))
        .order_by()
    )
    return days.query.sql_with_params()


def sql_dialect() -> tuple[str, str]:
    """SQL templates turning a date into a day number and a number into a float."""
    if connection.vendor == "postgresql":
        return "({} - DATE '1970-01-01')", "CAST({} AS double precision)"
    # SQLite keeps dates as ISO text.
    return "CAST(julianday({}) - 2440587.5 AS INTEGER)", "CAST({} AS REAL)"


def _fetch(sql: str, params: tuple) -> PurchaseHistory:
    chunks: list[NDArray[np.float64]] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            chunks.append(np.array(rows, dtype=np.float64))
    table = np.concatenate(chunks) if chunks else np.empty((0, 6))
    as_int = table[:, :4].astype(np.int64)
    return PurchaseHistory(
        customer_id=as_int[:, 0],
        purchase_days=as_int[:, 1],
        first_day=as_int[:, 2],
        last_day=as_int[:, 3],
        total_value=np.round(table[:, 4], 2),
        first_day_value=np.round(table[:, 5], 2),
    )
