"""Custom segment rules: the fields staff may use, checking a rule list, the matching query.

A rule is ``{"field": name, "op": operator, "value": text}``; a segment's rules must all
hold. ``RULE_FIELDS`` maps each field name to an ORM expression relative to ``Customer``:
adding a field (the NPS category, once it exists) is one entry here.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Expression, F, Q, QuerySet

from customers.models import Customer

NUMBER = "number"
TEXT = "text"


@dataclass(frozen=True)
class RuleField:
    """A field rules can test: its label, its expression and whether it is a number."""

    label: str
    expression: Expression | F
    kind: str


RULE_FIELDS: dict[str, RuleField] = {
    "predicted_clv": RuleField("Predicted CLV", F("score__predicted_clv"), NUMBER),
    "historical_clv": RuleField("Historical CLV", F("score__historical_clv"), NUMBER),
    "p_alive": RuleField("P(alive)", F("score__p_alive"), NUMBER),
    "expected_purchases_90d": RuleField(
        "Expected purchases (90 days)", F("score__expected_purchases_90d"), NUMBER
    ),
    "rfm_recency": RuleField("RFM recency (1–5)", F("score__rfm_recency"), NUMBER),
    "rfm_frequency": RuleField("RFM frequency (1–5)", F("score__rfm_frequency"), NUMBER),
    "rfm_monetary": RuleField("RFM monetary (1–5)", F("score__rfm_monetary"), NUMBER),
    "rfm_score": RuleField("RFM score (e.g. 555)", F("score__rfm_score"), TEXT),
    "country": RuleField("Country code (e.g. DE)", F("country"), TEXT),
    "channel": RuleField("Acquisition channel", F("acquisition_channel__name"), TEXT),
    "segment": RuleField("Default segment code", F("segment_assignment__segment__code"), TEXT),
    "tier": RuleField("Loyalty tier (e.g. Gold)", F("loyalty__tier__name"), TEXT),
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
    if not value:
        raise ValidationError("needs a value")
    if field.kind == NUMBER:
        for part in _parts(op, value):
            try:
                Decimal(part)
            except InvalidOperation:
                raise ValidationError(f"{field.label} needs a number, not {part!r}") from None
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
        parts = _parts(rule["op"], rule["value"])
        values: list[Any] = [Decimal(p) for p in parts] if field.kind == NUMBER else parts
        if rule["field"] == "country":
            values = [v.upper() for v in values]
        lookup = OPERATORS[rule["op"]][1]
        test = Q(**{f"{alias}__{lookup}": values if lookup == "in" else values[0]})
        condition &= ~test if rule["op"] == "ne" else test
    return qs.filter(condition)


def rule_describe(rule: dict[str, str]) -> str:
    """A rule in words: ``Predicted CLV ≥ 100``."""
    field = RULE_FIELDS.get(rule.get("field", ""))
    label = field.label if field else rule.get("field", "?")
    return f"{label} {OPERATORS.get(rule.get('op', ''), ('?',))[0]} {rule.get('value', '')}"
