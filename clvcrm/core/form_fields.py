"""Form fields that read numbers typed by people with ``clvcrm.core.input_values``.

Django's own number fields accept what Python's ``int()`` and ``float()`` do: other scripts'
digits (``٦٠``) and underscores (``1_0``). These accept ASCII only, within what the model
field holds (its column and its validators), with the same words as every other parser.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst

from clvcrm.core.input_values import InputValueError, number_for_field, number_range_of


class ColumnNumberField(forms.CharField):
    """A number for ``model_field``, refused with the reason when it cannot hold it."""

    def __init__(self, *, model_field: models.Field, **kwargs: Any) -> None:
        self.model_field = model_field
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | float | int | None:  # type: ignore[override]  # a number field built on CharField's text cleaning
        text = super().to_python(value)
        if not text:
            return None
        try:
            return number_for_field(text, self.model_field)
        except InputValueError as exc:
            low, high = number_range_of(self.model_field)
            raise ValidationError(f"{exc}; accepted: {low} to {high}", code="invalid") from None


def column_number_formfield(db_field: models.Field) -> ColumnNumberField | None:
    """A :class:`ColumnNumberField` for a numeric model field; ``None`` for any other."""
    if not isinstance(db_field, models.DecimalField | models.FloatField | models.IntegerField):
        return None
    return ColumnNumberField(
        model_field=db_field,
        label=capfirst(db_field.verbose_name),
        help_text=db_field.help_text,
        required=not db_field.blank,
    )
