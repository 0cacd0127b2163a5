"""The Django admin of marketing spend: for corrections and a look at who entered what; the
entry grid and the CSV import on the marketing pages are the everyday way in."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from clvcrm.core.decorators import staff_user
from customers.models import MarketingSpend


@admin.register(MarketingSpend)
class MarketingSpendAdmin(admin.ModelAdmin):
    list_display = ["month", "channel", "amount", "updated_at", "updated_by"]
    list_select_related = ["channel", "updated_by"]
    list_filter = ["channel"]
    date_hierarchy = "month"
    ordering = ["-month", "channel__name"]
    raw_id_fields = ["updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(
        self, request: HttpRequest, obj: MarketingSpend, form: Any, change: bool
    ) -> None:
        obj.updated_by = staff_user(request)
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
