"""The one statement behind the monthly aggregates: customer-months, then event counts.

Months are numbered ``year * 12 + month - 1`` (comparable and subtractable on SQLite and
PostgreSQL alike). The orders are completed ones placed by the end of the as-of day, each
in its month in the shop's time zone, revenue net of refunds. Per customer and month with
orders (a "pair"), ``LEAD`` gives the customer's next month with orders and a running sum
their orders to date. With W the window in months, a pair keeps its customer in the
active base from ``max(its month, the acquisition month)`` to ``min(next month − 1, month
+ W − 1)``: +1 at the start, −1 the month after the end. The spans of one customer never
overlap, so the running sum of the events over months is the base at each month's end. A
pair whose window runs out before the next order (or with none) is a lapse at month
``month + W``.

Rows come back as ``(kind, month, channel_id, since, other, n1, n2, n3, n4, money)``:

=========  =====================================================================
kind       meaning of the columns
=========  =====================================================================
activity   n1 customers who ordered, n2 orders, n3 of them with ≥ 2 orders to date,
           n4 first orders (customers), ``other`` second orders (customers), money revenue
start      n1 customers entering the base in ``month``
stop       n1 customers leaving it in ``month`` (after the previous month's end)
lapse      n1 customers lapsing in ``month``; ``since`` the start of their last span,
           ``other`` their next order's month (NULL: none)
cohort     ``month`` the acquisition month, ``other`` months since, n1 customers who
           ordered, money their revenue
new        n1 customers acquired in ``month``
valued     of those, n1 valued by the latest CLV run (scored, or acquired by its as-of
           day: no completed order, worth 0), money their historical + predicted CLV
predicted  the same customers, money their predicted CLV
=========  =====================================================================
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from customers.models import Customer, CustomerScore, Order, net_revenue

Event = tuple[str, int, int | None, int | None, int | None, int, int, int, int, Any]


def month_number(day: date) -> int:
    """``day``'s month as ``year * 12 + month - 1``."""
    return day.year * 12 + day.month - 1


