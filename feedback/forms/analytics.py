"""The filters of the NPS analytics pages: the period, and the comments' search and filters.

Every value comes from the address bar: a bad one is a form error naming the field and the
reason, and that filter is ignored (the page still shows), never a failed page.
"""

from datetime import date, datetime
from typing import Any

from django import forms

from clvcrm.core.input_values import InputValueError, date_from_text, integer_from_text
from feedback.analytics import CommentFilters, Period, band_choices
from feedback.models import ScoreCategory

SEARCH_MAX_LENGTH = 100
CURSOR_SEPARATOR = "~"


class DayField(forms.CharField):
    """A day written ``YYYY-MM-DD``, within the dates the project supports."""

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]  # a date read from text
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > len("YYYY-MM-DD"):
            raise forms.ValidationError("Not a date (use YYYY-MM-DD).", code="invalid")
        try:
            return date_from_text(text)
        except InputValueError as exc:
            raise forms.ValidationError(str(exc).capitalize() + ".", code="invalid") from None


class AnalyticsFilterForm(forms.Form):
    start = DayField(required=False, label="From")
    end = DayField(required=False, label="To")
    q = forms.CharField(required=False, label="Search comments", max_length=SEARCH_MAX_LENGTH)
    category = forms.ChoiceField(
        required=False, choices=[("", "Any category"), *ScoreCategory.choices]
    )
    segment = forms.SlugField(required=False, max_length=50, label="Segment (code)")
    band = forms.ChoiceField(required=False, label="CLV band")
    before = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        band = self.fields["band"]
        assert isinstance(band, forms.ChoiceField)
        band.choices = [("", "Any band"), *band_choices()]

    def clean_before(self) -> tuple[datetime, int] | None:
        text = self.cleaned_data.get("before") or ""
        if not text:
            return None
        moment, _, pk = text.rpartition(CURSOR_SEPARATOR)
        try:
            at = datetime.fromisoformat(moment)
            number = integer_from_text(pk, minimum=1)
        except (ValueError, InputValueError):
            raise forms.ValidationError("Not a page of these comments.") from None
        if at.tzinfo is None:
            raise forms.ValidationError("Not a page of these comments.")
        return at, number

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "Must not be before the start.")
        return cleaned

    def period(self) -> Period:
        """The valid period (a bad bound is left out: unbounded on that side)."""
        self.is_valid()
        data = self.cleaned_data
        return Period(start=data.get("start"), end=data.get("end"))

    def comment_filters(self) -> CommentFilters:
        self.is_valid()
        data = self.cleaned_data
        return CommentFilters(
            search=data.get("q") or "",
            category=data.get("category") or "",
            segment=data.get("segment") or "",
            band=data.get("band") or "",
            before=data.get("before"),
        )


def cursor_text(before: tuple[datetime, int] | None) -> str:
    """The ``before`` value of the link to the next (older) page of comments."""
    if before is None:
        return ""
    at, pk = before
    return f"{at.isoformat()}{CURSOR_SEPARATOR}{pk}"
