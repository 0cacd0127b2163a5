"""The staff form of a customer's profile: the details the API writes, and the language.

Each field is the model field's own form field (its length, its choices: ISO country codes
and the shipped languages), so the form accepts what the column holds and the API accepts;
a conflicting email is the service's to find (:class:`CustomerConflictError`), shown on
the email field.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from clvcrm.core.input_values import InputValueError, day_within
from clvcrm.core.model_fields import model_field
from customers.models import Customer

# What the profile page edits, in the order it shows them.
PROFILE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "country",
    "language",
    "birthday",
    "marketing_consent",
)


class CustomerProfileForm(forms.Form):
    """A customer's profile; :meth:`changed_details` is what differs from the customer."""

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        kwargs.setdefault("initial", _current(customer))
        super().__init__(*args, **kwargs)
        self.customer = customer
        for name in PROFILE_FIELDS:
            field = model_field(Customer, name).formfield()
            assert field is not None, name
            self.fields[name] = field
        self.fields["language"].help_text = "Empty: the shop's language."
        self.fields["birthday"].widget = forms.DateInput(attrs={"type": "date"})
        self.fields[
            "marketing_consent"
        ].help_text = "Marketing email is sent only with consent and until they unsubscribe."

    def clean_birthday(self) -> Any:
        day = self.cleaned_data.get("birthday")
        if day is None:
            return None
        try:
            return day_within(day)
        except InputValueError as exc:
            raise ValidationError(f"The birthday is {exc}.", code="invalid") from None

    def changed_details(self) -> dict[str, Any]:
        """The cleaned values that differ from the customer's, by field name."""
        current = _current(self.customer)
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in PROFILE_FIELDS and value != current[name]
        }


def _current(customer: Customer) -> dict[str, Any]:
    values = {name: getattr(customer, name) for name in PROFILE_FIELDS}
    values["country"] = str(customer.country)  # a Country; the form speaks codes
    return values
