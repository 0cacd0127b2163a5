"""Forms of the staff pages."""

from typing import Any

from django import forms
from django.db.models import Model

from clvcrm.core.input_values import InputValueError, integer_from_text
from customers.models import AcquisitionChannel
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
    sort = forms.ChoiceField(
        required=False,
        choices=[(key, key) for key in CUSTOMER_SORTS],
        initial=DEFAULT_CUSTOMER_SORT,
    )


class OrderImportForm(forms.Form):
    file = forms.FileField(help_text="A UTF-8 CSV file; see the format below.")
    dry_run = forms.BooleanField(
        required=False, label="Only validate (dry run): report problems, write nothing"
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt", ".tsv")):
            raise forms.ValidationError("Choose a .csv file (export spreadsheets as CSV, UTF-8).")
        return upload
