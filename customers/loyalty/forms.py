"""The staff form that redeems or adjusts a customer's points."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from clvcrm.core.input_values import InputValueError, integer_from_text
from customers.loyalty.ledger import MAX_POINTS, REASON_LENGTH


class PointsChangeForm(forms.Form):
    """Redeem (a positive number taken off) or adjust (signed) points, with a reason."""

    action = forms.ChoiceField(choices=[("redeem", "Redeem"), ("adjust", "Adjust")])
    # Text, read by the shared parser: ASCII digits only, within what one change may move.
    points = forms.CharField()
    reason = forms.CharField(max_length=REASON_LENGTH, strip=True)

    def clean_points(self) -> int:
        try:
            return integer_from_text(
                self.cleaned_data["points"], minimum=-MAX_POINTS, maximum=MAX_POINTS
            )
        except InputValueError as exc:
            reason = str(exc)
            raise ValidationError(f"{reason[:1].upper()}{reason[1:]}.") from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        points = data.get("points")
        if data.get("action") == "redeem" and points is not None and points <= 0:
            self.add_error("points", "Enter how many points to redeem (a positive number).")
        if data.get("action") == "adjust" and points == 0:
            self.add_error("points", "An adjustment of 0 points changes nothing.")
        return data

    def describe_errors(self) -> str:
        """Every problem in one line, naming the field (shown as a message on the page)."""
        parts = []
        for name, errors in self.errors.items():
            text = " ".join(str(error) for error in errors)  # ErrorList yields the messages
            parts.append(f"{name.capitalize()}: {text}" if name in self.fields else text)
        return " ".join(parts)
