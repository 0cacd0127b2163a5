"""The programme page: what the whole retention programme adds, against the global control."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from campaigns.charts import programme_chart
from campaigns.services.programme import programme_comparison
from clvcrm.core.decorators import staff_required

DEFAULT_DAYS = 90
LONGEST_DAYS = 3 * 366


class PeriodForm(forms.Form):
    """The period, first and last day inclusive; the last 90 days unless chosen."""

    first_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                raise forms.ValidationError("The last day must not be before the first.")
            if (last - first).days >= LONGEST_DAYS:
                raise forms.ValidationError("Choose a period of at most three years.")
        return data


@staff_required("campaigns.view_campaign")
def programme(request: HttpRequest) -> HttpResponse:
    """Revenue per customer and retention: the programme's customers against the control."""
    today = timezone.localdate()
    initial = {"first_day": today - timedelta(days=DEFAULT_DAYS - 1), "last_day": today}
    form = PeriodForm(request.GET or initial)
    comparison = None
    if form.is_valid():
        comparison = programme_comparison(
            first_day=form.cleaned_data["first_day"], last_day=form.cleaned_data["last_day"]
        )
    return render(
        request,
        "campaigns/programme.html",
        {
            "form": form,
            "comparison": comparison,
            "control_percent": settings.CAMPAIGN_GLOBAL_CONTROL_PERCENT,
            "chart": programme_chart(comparison) if comparison and comparison.revenue else None,
        },
    )
