"""Custom segment rules: the fields staff may use, checking a rule list, the matching query.

A rule is ``{"field": name, "op": operator, "value": text}``; a segment's rules must all
hold. ``RULE_FIELDS`` maps each field name to a lookup path from ``Customer``: adding a
field is one entry here. What a rule's value may be follows the model field at the end of
the path: a number within what its column holds (``clvcrm.core.input_values``), one of its
choices when it has some (the NPS category), or text no longer than the column.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, QuerySet
from django.utils.text import Truncator

from clvcrm.core.input_values import (
    InputValueError,
    number_for_field,
    number_range_of,
    text_within,
)
from customers.models import Customer, NpsCategory

NUMBER = "number"
TEXT = "text"
NUMERIC_FIELDS = (models.DecimalField, models.FloatField, models.IntegerField)


@dataclass(frozen=True)
class RuleField:
    """A field rules can test: its label and its lookup path from ``Customer``."""

    label: str
    path: str
    # The only values a rule may compare with (a closed set, such as the NPS categories);
    # empty: any value the column holds.
    choices: tuple[str, ...] = ()

    @property
    def expression(self) -> F:
        return F(self.path)

    @cached_property
    def column(self) -> models.Field:
        """The model field the path ends at: it decides the values a rule may compare."""
        model: Any = Customer
        *relations, name = self.path.split("__")
        for relation in relations:
            model = model._meta.get_field(relation).related_model
        return model._meta.get_field(name)

    @property
    def kind(self) -> str:
        return NUMBER if isinstance(self.column, NUMERIC_FIELDS) else TEXT

    @cached_property
    def accepted(self) -> str:
        """The values the column holds, in words."""
        column = self.column
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        if self.kind == TEXT:
            return f"text of at most {column.max_length} characters"
        low, high = number_range_of(column)
        if isinstance(column, models.DecimalField):
            places = column.decimal_places
            return f"a number from {low} to {high} with at most {places} decimal places"
        if isinstance(column, models.FloatField):
            return f"a number from {low!r} to {high!r}"
        return f"a whole number from {low} to {high}"

    def value_parse(self, text: str) -> Decimal | float | int | str:
        """``text`` as a value of the column; a :class:`ValidationError` says what it needs."""
        try:
            return self._value(text)
        except InputValueError as exc:
            shown = Truncator(text).chars(40)
            message = f"{self.label} needs {self.accepted}, not {shown!r}: {exc}"
            raise ValidationError(message) from None

    def _value(self, text: str) -> Decimal | float | int | str:
        if self.kind == NUMBER:
            return number_for_field(text, self.column)
        if self.choices and text not in self.choices:
            raise InputValueError("not one of the choices")
        return text_within(text, max_length=self.column.max_length)


RULE_FIELDS: dict[str, RuleField] = {
    "predicted_clv": RuleField("Predicted CLV", "score__predicted_clv"),
    "historical_clv": RuleField("Historical CLV", "score__historical_clv"),
    "p_alive": RuleField("P(alive)", "score__p_alive"),
    "expected_purchases_90d": RuleField(
        "Expected purchases (90 days)", "score__expected_purchases_90d"
    ),
    "rfm_recency": RuleField("RFM recency (1–5)", "score__rfm_recency"),
    "rfm_frequency": RuleField("RFM frequency (1–5)", "score__rfm_frequency"),
    "rfm_monetary": RuleField("RFM monetary (1–5)", "score__rfm_monetary"),
    "rfm_score": RuleField("RFM score (e.g. 555)", "score__rfm_score"),
    "country": RuleField("Country code (e.g. DE)", "country"),
    "channel": RuleField("Acquisition channel", "acquisition_channel__name"),
    "segment": RuleField("Default segment code", "segment_assignment__segment__code"),
    "tier": RuleField("Loyalty tier (e.g. Gold)", "loyalty__tier__name"),
    "nps_category": RuleField(
        "Latest NPS category (promoter, passive, detractor)",
        "nps_category",
        choices=tuple(NpsCategory.values),
    ),
}

# Operator → (label, ORM lookup); "ne" is the negation of "exact".
OPERATORS: dict[str, tuple[str, str]] = {
    "eq": ("=", "exact"),
    "ne": ("≠", "exact"),
    "lt": ("<", "lt"),
    "lte": ("≤", "lte"),
    "gt": (">", "gt"),
    "gte": ("≥", "gte"),
    "in": ("is one of (comma-separated)", "in"),
}
TEXT_OPERATORS = ("eq", "ne", "in")


def rules_clean(rules: Any) -> list[dict[str, str]]:
    """The rules in canonical form; a :class:`ValidationError` names each bad rule."""
    if not isinstance(rules, list) or not rules:
        raise ValidationError("A custom segment needs at least one rule.")
    cleaned, errors = [], []
    for number, rule in enumerate(rules, start=1):
        try:
            cleaned.append(_rule_clean(rule))
        except ValidationError as exc:
            errors.append(f"rule {number}: {'; '.join(exc.messages)}")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _rule_clean(rule: Any) -> dict[str, str]:
    if not isinstance(rule, dict):
        raise ValidationError("must be an object with field, op and value")
    name, op, value = rule.get("field"), rule.get("op"), str(rule.get("value", "")).strip()
    if name not in RULE_FIELDS:
        raise ValidationError(f"unknown field {name!r} (one of {', '.join(RULE_FIELDS)})")
    if op not in OPERATORS:
        raise ValidationError(f"unknown operator {op!r} (one of {', '.join(OPERATORS)})")
    field = RULE_FIELDS[name]
    if field.kind == TEXT and op not in TEXT_OPERATORS:
        raise ValidationError(f"{field.label} is text: use =, ≠ or 'is one of'")
    parts = _parts(op, value)
    if not value or not parts:
        raise ValidationError("needs a value")
    for part in parts:
        field.value_parse(part)
    return {"field": name, "op": op, "value": value}


def _parts(op: str, value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()] if op == "in" else [value]


def rules_queryset(rules: list[dict[str, str]]) -> QuerySet[Customer]:
    """The scored customers matching every rule (rules must have passed ``rules_clean``)."""
    qs = Customer.objects.filter(score__isnull=False)
    condition = Q()
    for number, rule in enumerate(rules):
        field = RULE_FIELDS[rule["field"]]
        alias = f"rule_{number}"
        qs = qs.alias(**{alias: field.expression})
        values = [field.value_parse(part) for part in _parts(rule["op"], rule["value"])]
        if rule["field"] == "country":
            values = [str(v).upper() for v in values]
        lookup = OPERATORS[rule["op"]][1]
        test = Q(**{f"{alias}__{lookup}": values if lookup == "in" else values[0]})
        condition &= ~test if rule["op"] == "ne" else test
    return qs.filter(condition)


def rule_describe(rule: dict[str, str]) -> str:
    """A rule in words: ``Predicted CLV ≥ 100``."""
    field = RULE_FIELDS.get(rule.get("field", ""))
    label = field.label if field else rule.get("field", "?")
    return f"{label} {OPERATORS.get(rule.get('op', ''), ('?',))[0]} {rule.get('value', '')}"
