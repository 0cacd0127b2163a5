"""The Django admin for the customers app, tuned for large tables.

Changelists of customers, orders and lines use a capped count and no full-table facets;
foreign keys are raw ids or autocompletes so no page loads a million options.
"""

from django.contrib import admin

from clvcrm.core.admin_tools import LargeTableAdmin
from customers.loyalty import admin as loyalty_admin  # noqa: F401  (registers its models)
from customers.models import (
    AcquisitionChannel,
    ClvBacktest,
    ClvRun,
    ClvRunPart,
    Customer,
    CustomerScore,
    ImportRejection,
    Order,
    OrderImport,
    OrderLine,
    Product,
)
from customers.segments import admin as segmentation_admin  # noqa: F401  (registers)
from customers.selectors import SCORE_EXPORT_COLUMNS


@admin.register(AcquisitionChannel)
class AcquisitionChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Customer)
class CustomerAdmin(LargeTableAdmin):
    list_display = [
        "external_id",
        "email",
        "first_name",
        "last_name",
        "country",
        "acquisition_channel",
        "acquired_on",
        "marketing_consent",
    ]
    list_select_related = ["acquisition_channel"]
    search_fields = ["=external_id", "email", "last_name", "first_name"]
    list_filter = ["marketing_consent", "acquisition_channel", "country", "acquired_on"]
    autocomplete_fields = ["acquisition_channel"]
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["-id"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Order)
class OrderAdmin(LargeTableAdmin):
    list_display = [
        "external_id",
        "customer",
        "placed_at",
        "status",
        "total",
        "refunded_amount",
        "currency",
    ]
    list_select_related = ["customer"]
    search_fields = ["=external_id", "=customer__external_id"]
    list_filter = ["status", "placed_at"]
    raw_id_fields = ["customer"]
    inlines = [OrderLineInline]
    ordering = ["-id"]


@admin.register(OrderLine)
class OrderLineAdmin(LargeTableAdmin):
    list_display = ["order", "line_number", "product", "quantity", "unit_price", "amount"]
    list_select_related = ["order", "product"]
    search_fields = ["=order__external_id", "=product__sku"]
    raw_id_fields = ["order", "product"]
    ordering = ["-id"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category"]
    search_fields = ["sku", "name", "category"]
    list_filter = ["category"]


@admin.register(OrderImport)
class OrderImportAdmin(admin.ModelAdmin):
    list_display = [
        "file_name",
        "status",
        "dry_run",
        "created_by",
        "created_at",
        "rows_total",
        "rows_rejected",
        "orders_created",
        "orders_unchanged",
    ]
    list_filter = ["status", "dry_run"]
    search_fields = ["file_name"]
    readonly_fields = [f.name for f in OrderImport._meta.fields]


@admin.register(ImportRejection)
class ImportRejectionAdmin(LargeTableAdmin):
    list_display = ["order_import", "row", "order_id", "column", "value", "reason"]
    list_filter = ["column"]
    search_fields = ["=order_id"]
    raw_id_fields = ["order_import"]


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

    def has_add_permission(self, request) -> bool:
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

    def has_add_permission(self, request) -> bool:
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

    def has_add_permission(self, request) -> bool:
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

    def has_add_permission(self, request) -> bool:
        return False  # back-tests come from ``manage.py backtest_clv``
