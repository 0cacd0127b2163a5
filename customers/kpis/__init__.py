"""The KPI formulas of the staff workspace: pure arithmetic, no Django.

Counts and sums come in (computed by set-based SQL elsewhere); figures come out. A figure
that is undefined (an empty period, a zero denominator) is ``None``, never NaN and never a
``ZeroDivisionError``, so a page shows "—" and an API answers ``null``. Every rate is a
percentage (0 to 100), as the pages show it.

- :mod:`customers.kpis.formulas`: retention, churn, repeat-purchase rate, CAC, CLV:CAC and
  payback months.
- :mod:`customers.kpis.cohorts`: monthly acquisition cohorts' retention matrix and their
  cumulative revenue per customer (numpy).
- :mod:`customers.kpis.periods`: calendar months, and the share of a month's figure that
  falls in a period (how a month's spend counts in a period that cuts it).
"""

from customers.kpis.cohorts import cohort_cumulative_revenue, cohort_retention
from customers.kpis.formulas import (
    churn_rate,
    clv_to_cac_ratio,
    customer_acquisition_cost,
    customer_retention_rate,
    payback_months,
    repeat_purchase_rate,
)
from customers.kpis.periods import (
    month_end,
    month_share,
    month_start,
    months_after,
    months_in,
    prorated,
)

__all__ = [
    "churn_rate",
    "clv_to_cac_ratio",
    "cohort_cumulative_revenue",
    "cohort_retention",
    "customer_acquisition_cost",
    "customer_retention_rate",
    "month_end",
    "month_share",
    "month_start",
    "months_after",
    "months_in",
    "payback_months",
    "prorated",
    "repeat_purchase_rate",
]
