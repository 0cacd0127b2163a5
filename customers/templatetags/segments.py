"""``{% customer_segment customer %}``: the customer page's segment card, with its reads."""

from typing import Any

from django import template

from customers.models import Customer
from customers.segments.selectors import customer_segment_view

register = template.Library()


@register.inclusion_tag("customers/_customer_segment_card.html", takes_context=True)
def customer_segment(context: Any, customer: Customer) -> dict[str, Any]:
    """The customer's default segment and why, and their custom segments (three queries)."""
    return {"view": customer_segment_view(customer), "perms": context.get("perms")}
