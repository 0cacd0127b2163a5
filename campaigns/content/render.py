"""Render a variant for recipients.

INTERFACE (the outbox calls these; keep their signatures):

- :func:`contexts_build` — the template context of each recipient of a batch, in a fixed
  number of queries whatever the batch size.
- :func:`email_render` — one variant rendered with one context.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from campaigns.content.context import customer_contexts, offer_code_of
from campaigns.content.engine import templates_render
from campaigns.content.extensions import Recipient as Recipient
from campaigns.content.extensions import context_providers
from campaigns.models import Campaign, Variant


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str  # "" when the variant has no HTML body


def contexts_build(
    *, campaign: Campaign, recipients: Sequence[Recipient]
) -> dict[int, dict[str, Any]]:
    """The template context of each recipient, by message id (docs/campaign-templates.md).

    A fixed number of queries whatever the number of recipients (see
    :func:`campaigns.content.context.customer_contexts`). A recipient whose customer no
    longer exists is absent. ``offer_code`` is the campaign's shared code, the message's
    unique code (:func:`campaigns.content.context.offer_code_unique`: the outbox stores it
    on ``Message.offer_code``) or "". The context providers registered for the campaign's
    kind (:mod:`campaigns.content.extensions`) add theirs, one call each per batch.
    """
    by_customer = customer_contexts(
        campaign=campaign, customer_ids=[r.customer_id for r in recipients]
    )
    extras = [
        provider.provide(campaign, recipients) for provider in context_providers(campaign.kind)
    ]
    return {
        r.message_id: {
            **by_customer[r.customer_id],
            "offer_code": offer_code_of(campaign, r.message_id),
            **{k: v for extra in extras for k, v in extra.get(r.message_id, {}).items()},
        }
        for r in recipients
        if r.customer_id in by_customer
    }


def email_render(*, variant: Variant, context: Mapping[str, Any]) -> RenderedEmail:
    """Render ``variant``'s subject, text and HTML bodies with ``context``.

    The subject is one line (runs of whitespace, newlines included, become one space); the
    HTML body is autoescaped, the subject and text body are not.
    """
    sources = [(variant.subject, False), (variant.body_text, False)]
    if variant.body_html:
        sources.append((variant.body_html, True))
    subject, text, *html_if_any = templates_render(sources, context)
    html = html_if_any[0] if html_if_any else ""
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html)
