"""The dashboard's figures for a period of whole months: the one read the page and
``GET /api/v1/kpis/`` share.

Every figure comes from the aggregate tables (``customers.models.kpis``), the latest CLV
run's stored summary, the CAC selector and the NPS responses of the period: a fixed number
of indexed reads whatever the shop's size, never a scan of orders or customers.

Definitions (the page writes them out):

- **a customer at a date**: acquired on or before it, with a completed order in its month or
  the ``window_months - 1`` months before (``KPI_CUSTOMER_WINDOW_MONTHS``);
- **customers at the start / end**: at the last day before the period / its last day (the
  aggregates' as-of month when the period runs past it);
- **lost**: customers at the start whose window ran out during the period and who had not
  ordered again by its end;
- **CRR** = (E − N) / S × 100, N the customers whose first completed order fell in the
  period (a sign-up who never ordered is acquired but is no customer yet);
  **churn** = lost / S × 100;
- **repeat-purchase rate**: customers with two or more completed orders by the period's end
  ÷ customers with at least one.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from customers.kpis import (
    churn_rate,
    customer_retention_rate,
    month_end,
    month_start,
    repeat_purchase_rate,
)
from customers.marketing.selectors import AcquisitionCosts, acquisition_costs_of_months
from customers.models import ClvRun, KpiLapse, KpiMonth, KpiRefresh, KpiRunSummary
from feedback.analytics import Period, Row, overall

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MonthPeriod:
    """Whole months: ``start`` the first day of the first, ``end`` the last of the last."""

    start: date
    end: date

    @classmethod
    def of_months(cls, first: date, last: date) -> "MonthPeriod":
        return cls(month_start(first), month_end(last))

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1


@dataclass(frozen=True)
class Activity:
    """The period's counts from the monthly aggregates (the shop: every channel)."""

    customers_at_start: int
    customers_at_end: int
    new_customers: int
    lost: int
    orders: int
    revenue: Decimal
    first_time_buyers: int
    buyers: int
    repeat_buyers: int
    end_month: date  # the month whose end "customers at the end" counts


@dataclass(frozen=True)
class DashboardFigures:
    """Everything the dashboard and the API show for a period."""

    period: MonthPeriod
    refresh: KpiRefresh | None
    activity: Activity
    retention_rate: float | None
    churn_rate: float | None
    repeat_purchase_rate: float | None
    run: ClvRun | None
    summary: KpiRunSummary | None
    costs: AcquisitionCosts
    nps: Row


def dashboard_figures(period: MonthPeriod) -> DashboardFigures:
    """The figures of ``period``: ten queries (refresh, months, lapses, run with its
    summary, the CAC table's four, the NPS's two)."""
    refresh = KpiRefresh.objects.order_by("-computed_at", "-id").first()
    activity = _activity(period, refresh)
    run = (
        ClvRun.objects.filter(status=ClvRun.Status.SUCCEEDED)
        .select_related("kpi_summary")
        .order_by("-finished_at")
        .first()
    )
    start, end = activity.customers_at_start, activity.customers_at_end
    return DashboardFigures(
        period=period,
        refresh=refresh,
        activity=activity,
        retention_rate=customer_retention_rate(
            customers_at_start=start,
            customers_at_end=end,
            new_customers=activity.first_time_buyers,
        ),
        churn_rate=churn_rate(lost=activity.lost, customers_at_start=start),
        repeat_purchase_rate=repeat_purchase_rate(
            repeat_customers=activity.repeat_buyers, customers=activity.buyers
        ),
        run=run,
        summary=getattr(run, "kpi_summary", None) if run is not None else None,
        costs=acquisition_costs_of_months(period.start, period.end),
        nps=overall(survey_id=None, period=Period(period.start, period.end)),
    )


def _activity(period: MonthPeriod, refresh: KpiRefresh | None) -> Activity:
    """Two queries: the month rows' sums and the lost customers."""
    first = month_start(period.start)
    before = month_start(first - timedelta(days=1))
    last = month_start(period.end)
    if refresh is not None and month_start(refresh.as_of) < last:
        last = max(month_start(refresh.as_of), before)
    within = Q(month__gte=first, month__lte=month_start(period.end))
    at_end = Q(month=last)
    sums = KpiMonth.objects.filter(month__gte=before, month__lte=month_start(period.end)).aggregate(
        start=Coalesce(Sum("customers_at_end", filter=Q(month=before)), 0),
        end=Coalesce(Sum("customers_at_end", filter=at_end), 0),
        new=Coalesce(Sum("new_customers", filter=within), 0),
        orders=Coalesce(Sum("orders", filter=within), 0),
        revenue=Sum("revenue", filter=within),
        buyers_before=Coalesce(Sum("buyers_to_date", filter=Q(month=before)), 0),
        buyers=Coalesce(Sum("buyers_to_date", filter=at_end), 0),
        repeat_buyers=Coalesce(Sum("repeat_buyers_to_date", filter=at_end), 0),
    )
    lost = KpiLapse.objects.filter(
        Q(returned__isnull=True) | Q(returned__gt=last),
        month__gte=first,
        month__lte=last,
        since__lte=before,
    ).aggregate(lost=Coalesce(Sum("customers"), 0))["lost"]
    return Activity(
        customers_at_start=sums["start"],
        customers_at_end=sums["end"],
        new_customers=sums["new"],
        lost=lost,
        orders=sums["orders"],
        # SQLite sums decimals without their places: always in cents.
        revenue=Decimal(sums["revenue"] or ZERO).quantize(ZERO),
        first_time_buyers=sums["buyers"] - sums["buyers_before"],
        buyers=sums["buyers"],
        repeat_buyers=sums["repeat_buyers"],
        end_month=last,
    )
