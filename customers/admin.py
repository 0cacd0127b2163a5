"""The Django admin for the customers app, tuned for large tables.

Changelists of customers, orders and lines use a capped count and no full-table facets;
foreign keys are raw ids or autocompletes so no page loads a million options.
"""

from django.contrib import admin

from clvcrm.core.admin_tools import LargeTableAdmin

# Each feature package's admin registers its own models when imported.
from customers.clv_runs import admin as clv_runs_admin  # noqa: F401
from customers.integrations import admin as integrations_admin  # noqa: F401
from customers.interactions import admin as interactions_admin  # noqa: F401
from customers.kpi_aggregates import admin as kpi_aggregates_admin  # noqa: F401
from customers.loyalty import admin as loyalty_admin  # noqa: F401
from customers.marketing import admin as marketing_admin  # noqa: F401
from customers.models import (
    AcquisitionChannel,
    Customer,
    Order,
    OrderLine,
    Product,
)
from customers.order_import import admin as order_import_admin  # noqa: F401
from customers.segments import admin as segments_admin  # noqa: F401


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
    # The NPS category is the latest answer's (the feedback app writes it).
    readonly_fields = ["nps_category", "nps_answered_at", "created_at", "updated_at"]
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
