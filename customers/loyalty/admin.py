"""The Django admin of the loyalty programme: tiers and settings are edited here.

The statuses, the tier history, the ledger and the balances are read-only: they change
only through the nightly run and the staff form on the customer page, which keep the
ledger and the balances in step.
"""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from clvcrm.core.admin_tools import ReadOnlyLargeTableAdmin
from customers.models import (
    LoyaltySettings,
    LoyaltyStatus,
    LoyaltyTier,
    LoyaltyTierChange,
    PointsBalance,
    PointsEntry,
)


@admin.register(LoyaltyTier)
class LoyaltyTierAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "rank",
        "min_spend",
        "min_orders",
        "qualify_on",
        "points_multiplier",
        "discount_percent",
        "free_shipping",
        "early_access",
        "birthday_gift",
    ]
    ordering = ["rank"]
    fieldsets = [
        (None, {"fields": ["name", "rank", "description"]}),
        (
            "Qualification (completed orders of the trailing 12 months)",
            {"fields": ["min_spend", "min_orders", "qualify_on"]},
        ),
        (
            "Benefits",
            {
                "fields": [
                    "points_multiplier",
                    "discount_percent",
                    "free_shipping",
                    "early_access",
                    "birthday_gift",
                ]
            },
        ),
    ]


@admin.register(LoyaltySettings)
class LoyaltySettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "points_per_currency_unit",
        "points_expiry_months",
        "downgrade_policy",
        "review_months",
        "grace_days",
        "warning_days",
    ]
    readonly_fields = ["points_expired_through", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not LoyaltySettings.objects.exists()  # one row

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        LoyaltySettings.load()  # the row exists before anyone looks for it
        return super().changelist_view(request, extra_context)


@admin.register(LoyaltyStatus)
class LoyaltyStatusAdmin(ReadOnlyLargeTableAdmin):
    list_display = [
        "customer",
        "tier",
        "tier_since",
        "review_on",
        "downgrade_on",
        "downgrade_flagged_on",
    ]
    list_select_related = ["customer", "tier"]
    list_filter = ["tier"]
    search_fields = ["=customer__external_id", "customer__email"]
    raw_id_fields = ["customer"]
    ordering = ["-customer"]


@admin.register(LoyaltyTierChange)
class LoyaltyTierChangeAdmin(ReadOnlyLargeTableAdmin):
    list_display = [
        "customer",
        "from_tier",
        "to_tier",
        "reason",
        "effective_on",
        "spend_12m",
        "orders_12m",
    ]
    list_select_related = ["customer", "from_tier", "to_tier"]
    list_filter = ["reason", "to_tier"]
    search_fields = ["=customer__external_id"]
    raw_id_fields = ["customer"]
    ordering = ["-effective_on", "-id"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["customer", "kind", "points", "order", "reason", "staff", "created_at"]
    list_select_related = ["customer", "order", "staff"]
    list_filter = ["kind"]
    search_fields = ["=customer__external_id", "=order__external_id"]
    raw_id_fields = ["customer", "order", "expired_entry"]
    ordering = ["-id"]


@admin.register(PointsBalance)
class PointsBalanceAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["customer", "balance", "updated_at"]
    list_select_related = ["customer"]
    search_fields = ["=customer__external_id"]
    raw_id_fields = ["customer"]
    ordering = ["-balance"]
