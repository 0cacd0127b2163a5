"""The Django admin for campaigns: campaigns with their variants, and read-only lists of the
assignments, the outbox, the tracking events and the suppressed addresses.

The admin cannot call the services (it saves inside its own transaction, and the services'
transactions are durable), so its forms run the services' checks instead: the campaign's
(``campaign_check``) and each variant's templates (``variant_template_errors``); once a
campaign is activated, the fields that decide the arms are shown read-only, as the service
refuses to change them. The outbox holds millions of rows: capped counts, no full-table
count, related rows in the same query, raw ids.
"""

import copy
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms.models import construct_instance
from django.http import HttpRequest

from campaigns.content.validation import variant_template_errors
from campaigns.forms import CAMPAIGN_FIELDS
from campaigns.models import (
    ArmResult,
    Assignment,
    AudienceMember,
    Campaign,
    ClvEffect,
    Message,
    MessageEvent,
    MessageLink,
    ProductAffinity,
    ResultComputation,
    Suppression,
    TriggerCursor,
    Variant,
    WinnerDecision,
)
from campaigns.services.campaigns import (
    CONTENT_FIELDS,
    LIVE_EDITABLE,
    campaign_activate,
    campaign_check,
    campaign_finish,
    campaign_pause,
)
from clvcrm.core.admin_tools import CheckedNumbersAdmin, ReadOnlyLargeTableAdmin


