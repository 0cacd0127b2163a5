"""The audit log page's filters and its one read."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from clvcrm.core.input_values import InputValueError, date_from_text
from clvcrm.core.models import AuditEntry

AUDIT_ORDERING = ("-at",)


class AuditFilterForm(forms.Form):
    """What an Admin looks for: who, what (an action or its prefix, ``campaign.``), which
    record, which days. Every value is checked against what its column holds."""

    actor = forms.CharField(required=False, max_length=150, label="Who (username)")
    action = forms.CharField(required=False, max_length=60, label="Action or its start")
    target_type = forms.CharField(required=False, max_length=60, label="Record type")
    target_id = forms.CharField(required=False, max_length=64, label="Record id")
    text = forms.CharField(required=False, max_length=200, label="Record or note contains")
    since = forms.CharField(required=False, max_length=10, label="From (YYYY-MM-DD)")
    until = forms.CharField(required=False, max_length=10, label="To (YYYY-MM-DD)")

    def clean_since(self) -> date | None:
        return _day(self.cleaned_data["since"])

    def clean_until(self) -> date | None:
        return _day(self.cleaned_data["until"])

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The last day comes before the first.")
        return data


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date_from_text(text)
    except InputValueError as exc:
        raise forms.ValidationError(str(exc)) from None


def audit_entries(filters: dict[str, Any]) -> QuerySet[AuditEntry]:
    """The entries matching ``filters`` (an :class:`AuditFilterForm`'s cleaned data)."""
    entries = AuditEntry.objects.all()
    if filters.get("actor"):
        entries = entries.filter(actor_name=filters["actor"])
    if filters.get("action"):
        entries = entries.filter(action__startswith=filters["action"])
    if filters.get("target_type"):
        entries = entries.filter(target_type=filters["target_type"])
    if filters.get("target_id"):
        entries = entries.filter(target_id=filters["target_id"])
    if filters.get("text"):
        text = filters["text"]
        entries = entries.filter(Q(target_label__icontains=text) | Q(note__icontains=text))
    if filters.get("since"):
        entries = entries.filter(at__gte=_start_of(filters["since"]))
    if filters.get("until"):  # the whole last day: up to the start of the next
        entries = entries.filter(at__lt=_start_of(filters["until"] + timedelta(days=1)))
    return entries


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
