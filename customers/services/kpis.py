"""Service of the dashboard's aggregates: their refresh (after CLV runs and orders)."""

import time
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.clv_runs.selectors import clv_run_latest_succeeded
from customers.kpi_aggregates.events import events
from customers.kpi_aggregates.run_summary import run_summary_write
from customers.kpi_aggregates.tables import aggregates_from_events, aggregates_replace
from customers.models import KpiRefresh

__all__ = ["kpi_aggregates_refresh"]


def kpi_aggregates_refresh(*, as_of: date | None = None, trigger: str = "") -> KpiRefresh:
    """Recompute the dashboard's aggregates as of the end of ``as_of`` (default: today in
    the shop's time zone) and swap them in, all in one transaction.

    One statement reads the orders and customers (``customers.kpi_aggregates.events``);
    the month, lapse and cohort tables are replaced whole; the latest successful CLV run
    gets its summary (active customers, average and total CLV, histogram) when it has none
    yet. Safe to run twice: the second run writes the same figures again. Returns the
    refresh's record (its ``computed_at`` is what the dashboard shows).
    """
    day = as_of or timezone.localdate()
    window = settings.KPI_CUSTOMER_WINDOW_MONTHS
    started = time.perf_counter()
    with transaction.atomic(durable=True):
        run = clv_run_latest_succeeded()
        valued_by = run.as_of if run is not None else None
        rows = events(as_of=day, window_months=window, valued_by=valued_by)
        aggregates_replace(aggregates_from_events(rows, as_of=day))
        if run is not None and not hasattr(run, "kpi_summary"):
            run_summary_write(run)
        return KpiRefresh.objects.create(
            as_of=day,
            window_months=window,
            seconds=round(time.perf_counter() - started, 3),
            trigger=trigger[:50],
        )
