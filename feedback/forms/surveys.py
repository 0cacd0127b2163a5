"""The staff forms of surveys: a survey's fields with its promoter follow-up email, and
"invite now".

The forms read what was typed; the rules are the services' (``survey_check``, the
campaign template checks), whose errors the views put back on the fields they name.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from customers.forms import IdChoiceField
from customers.models import Segment
from feedback.models import Survey
from feedback.services.surveys import EDITABLE_FIELD_ORDER, FOLLOW_UP

SURVEY_FIELDS = EDITABLE_FIELD_ORDER
# The follow-up's fields in the form -> its content's (the campaign variant's) names.
FOLLOW_UP_FIELDS = {
    "follow_up_subject": "subject",
    "follow_up_body_text": "body_text",
    "follow_up_body_html": "body_html",
}
MAX_LISTED = 10_000
ENTRY_MAX_LENGTH = 254
_MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SurveyForm(forms.ModelForm):
    """A survey's own fields, and its promoter follow-up email (on or off)."""

    segment = IdChoiceField(
        queryset=Segment.objects.order_by("name"),
        required=False,
        help_text="Periodic trigger: the segment asked.",
    )
    follow_up = forms.BooleanField(
        required=False,
        label="Send promoters (9–10) a follow-up email",
        help_text="A review or referral ask: a marketing email (marketing consent, the "
        "frequency cap and the global control group apply).",
    )
    follow_up_subject = forms.CharField(required=False, max_length=300, label="Subject")
    follow_up_body_text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), strip=False, label="Text"
    )
    follow_up_body_html = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=False,
        label="HTML (optional)",
    )

    class Meta:
        model = Survey
        fields = SURVEY_FIELDS
        widgets = {"active_from": _MOMENT, "active_until": _MOMENT}

    def __init__(self, *args: Any, follow_up: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if follow_up is not None:
            self.initial["follow_up"] = True
            for name, content_name in FOLLOW_UP_FIELDS.items():
                self.initial[name] = follow_up.get(content_name, "")

    def _post_clean(self) -> None:
        # The service checks the survey when it writes it (survey_check).
        pass

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        if cleaned.get("follow_up"):
            for name in ("follow_up_subject", "follow_up_body_text"):
                if not cleaned.get(name):
                    self.add_error(name, "A follow-up email needs it.")
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        """What the service writes: the survey's fields and its follow-up (None: none)."""
        data = self.cleaned_data
        fields: dict[str, Any] = {name: data[name] for name in SURVEY_FIELDS}
        fields[FOLLOW_UP] = (
            {content: data[name] for name, content in FOLLOW_UP_FIELDS.items()}
            if data["follow_up"]
            else None
        )
        return fields

    def errors_add(self, exc: ValidationError) -> None:
        """Put the service's errors on the fields they name (a follow-up's template error
        on its subject or body)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            for text in (message for error in errors for message in error.messages):
                self.add_error(self._field_of(name, text), text)

    def _field_of(self, name: str, text: str) -> str | None:
        if name == FOLLOW_UP:
            for field, content in FOLLOW_UP_FIELDS.items():
                if text.startswith(f"{content}:"):
                    return field
            return "follow_up"
        return name if name in self.fields else None


class InviteForm(forms.Form):
    """Whom to invite now: a segment (default or custom) or a pasted list of customers."""

    segment = IdChoiceField(
        queryset=Segment.objects.order_by("kind", "name"),
        required=False,
        empty_label="(a list of customers instead)",
    )
    customers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"Customer ids or email addresses, one per line or separated by commas; at "
        f"most {MAX_LISTED:,}.",
    )

    def clean_customers(self) -> list[str]:
        text = self.cleaned_data.get("customers") or ""
        entries = sorted({e.strip() for e in text.replace(",", "\n").splitlines() if e.strip()})
        if len(entries) > MAX_LISTED:
            raise forms.ValidationError(f"At most {MAX_LISTED:,} customers at once.")
        too_long = [e for e in entries if len(e) > ENTRY_MAX_LENGTH]
        if too_long:
            raise forms.ValidationError(
                f"Longer than {ENTRY_MAX_LENGTH} characters: {too_long[0][:40]}…"
            )
        return entries

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        if not self.errors and (cleaned.get("segment") is None) == (not cleaned.get("customers")):
            raise forms.ValidationError("Choose either a segment or a list of customers.")
        return cleaned
