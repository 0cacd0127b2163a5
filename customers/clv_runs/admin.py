"""The admin of CLV runs, their parts, the scores they wrote and the back-tests (read-only)."""

from django.contrib import admin
from django.http import HttpRequest

from clvcrm.core.admin_tools import LargeTableAdmin, ReadOnlyLargeTableAdmin
from customers.clv_runs.selectors import SCORE_EXPORT_COLUMNS
from customers.models import ClvBacktest, ClvRun, ClvRunPart, CustomerScore, PredictedClvCut


@admin.register(ClvRun)
class ClvRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "as_of",
        "status",
        "model",
        "customers",
        "repeat_customers",
        "r",
        "alpha",
        "a",
        "b",
        "log_likelihood",
        "triggered_by",
        "finished_at",
    ]
    list_filter = ["status", "model", "triggered_by"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ClvRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are started by the command or the schedule, never typed in


@admin.register(ClvRunPart)
class ClvRunPartAdmin(admin.ModelAdmin):
    """The customer-id ranges of fanned-out runs: written by the tasks, read here."""

    list_display = [
        "run",
        "number",
        "first_customer_id",
        "end_customer_id",
        "customers",
        "finished_at",
    ]
    list_filter = [("finished_at", admin.EmptyFieldListFilter)]
    raw_id_fields = ["run"]
    readonly_fields = [f.name for f in ClvRunPart._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CustomerScore)
class CustomerScoreAdmin(LargeTableAdmin):
    # The columns of the score export, linked to the customer.
    list_display = ["customer", *SCORE_EXPORT_COLUMNS[1:-1]]
    list_select_related = ["customer"]
    search_fields = ["=customer__external_id", "customer__email"]
    list_filter = ["rfm_recency", "rfm_frequency", "rfm_monetary"]
    raw_id_fields = ["customer", "run"]
    ordering = ["-predicted_clv"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ClvBacktest)
class ClvBacktestAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "calibration_end",
        "holdout_end",
        "model",
        "customers",
        "predicted_total",
        "actual_total",
        "mean_absolute_error",
        "correlation",
        "created_at",
    ]
    list_filter = ["model"]
    readonly_fields = [f.name for f in ClvBacktest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # back-tests come from ``manage.py backtest_clv``


@admin.register(PredictedClvCut)
class PredictedClvCutAdmin(ReadOnlyLargeTableAdmin):
    """The predicted-CLV cut-offs of a run's top shares (the value bands), stored as asked."""

    list_display = ["run", "top_percent", "value", "customers"]
    raw_id_fields = ["run"]
    ordering = ["-run_id", "top_percent"]
