"""Admin of segments: thresholds (one row), segments, the outbox (read-only), members.

Registered from ``customers/admin.py`` with one import, to keep that shared file small.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from clvcrm.core.admin_tools import CheckedNumbersAdmin, ReadOnlyLargeTableAdmin
from customers.models import (
    CustomerSegment,
    CustomSegmentMembership,
    Segment,
    SegmentReassignment,
    SegmentStatistic,
    SegmentThresholds,
    SegmentTransition,
)
from customers.segments.custom import custom_segment_store
from customers.segments.rules import RULE_FIELDS, rules_clean


@admin.register(SegmentThresholds)
class SegmentThresholdsAdmin(CheckedNumbersAdmin):
    list_display = [
        "__str__",
        "new_customer_days",
        "churn_p_alive",
        "at_risk_p_alive",
        "high_value_share",
        "hysteresis_margin",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SegmentThresholds.objects.exists()  # one row, made by the migration

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["code", "name", "description", "rules", "priority"]
        help_texts = {
            "rules": 'Custom segments: [{"field": "predicted_clv", "op": "gte", "value": "100"}]; '
            f"fields: {', '.join(RULE_FIELDS)}."
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean returns cleaned_data
        # Segments added here are custom (the default ones come with the migration).
        if not self.instance.is_default and "rules" in data:
            try:
                data["rules"] = rules_clean(data["rules"])
            except ValidationError as exc:
                self.add_error("rules", exc)
        return data


@admin.register(Segment)
class SegmentAdmin(CheckedNumbersAdmin):
    form = SegmentForm
    list_display = ["name", "code", "kind", "priority", "broken_since", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A default segment's code and kind are what the rules in code refer to.
        if obj is not None and obj.is_default:
            return ["code", "kind", "rules"]
        return ["kind", "broken_reason", "broken_since"]

    def save_model(self, request: HttpRequest, obj: Segment, form: Any, change: bool) -> None:
        if obj.is_default:
            super().save_model(request, obj, form, change)
            return
        # The same path as the staff form: clears a broken state, evaluates the members.
        custom_segment_store(segment=obj)
        if obj.is_broken:
            message = f"{obj.name} was saved, but its rules could not be evaluated: "
            self.message_user(request, message + obj.broken_reason, messages.ERROR)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CustomerSegment)
class CustomerSegmentAdmin(ReadOnlyLargeTableAdmin):
    raw_id_fields = ["customer"]
    list_display = ["customer", "segment", "reason", "run", "since"]
    list_select_related = ["customer", "segment"]
    list_filter = ["segment", "reason"]
    search_fields = ["=customer__external_id"]


@admin.register(SegmentTransition)
class SegmentTransitionAdmin(ReadOnlyLargeTableAdmin):
    raw_id_fields = ["customer"]
    list_display = [
        "id",
        "customer",
        "from_segment",
        "to_segment",
        "reason",
        "run",
        "created_at",
        "processed_at",
    ]
    list_select_related = ["customer", "from_segment", "to_segment"]
    list_filter = ["to_segment", "from_segment"]
    search_fields = ["=customer__external_id"]
    ordering = ["-id"]


@admin.register(SegmentReassignment)
class SegmentReassignmentAdmin(ReadOnlyLargeTableAdmin):
    list_display = [
        "run",
        "customers",
        "changed",
        "transitions",
        "median_value",
        "high_value_cut",
        "seconds",
        "finished_at",
    ]


@admin.register(SegmentStatistic)
class SegmentStatisticAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["run", "segment", "customers", "average_predicted_clv", "total_predicted_clv"]
    list_select_related = ["segment"]
    list_filter = ["segment"]


@admin.register(CustomSegmentMembership)
class CustomSegmentMembershipAdmin(ReadOnlyLargeTableAdmin):
    raw_id_fields = ["customer"]
    list_display = ["segment", "customer", "run"]
    list_select_related = ["segment", "customer"]
    list_filter = ["segment"]
    search_fields = ["=customer__external_id"]