class VariantForm(forms.ModelForm):
    class Meta:
        model = Variant
        fields = ["name", "weight", *CONTENT_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean returns cleaned_data
        if all(name in data for name in ("subject", "body_text")):
            errors = variant_template_errors(
                subject=data["subject"],
                body_text=data["body_text"],
                body_html=data.get("body_html", ""),
                # A saved variant's campaign: a survey's invitation names the survey's links.
                kind=self.instance.campaign.kind if self.instance.campaign_id else "",
            )
            for name, message in errors.items():
                self.add_error(name, message)
        return data


class VariantInline(admin.StackedInline):
    model = Variant
    form = VariantForm
    extra = 0
    min_num = 1
    readonly_fields = ["bucket_from", "bucket_to"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if _is_live(obj):  # the arms are fixed: only the content may change
            return ["name", "weight", "bucket_from", "bucket_to"]
        return list(self.readonly_fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _is_live(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _is_live(obj) and super().has_delete_permission(request, obj)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["kind", *CAMPAIGN_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean returns cleaned_data
        if self.errors:
            return data
        # The service's own check, on a copy with what was typed: the admin saves nothing
        # the service would refuse.
        candidate = construct_instance(self, copy.copy(self.instance))
        try:
            campaign_check(candidate)
        except ValidationError as exc:
            for name, errors in exc.update_error_dict({}).items():
                self.add_error(name if name in self.fields else None, errors)
        return data


@admin.register(Campaign)
class CampaignAdmin(CheckedNumbersAdmin):
    form = CampaignForm
    inlines = [VariantInline]
    list_display = ["name", "status", "trigger", "segment", "holdout_percent", "priority"]
    list_filter = ["status", "trigger", "kind"]
    list_select_related = ["segment"]
    search_fields = ["name"]
    raw_id_fields = ["segment", "tier"]
    actions = ["activate", "pause", "finish"]
    readonly_fields = [
        "status",
        "created_by",
        "created_at",
        "activated_at",
        "paused_at",
        "finished_at",
        "members_due_at",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = list(self.readonly_fields)
        if _is_live(obj):
            form_fields = [f.name for f in Campaign._meta.fields if f.editable]
            fixed += [name for name in form_fields if name not in LIVE_EDITABLE | {"id"}]
        return fixed

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        finished = obj is not None and obj.status == Campaign.Status.FINISHED
        return not finished and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a draft: an activated campaign's assignments are the results' exposure.
        draft = obj is None or obj.status == Campaign.Status.DRAFT
        return draft and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]  # a staff user
        super().save_model(request, obj, form, change)

    @admin.action(description="Activate or resume the selected campaigns")
    def activate(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        _each(request, queryset, lambda pk: campaign_activate(campaign_id=pk, actor=request.user))

    @admin.action(description="Pause the selected campaigns")
    def pause(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        _each(request, queryset, lambda pk: campaign_pause(campaign_id=pk, actor=request.user))

    @admin.action(description="Finish the selected campaigns")
    def finish(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        _each(request, queryset, lambda pk: campaign_finish(campaign_id=pk, actor=request.user))


def _is_live(obj: Any) -> bool:
    return isinstance(obj, Campaign) and obj.status != Campaign.Status.DRAFT


def _each(request: HttpRequest, queryset: QuerySet[Campaign], change: Any) -> None:
    """Apply a lifecycle service to each selected campaign, saying what each one did."""
    for campaign in queryset.order_by("pk"):
        try:
            done = change(campaign.pk)
        except ValidationError as exc:
            messages.error(request, f"{campaign.name}: {' '.join(exc.messages)}")
        else:
            messages.success(request, f"{done.name}: {done.get_status_display().lower()}.")


@admin.register(Variant)
class VariantAdmin(ReadOnlyLargeTableAdmin):
    """Variants listed across campaigns; they are edited on their campaign's page, where
    the campaign's state decides what may change."""

    list_display = ["name", "campaign", "weight", "bucket_from", "bucket_to", "subject"]
    list_select_related = ["campaign"]
    list_filter = ["campaign"]
    search_fields = ["name", "subject"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["id", "campaign", "customer", "variant", "trigger_ref", "triggered_at"]
    list_select_related = ["campaign", "customer", "variant__campaign"]
    list_filter = ["campaign"]
    search_fields = ["=customer__external_id", "=trigger_ref"]
    raw_id_fields = ["campaign", "customer", "variant"]
    ordering = ["-id"]


@admin.register(Message)
class MessageAdmin(ReadOnlyLargeTableAdmin):
    list_display = [
        "id",
        "campaign",
        "variant",
        "customer",
        "status",
        "suppressed_reason",
        "due_at",
        "sent_at",
        "opens",
        "clicks",
    ]
    list_select_related = ["campaign", "customer", "variant__campaign"]
    list_filter = ["status", "suppressed_reason", "campaign"]
    search_fields = ["=to_email", "=customer__external_id", "=smtp_message_id"]
    raw_id_fields = ["assignment", "campaign", "customer", "variant"]
    ordering = ["-id"]


@admin.register(MessageEvent)
class MessageEventAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["id", "message", "kind", "is_machine", "machine_reason", "occurred_at"]
    list_filter = ["kind", "is_machine"]
    search_fields = ["=message__to_email"]
    raw_id_fields = ["message", "link"]
    ordering = ["-id"]


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["email", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
    ordering = ["-id"]


@admin.register(MessageLink)
class MessageLinkAdmin(ReadOnlyLargeTableAdmin):
    # Links are stored whole, scheme included: nothing is guessed (and Django 6's change of
    # the guessed scheme does not apply).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["id", "message", "position", "url"]
    search_fields = ["=message__to_email"]
    raw_id_fields = ["message"]
    ordering = ["-id"]


@admin.register(AudienceMember)
class AudienceMemberAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["id", "campaign", "customer"]
    list_select_related = ["campaign", "customer"]
    list_filter = ["campaign"]
    search_fields = ["=customer__external_id"]
    raw_id_fields = ["campaign", "customer"]
    ordering = ["-id"]


@admin.register(TriggerCursor)
class TriggerCursorAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["source", "last_id", "updated_at"]
    ordering = ["source"]


@admin.register(ProductAffinity)
class ProductAffinityAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["product", "also_bought", "customers"]
    list_select_related = ["product", "also_bought"]
    search_fields = ["=product__sku"]
    raw_id_fields = ["product", "also_bought"]
    ordering = ["product", "-customers"]


@admin.register(ResultComputation)
class ResultComputationAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["id", "campaign", "computed_at", "final", "srm_mismatch", "seconds"]
    list_select_related = ["campaign"]
    list_filter = ["final", "srm_mismatch", "campaign"]
    raw_id_fields = ["campaign"]
    ordering = ["-id"]


@admin.register(ArmResult)
class ArmResultAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["id", "computation", "variant", "assigned", "conversions", "revenue"]
    list_select_related = ["computation__campaign", "variant__campaign"]
    raw_id_fields = ["computation", "variant"]
    ordering = ["-id"]


@admin.register(WinnerDecision)
class WinnerDecisionAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["campaign", "decided_at", "metric", "winner"]
    list_select_related = ["campaign", "winner__campaign"]
    raw_id_fields = ["campaign", "winner"]
    ordering = ["-decided_at"]


@admin.register(ClvEffect)
class ClvEffectAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["campaign", "run", "measured_at"]
    list_select_related = ["campaign", "run"]
    raw_id_fields = ["campaign", "run"]
    ordering = ["-measured_at"]
