"""Forms of the marketing pages: the period of the CAC table, a year of the spend grid, the
grid itself and the CSV upload."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from clvcrm.core.input_values import (
    EARLIEST_DAY,
    LATEST_DAY,
    InputValueError,
    date_from_text,
    integer_from_text,
)
from customers.kpis import month_end, month_start
from customers.marketing.values import SpendEntry, amount_from_text
from customers.models import AcquisitionChannel


def _sentence(reason: str) -> str:
    return f"{reason[:1].upper()}{reason[1:]}."


class PeriodForm(forms.Form):
    """A period of days, both included: ``start`` and ``end`` as YYYY-MM-DD."""

    start = forms.CharField(max_length=10)
    end = forms.CharField(max_length=10)

    def clean_start(self) -> date:
        return self._day("start")

    def clean_end(self) -> date:
        return self._day("end")

    def _day(self, name: str) -> date:
        try:
            return date_from_text(self.cleaned_data[name])
        except InputValueError as exc:
            raise forms.ValidationError(_sentence(str(exc))) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end < start:
            self.add_error("end", "The end is before the start.")
        return data


class YearForm(forms.Form):
    year = forms.CharField(max_length=4)

    def clean_year(self) -> int:
        try:
            return integer_from_text(
                self.cleaned_data["year"], minimum=EARLIEST_DAY.year, maximum=LATEST_DAY.year
            )
        except InputValueError as exc:
            raise forms.ValidationError(_sentence(str(exc))) from None


def cell_name(month: date, channel_id: int) -> str:
    return f"{month:%Y-%m}_{channel_id}"


class SpendGridForm(forms.Form):
    """A year of spend: one amount field per month and channel (empty: none entered)."""

    def __init__(
        self,
        data: Any = None,
        *,
        year: int,
        channels: list[AcquisitionChannel],
        stored: dict[tuple[date, int], Decimal],
    ) -> None:
        super().__init__(data)
        self.months = [date(year, number, 1) for number in range(1, 13)]
        self.channels = channels
        self.stored = stored
        for month in self.months:
            for channel in channels:
                amount = stored.get((month, channel.pk))
                self.fields[cell_name(month, channel.pk)] = forms.CharField(
                    required=False,
                    max_length=20,
                    initial="" if amount is None else f"{amount}",
                    label=f"{channel.name}, {month:%B %Y}",
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        for month in self.months:
            for channel in self.channels:
                name = cell_name(month, channel.pk)
                text = data.get(name, "")
                if not text.strip():
                    data[name] = None
                    continue
                try:
                    data[name] = amount_from_text(text)
                except InputValueError as exc:
                    self.add_error(name, f"{self.fields[name].label}: {exc}.")
        return data

    def changes(self) -> tuple[list[SpendEntry], list[tuple[date, int]]]:
        """The amounts to store and the (month, channel id) entries emptied."""
        entries, removed = [], []
        for month in self.months:
            for channel in self.channels:
                amount = self.cleaned_data[cell_name(month, channel.pk)]
                if amount is not None:
                    entries.append(SpendEntry(month, channel.pk, amount))
                elif (month, channel.pk) in self.stored:
                    removed.append((month, channel.pk))
        return entries, removed


def upload_too_large_message() -> str:
    limit = settings.MARKETING_SPEND_MAX_UPLOAD_BYTES
    return (
        f"The file is larger than the upload limit of {filesizeformat(limit)} "
        "(MARKETING_SPEND_MAX_UPLOAD_BYTES): split it by year."
    )


class SpendImportForm(forms.Form):
    file = forms.FileField(help_text="A UTF-8 CSV file with the columns month, channel, amount.")

    def __init__(self, *args: Any, refused_upload: bool = False, **kwargs: Any) -> None:
        """``refused_upload``: the request's file was dropped for its size as it arrived."""
        super().__init__(*args, **kwargs)
        self.refused_upload = refused_upload

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > settings.MARKETING_SPEND_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(upload_too_large_message())
        if not upload.name.lower().endswith((".csv", ".txt", ".tsv")):
            raise forms.ValidationError("Choose a .csv file (export spreadsheets as CSV, UTF-8).")
        return upload

    def clean(self) -> dict[str, Any] | None:
        if self.refused_upload:
            # Dropped while the request was read: "required" would not say why.
            self.errors.pop("file", None)
            self.add_error("file", upload_too_large_message())
        return super().clean()


def _months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def period_presets(today: date) -> dict[str, tuple[date, date]]:
    """The periods the page offers in one click, by label (the last one is the default)."""
    month = month_start(today)
    quarter = _months_back(month, (month.month - 1) % 3)
    last_quarter = _months_back(quarter, 3)
    return {
        "This month": (month, today),
        "Last month": (_months_back(month, 1), month_end(_months_back(month, 1))),
        "This quarter": (quarter, today),
        "Last quarter": (last_quarter, month_end(_months_back(quarter, 1))),
        "This year": (date(today.year, 1, 1), today),
        "Last year": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        "Last 12 months": (_months_back(month, 11), today),
    }
