"""The dashboard's aggregates: monthly activity, lapses, acquisition cohorts and each CLV
run's summary, written whole by :func:`customers.services.kpis.kpi_aggregates_refresh`.

Pages and the API read these small tables (a few thousand rows for a decade of history),
never the orders or the customers. Months are stored by their first day. A month's figures
are kept per acquisition channel (``channel`` empty: customers without one); the shop's
figure is the sum over channels, since every customer has one channel at most.

"A customer at the end of a month" (the active base): acquired on or before that day, with
a completed order in that month or the ``window_months - 1`` months before it.
"""

from django.db import models
from django.utils import timezone

from customers.models.clv import ClvRun
from customers.models.shop import AcquisitionChannel


class KpiRefresh(models.Model):
    """One refresh of the aggregates: as of which day, with which window, when and how long.

    The latest row says when the figures on the dashboard were computed.
    """

    as_of = models.DateField(help_text="Orders placed after this day are left out.")
    window_months = models.PositiveSmallIntegerField(
        help_text="A customer at a month's end ordered in that month or the ones before it."
    )
    computed_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0.0)
    trigger = models.CharField(max_length=50, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["-computed_at", "-id"], name="kpirefresh_latest_idx")]

    def __str__(self) -> str:
        return f"KPI aggregates as of {self.as_of} ({self.computed_at:%Y-%m-%d %H:%M})"


class KpiMonth(models.Model):
    """One calendar month of one acquisition channel (empty: no channel).

    Activity counts completed orders only, revenue net of refunds. ``*_to_date`` and
    ``customers_at_end`` are counts at the month's last day; the rest happen in the month.
    """

    month = models.DateField(help_text="The month's first day.")
    channel = models.ForeignKey(
        AcquisitionChannel, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    new_customers = models.PositiveIntegerField(help_text="Acquired in the month.")
    ordering_customers = models.PositiveIntegerField(help_text="With an order in the month.")
    repeat_customers = models.PositiveIntegerField(
        help_text="Of those, customers with two or more orders by the month's end."
    )
    orders = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=18, decimal_places=2)
    buyers_to_date = models.PositiveIntegerField(
        help_text="Customers with at least one order by the month's end."
    )
    repeat_buyers_to_date = models.PositiveIntegerField(
        help_text="Customers with two or more orders by the month's end."
    )
    customers_at_end = models.PositiveIntegerField(help_text="The active base at its end.")
    lost = models.PositiveIntegerField(
        help_text="Customers at the previous month's end who are no longer at this one's."
    )
    # The customers acquired in the month as the latest CLV run values them (CAC's CLV:CAC
    # and payback read these, not a million scores): valued are those the run knew.
    valued_customers = models.PositiveIntegerField(default=0)
    value_total = models.DecimalField(
        max_digits=18, decimal_places=2, default=0, help_text="Historical + predicted CLV."
    )
    predicted_total = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "channel"], name="kpimonth_once", nulls_distinct=False
            ),
            models.CheckConstraint(condition=models.Q(month__day=1), name="kpimonth_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} channel {self.channel_id}"


class KpiLapse(models.Model):
    """Customers whose window ran out in ``month`` (no longer customers at its end), by the
    month their lapsed spell began and the month they ordered again (empty: not yet).

    A period's lost customers are the lapses within it of spells begun before it, of
    customers who had not come back by its end.
    """

    month = models.DateField(help_text="The month at whose end they were no longer customers.")
    since = models.DateField(help_text="The first month of the spell that lapsed.")
    returned = models.DateField(null=True, blank=True, help_text="Their next order's month.")
    channel = models.ForeignKey(
        AcquisitionChannel, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    customers = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["month", "since"], name="kpilapse_month_idx")]

    def __str__(self) -> str:
        return f"{self.customers} lapsed {self.month:%Y-%m}"


class KpiCohort(models.Model):
    """Month ``months_since`` of the customers acquired in ``cohort``: how many of them
    ordered in it and their revenue; ``size`` is the cohort's (repeated on each row, so a
    heatmap is one read)."""

    cohort = models.DateField(help_text="The acquisition month's first day.")
    months_since = models.PositiveSmallIntegerField(help_text="0: the acquisition month.")
    size = models.PositiveIntegerField()
    ordering_customers = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "months_since"], name="kpicohort_once")
        ]

    def __str__(self) -> str:
        return f"cohort {self.cohort:%Y-%m} +{self.months_since}"


class KpiRunSummary(models.Model):
    """A successful CLV run's figures over its scores, read by the dashboard instead of
    the million score rows: active customers (P(alive) at least ``ACTIVE_P_ALIVE``), the
    averages and the total of predicted CLV, and the predicted-CLV histogram."""

    ACTIVE_P_ALIVE = 0.5

    run = models.OneToOneField(ClvRun, on_delete=models.CASCADE, related_name="kpi_summary")
    scored_customers = models.PositiveIntegerField()
    active_customers = models.PositiveIntegerField()
    average_historical_clv = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    average_predicted_clv = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    total_predicted_clv = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True
    )
    # {"edges": [...], "counts": [...], "overflow": n}, or empty without predictions.
    histogram = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"summary of CLV run {self.run_id}"
