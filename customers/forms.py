"""Forms of the staff pages."""

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model
from django.template.defaultfilters import filesizeformat

from clvcrm.core.input_values import InputValueError, date_from_text, integer_from_text
from customers.models import AcquisitionChannel
from customers.order_import.source import KNOWN_COLUMNS, REQUIRED_COLUMNS
from customers.selectors import CUSTOMER_SORTS, DEFAULT_CUSTOMER_SORT


class IdChoiceField(forms.ModelChoiceField):
    """A choice of row by its id, written in ASCII digits (``int()`` also reads ``١``)."""

    def to_python(self, value: Any) -> Model | None:
        if value not in self.empty_values:
            try:
                integer_from_text(str(value), minimum=1)
            except InputValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                ) from None
        return super().to_python(value)


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    country = forms.CharField(required=False, max_length=2)
    channel = IdChoiceField(
        queryset=AcquisitionChannel.objects.all(), required=False, empty_label="Any channel"
    )
    consent = forms.ChoiceField(
        required=False,
        choices=[("", "Any consent"), ("yes", "Consented"), ("no", "No consent")],
    )
    acquired_from = forms.CharField(required=False, max_length=10, label="Acquired from")
    acquired_to = forms.CharField(required=False, max_length=10, label="Acquired to")
    segment = forms.SlugField(required=False, max_length=50, label="Segment (code)")
    active = forms.ChoiceField(
        required=False,
        choices=[("", "Any P(alive)"), ("yes", "Active (P(alive) ≥ 0.5)"), ("no", "Inactive")],
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(key, key) for key in CUSTOMER_SORTS],
        initial=DEFAULT_CUSTOMER_SORT,
    )

    def clean_acquired_from(self) -> date | None:
        return _day_or_none(self.cleaned_data["acquired_from"])

    def clean_acquired_to(self) -> date | None:
        return _day_or_none(self.cleaned_data["acquired_to"])


def _day_or_none(text: str) -> date | None:
    """A YYYY-MM-DD day, or ``None`` for an empty field."""
    if not text:
        return None
    try:
        return date_from_text(text)
    except InputValueError as exc:
        raise forms.ValidationError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None


def upload_too_large_message() -> str:
    limit = settings.ORDER_IMPORT_MAX_UPLOAD_BYTES
    return (
        f"The file is larger than the upload limit of {filesizeformat(limit)} "
        "(ORDER_IMPORT_MAX_UPLOAD_BYTES): split it, or import it with "
        "manage.py import_orders on the server."
    )


class OrderImportForm(forms.Form):
    file = forms.FileField(help_text="A UTF-8 CSV file; see the format below.")
    dry_run = forms.BooleanField(
        required=False, label="Only validate (dry run): report problems, write nothing"
    )

    def __init__(self, *args: Any, refused_upload: bool = False, **kwargs: Any) -> None:
        """``refused_upload``: the request's file was dropped for its size as it arrived."""
        super().__init__(*args, **kwargs)
        self.refused_upload = refused_upload

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if upload.size > settings.ORDER_IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(upload_too_large_message())
        if not upload.name.lower().endswith((".csv", ".txt", ".tsv")):
            raise forms.ValidationError("Choose a .csv file (export spreadsheets as CSV, UTF-8).")
        return upload

    def clean(self) -> dict | None:
        if self.refused_upload:
            # Dropped while the request was read: "required" would not say why.
            self.errors.pop("file", None)
            self.add_error("file", upload_too_large_message())
        return super().clean()


class ColumnMappingForm(forms.Form):
    """Which of a file's columns gives each clvcrm column (README, "Importing orders")."""

    def __init__(self, *args: Any, header: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "(not in this file)")] + [(name, name) for name in header if name]
        for column in KNOWN_COLUMNS:
            self.fields[column] = forms.ChoiceField(choices=choices, required=False, label=column)

    def clean(self) -> dict | None:
        cleaned = super().clean() or {}
        missing = [c for c in REQUIRED_COLUMNS if not cleaned.get(c)]
        if missing:
            raise forms.ValidationError(
                f"Choose the file's column for {', '.join(missing)}: every order needs them."
            )
        return cleaned