def month_of_number(number: int) -> date:
    """The first day of the month numbered ``number``."""
    return date(number // 12, number % 12 + 1, 1)


def events(*, as_of: date, window_months: int, valued_by: date | None = None) -> list[Event]:
    """Every event count of the shop as of the end of ``as_of`` (one statement);
    ``valued_by``: the as-of day of the CLV run whose scores value the customers (None: no
    run, nobody is valued)."""
    sql, params = _statement(as_of, window_months, valued_by)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def _statement(
    as_of: date, window_months: int, valued_by: date | None
) -> tuple[str, tuple[Any, ...]]:
    window = int(window_months)
    end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time()))
    customer_months = (
        Order.objects.filter(status=Order.Status.COMPLETED, placed_at__lt=end)
        .annotate(month=TruncMonth("placed_at", tzinfo=timezone.get_current_timezone()))
        .values("customer_id", "month")
        # COUNT(*), not of the id: the covering index holds every column read.
        .annotate(orders=Count("*"), revenue=Sum(net_revenue()))
        .order_by()
    )
    inner, inner_params = customer_months.query.sql_with_params()
    greatest, least = ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX", "MIN")
    customers = Customer._meta.db_table
    scores = CustomerScore._meta.db_table
    sql = f"""
    WITH valued AS (
      SELECT {_month_sql("v.acquired_on")} AS m, v.acquisition_channel_id AS channel_id,
             COUNT(*) AS customers,
             SUM(COALESCE(s.historical_clv, 0) + COALESCE(s.predicted_clv, 0)) AS value,
             SUM(COALESCE(s.predicted_clv, 0)) AS predicted
      FROM {customers} v LEFT JOIN {scores} s ON s.customer_id = v.id
      WHERE v.acquired_on <= %s
        AND (s.customer_id IS NOT NULL OR v.acquired_on <= %s)
      GROUP BY {_month_sql("v.acquired_on")}, v.acquisition_channel_id
    ),
    om AS (
      SELECT x.customer_id AS customer_id, {_month_sql("x.month")} AS m,
             x.orders AS orders, x.revenue AS revenue
      FROM ({inner}) x
    ),
    pairs AS (
      SELECT om.m AS m, om.orders AS orders, om.revenue AS revenue,
             LEAD(om.m) OVER w AS next_m,
             SUM(om.orders) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS to_date,
             c.acquisition_channel_id AS channel_id,
             {_month_sql("c.acquired_on")} AS acq_m
      FROM om JOIN {customers} c ON c.id = om.customer_id
      WINDOW w AS (PARTITION BY om.customer_id ORDER BY om.m)
    ),
    spans AS (
      SELECT channel_id, m, next_m, acq_m,
             {greatest}(m, acq_m) AS first_m,
             {least}(COALESCE(next_m - 1, m + {window} - 1), m + {window} - 1) AS last_m
      FROM pairs
    )
    SELECT 'activity', m, channel_id, CAST(NULL AS integer), SUM(CASE WHEN to_date >= 2
             AND to_date - orders < 2 THEN 1 ELSE 0 END),
           COUNT(*), SUM(orders), SUM(CASE WHEN to_date >= 2 THEN 1 ELSE 0 END),
           SUM(CASE WHEN to_date = orders THEN 1 ELSE 0 END), SUM(revenue)
      FROM pairs GROUP BY m, channel_id
    UNION ALL
    SELECT 'start', first_m, channel_id, NULL, NULL, COUNT(*), 0, 0, 0, 0
      FROM spans WHERE first_m <= last_m GROUP BY first_m, channel_id
    UNION ALL
    SELECT 'stop', last_m + 1, channel_id, NULL, NULL, COUNT(*), 0, 0, 0, 0
      FROM spans WHERE first_m <= last_m GROUP BY last_m + 1, channel_id
    UNION ALL
    SELECT 'lapse', m + {window}, channel_id, first_m, next_m, COUNT(*), 0, 0, 0, 0
      FROM spans WHERE first_m <= last_m AND (next_m IS NULL OR next_m > m + {window})
      GROUP BY m + {window}, channel_id, first_m, next_m
    UNION ALL
    SELECT 'cohort', acq_m, NULL, NULL, m - acq_m, COUNT(*), 0, 0, 0, SUM(revenue)
      FROM pairs WHERE m >= acq_m GROUP BY acq_m, m - acq_m
    UNION ALL
    SELECT 'new', {_month_sql("n.acquired_on")}, n.acquisition_channel_id, NULL, NULL,
           COUNT(*), 0, 0, 0, 0
      FROM {customers} n WHERE n.acquired_on <= %s
      GROUP BY {_month_sql("n.acquired_on")}, n.acquisition_channel_id
    UNION ALL
    SELECT 'valued', m, channel_id, NULL, NULL, customers, 0, 0, 0, value FROM valued
    UNION ALL
    SELECT 'predicted', m, channel_id, NULL, NULL, customers, 0, 0, 0, predicted FROM valued
    """
    # Without a run there are no scores, and a day before every acquisition values nobody.
    valued_day = valued_by or date(1, 1, 1)
    return sql, (as_of, valued_day, *inner_params, as_of)


def _month_sql(column: str) -> str:
    """SQL of ``column``'s (a date, or a month's start) month number."""
    if connection.vendor == "postgresql":
        year, month = (
            f"CAST(EXTRACT({part} FROM {column}) AS integer)" for part in ("YEAR", "MONTH")
        )
        return f"({year} * 12 + {month} - 1)"
    # SQLite keeps dates and datetimes as ISO text.
    year, month = (
        f"CAST(substr({column}, 1, 4) AS INTEGER)",
        f"CAST(substr({column}, 6, 2) AS INTEGER)",
    )
    return f"({year} * 12 + {month} - 1)"
