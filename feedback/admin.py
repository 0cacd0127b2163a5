"""The Django admin for surveys, and read-only lists of invitations and responses.

A survey added here gets its invitation campaign as the service makes it
(:func:`feedback.services.surveys.invitation_campaign_create`, which joins the admin's
transaction); the form runs the service's checks. Invitations and responses are written
only by the application: viewable, never typed in (and a token is not shown anywhere: only
its hash is stored).
"""

import copy
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.http import HttpRequest

from clvcrm.core.admin_tools import CheckedNumbersAdmin, ReadOnlyLargeTableAdmin
from feedback.models import Invitation, Response, Survey
from feedback.services.surveys import (
    EDITABLE_FIELD_ORDER,
    invitation_campaign_create,
    survey_check,
)


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = list(EDITABLE_FIELD_ORDER)  # as the staff form and the API

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean returns cleaned_data
        if not self.errors:
            survey = construct_instance(self, copy.copy(self.instance))
            try:
                survey_check(survey)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(Survey)
class SurveyAdmin(CheckedNumbersAdmin):
    form = SurveyForm
    list_display = ["name", "trigger", "after_order_days", "segment", "active_from", "active_until"]
    list_filter = ["trigger"]
    search_fields = ["name"]
    readonly_fields = ["campaign", "next_run_at", "orders_through", "created_at"]

    def save_model(self, request: HttpRequest, obj: Survey, form: Any, change: bool) -> None:
        if not change:
            obj.campaign = invitation_campaign_create(name=obj.name, created_by=request.user)
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["id", "survey", "customer", "trigger_ref", "created_at", "expires_at"]
    list_filter = ["survey"]
    raw_id_fields = ["customer"]
    exclude = ["salt", "token_hash"]


@admin.register(Response)
class ResponseAdmin(ReadOnlyLargeTableAdmin):
    list_display = ["id", "survey", "customer", "score", "segment_code", "tier_name", "answered_at"]
    list_filter = ["survey", "score"]
    raw_id_fields = ["customer", "invitation"]
