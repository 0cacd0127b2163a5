"""The dashboard's period: whole months from ``start`` to ``end`` (``YYYY-MM``), checked
the same way for the page (a form) and the API (a serializer); and the preset periods."""

import re
from datetime import date
from typing import Any

from django import forms

from clvcrm.core.input_values import EARLIEST_DAY, LATEST_DAY
from clvcrm.workspace.dashboard import MonthPeriod
from customers.kpis import month_start

MONTH_PATTERN = re.compile(r"\A(\d{4})-(\d{2})\Z")
MAX_MONTHS = 120


class MonthValueError(ValueError):
    """A month that is not ``YYYY-MM`` or lies outside the supported dates."""


def month_from_text(text: str) -> date:
    """The first day of the month written ``YYYY-MM``."""
    found = MONTH_PATTERN.match(text.strip())
    if found is None:
        raise MonthValueError(f"{text[:20]!r} is not a month written YYYY-MM")
    year, month = int(found[1]), int(found[2])
    if not 1 <= month <= 12:
        raise MonthValueError(f"{text[:20]!r} has no month {month} (01 to 12)")
    if not EARLIEST_DAY.year <= year <= LATEST_DAY.year:
        raise MonthValueError(
            f"{text[:20]!r} lies outside the supported years "
            f"({EARLIEST_DAY.year} to {LATEST_DAY.year})"
        )
    return date(year, month, 1)


def period_problem(start: date, end: date) -> str | None:
    """Why ``start``..``end`` (first days of months) is no period; ``None`` if it is."""
    if end < start:
        return "The end month is before the start month."
    if MonthPeriod.of_months(start, end).months > MAX_MONTHS:
        return f"A period covers at most {MAX_MONTHS} months."
    return None


def _add_months(month: date, count: int) -> date:
    number = month.year * 12 + month.month - 1 + count
    return date(number // 12, number % 12 + 1, 1)


def default_period(today: date) -> MonthPeriod:
    """The last full month."""
    last = _add_months(month_start(today), -1)
    return MonthPeriod.of_months(last, last)


def period_presets(today: date) -> dict[str, MonthPeriod]:
    """Month, quarter and year presets around ``today`` (the current ones to date)."""
    this = month_start(today)
    quarter = date(this.year, (this.month - 1) // 3 * 3 + 1, 1)
    last_quarter = _add_months(quarter, -3)
    months = {
        "Last month": (_add_months(this, -1), _add_months(this, -1)),
        "This month": (this, this),
        "Last quarter": (last_quarter, _add_months(last_quarter, 2)),
        "This quarter": (quarter, this),
        "Last 12 months": (_add_months(this, -12), _add_months(this, -1)),
        "Last year": (date(this.year - 1, 1, 1), date(this.year - 1, 12, 1)),
        "This year": (date(this.year, 1, 1), this),
    }
    return {label: MonthPeriod.of_months(a, b) for label, (a, b) in months.items()}


class MonthPeriodForm(forms.Form):
    """``start`` and ``end`` months, both included."""

    start = forms.CharField(max_length=7, label="From month")
    end = forms.CharField(max_length=7, label="To month")

    def clean_start(self) -> date:
        return self._month("start")

    def clean_end(self) -> date:
        return self._month("end")

    def _month(self, name: str) -> date:
        try:
            return month_from_text(self.cleaned_data[name])
        except MonthValueError as exc:
            raise forms.ValidationError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and (problem := period_problem(start, end)):
            self.add_error("end", problem)
        return data

    def period(self) -> MonthPeriod:
        return MonthPeriod.of_months(self.cleaned_data["start"], self.cleaned_data["end"])
