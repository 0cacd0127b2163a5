"""Filters that write the campaign statistics as staff read them."""

import math

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """A share as a percentage: 0.1234 → "12.3%"; "—" when there is none."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def points(value: float | None, digits: int = 1) -> str:
    """A difference of shares in percentage points, signed: 0.012 → "+1.2 pp"."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value * 100:+.{digits}f} pp"


@register.filter
def signed(value: float | None, digits: int = 2) -> str:
    """A difference, signed: 3.5 → "+3.50"; "—" when there is none."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:+,.{digits}f}"


@register.filter
def p_value(value: float | None) -> str:
    """A p-value to four places, the smallest ones as "< 0.0001"; "—" when there is none."""
    if value is None or not math.isfinite(value):
        return "—"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"
