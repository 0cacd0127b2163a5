"""Render a variant for recipients.

INTERFACE (the outbox calls these; keep their signatures):

- :func:`contexts_build` — the template context of each recipient of a batch, in a fixed
  number of queries whatever the batch size.
- :func:`email_render` — one variant rendered with one context.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine

from campaigns.models import Campaign, Variant


@dataclass(frozen=True)
class Recipient:
    """Who a message of a batch goes to."""

    message_id: int
    customer_id: int


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str  # "" when the variant has no HTML body


_ENGINE = Engine(autoescape=True)


def contexts_build(
    *, campaign: Campaign, recipients: Sequence[Recipient]
) -> dict[int, dict[str, Any]]:
    """The template context of each recipient, by message id."""
    from customers.models import Customer

    customers = Customer.objects.in_bulk([r.customer_id for r in recipients])
    return {
        r.message_id: {
            "first_name": customers[r.customer_id].first_name,
            "last_name": customers[r.customer_id].last_name,
        }
        for r in recipients
        if r.customer_id in customers
    }


def email_render(*, variant: Variant, context: Mapping[str, Any]) -> RenderedEmail:
    """Render ``variant``'s subject, text and HTML bodies with ``context``."""
    plain = Context(dict(context), autoescape=False)
    subject = _ENGINE.from_string(variant.subject).render(plain)
    text = _ENGINE.from_string(variant.body_text).render(plain)
    html = ""
    if variant.body_html:
        html = _ENGINE.from_string(variant.body_html).render(Context(dict(context)))
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html)
