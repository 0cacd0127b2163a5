"""The dashboard's aggregates in the admin: read-only (the pipeline writes them whole)."""

from django.contrib import admin

from clvcrm.core.admin_tools import ReadOnlyLargeTableAdmin
from customers.models import KpiCohort, KpiLapse, KpiMonth, KpiRefresh, KpiRunSummary


@admin.register(KpiRefresh)
class KpiRefreshAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["computed_at", "as_of", "window_months", "seconds", "trigger"]
    date_hierarchy = "computed_at"


@admin.register(KpiMonth)
class KpiMonthAdmin(ReadOnlyLargeTableAdmin):
    list_display = [
        "month",
        "channel",
        "new_customers",
        "ordering_customers",
        "orders",
        "revenue",
        "customers_at_end",
        "lost",
    ]
    list_select_related = ["channel"]
    date_hierarchy = "month"


@admin.register(KpiLapse)
class KpiLapseAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["month", "since", "returned", "channel", "customers"]
    list_select_related = ["channel"]


@admin.register(KpiCohort)
class KpiCohortAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["cohort", "months_since", "size", "ordering_customers", "revenue"]


@admin.register(KpiRunSummary)
class KpiRunSummaryAdmin(ReadOnlyLargeTableAdmin):
    list_display = [
        "run",
        "scored_customers",
        "active_customers",
        "average_historical_clv",
        "average_predicted_clv",
    ]
    list_select_related = ["run"]
