"""The staff form that redeems or adjusts a customer's points."""

from django import forms

from customers.loyalty.ledger import MAX_POINTS, REASON_LENGTH


class PointsChangeForm(forms.Form):
    """Redeem (a positive number taken off) or adjust (signed) points, with a reason."""

    action = forms.ChoiceField(choices=[("redeem", "Redeem"), ("adjust", "Adjust")])
    points = forms.IntegerField(min_value=-MAX_POINTS, max_value=MAX_POINTS)
    reason = forms.CharField(max_length=REASON_LENGTH, strip=True)

    def clean(self) -> dict:
        data = super().clean()
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
            text = " ".join(errors)
            parts.append(f"{name.capitalize()}: {text}" if name in self.fields else text)
        return " ".join(parts)
