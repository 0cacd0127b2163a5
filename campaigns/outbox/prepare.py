"""Turn a claimed batch into ready emails: render, track, address; record what was made.

A message that cannot be rendered fails alone (its error recorded), never the batch. The
subject, offer code, Message-ID and links are stored in two statements for the batch before
anything is sent, so a bounce or a click can always be traced to its message.
"""

from collections import defaultdict
from dataclasses import dataclass
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

from campaigns.content.render import Recipient, contexts_build, email_render
from campaigns.models import Campaign, Message, MessageLink, Variant
from campaigns.outbox.claim import Claimed
from campaigns.outbox.mime import CampaignEmail
from campaigns.tracking.compose import email_finish


@dataclass(frozen=True)
class Prepared:
    message_id: int
    campaign_id: int
    customer_id: int
    email: CampaignEmail


def batch_prepare(claimed: list[Claimed]) -> tuple[list[Prepared], dict[int, str]]:
    """The emails of a claimed batch, and the errors of the messages that could not be made."""
    by_id = {item.message_id: item for item in claimed}
    messages = list(Message.objects.filter(pk__in=by_id).order_by("-priority", "id"))
    _campaigns_and_variants_attach(messages)
    contexts: dict[int, dict] = {}
    by_campaign: dict[int, list[Message]] = defaultdict(list)
    for message in messages:
        by_campaign[message.campaign_id].append(message)
    for group in by_campaign.values():
        recipients = [Recipient(m.pk, m.customer_id) for m in group]
        contexts.update(contexts_build(campaign=group[0].campaign, recipients=recipients))
    prepared: list[Prepared] = []
    failures: dict[int, str] = {}
    links: list[MessageLink] = []
    for message in messages:
        try:
            email, urls = email_make(message, by_id[message.pk], contexts[message.pk])
        except Exception as exc:  # one bad message must not stop the batch
            failures[message.pk] = f"could not be rendered: {type(exc).__name__}: {exc}"
            continue
        links.extend(
            MessageLink(message_id=message.pk, position=position, url=url)
            for position, url in enumerate(urls)
        )
        prepared.append(Prepared(message.pk, message.campaign_id, message.customer_id, email))
    MessageLink.objects.bulk_create(links, ignore_conflicts=True)
    _record([m for m in messages if m.pk not in failures])
    return prepared, failures


def _campaigns_and_variants_attach(messages: list[Message]) -> None:
    """Give each message its campaign and variant, each read once for the batch.

    A batch holds a few campaigns and variants; joined to every message, they were read,
    decoded and built again per message, and a variant carries its three templates.
    """
    campaigns = Campaign.objects.in_bulk({m.campaign_id for m in messages})
    variants = Variant.objects.in_bulk({m.variant_id for m in messages})
    for message in messages:
        message.campaign = campaigns[message.campaign_id]
        message.variant = variants[message.variant_id]


def _record(messages: list[Message]) -> None:
    """Store what each email was made with, in one statement for the batch."""
    if not messages:
        return
    columns = ("to_email", "subject", "offer_code", "smtp_message_id")
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(messages))
    assignments = ", ".join(f"{column} = v.{column}" for column in columns)
    params = [value for m in messages for value in (m.pk, *(getattr(m, c) for c in columns))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v (id, {', '.join(columns)}) AS (VALUES {values}) "
            f"UPDATE campaigns_message SET {assignments} FROM v "
            "WHERE campaigns_message.id = v.id",
            params,
        )


def email_make(
    message: Message, claimed: Claimed, context: dict
) -> tuple[CampaignEmail, list[str]]:
    """``message``'s email as it is sent, and the URLs its click tokens name by position.

    Sets ``to_email``, ``subject``, ``offer_code`` and ``smtp_message_id`` on ``message``
    (in memory: :func:`batch_prepare` stores them for the batch); writes nothing.
    """
    rendered = email_render(variant=message.variant, context=context)
    finished = email_finish(
        message_id=message.pk,
        customer_id=message.customer_id,
        language=claimed.language or settings.LANGUAGE_CODE,
        rendered=rendered,
    )
    # A resend after a kill keeps the first Message-ID: a receiver that saw it may drop it.
    message.smtp_message_id = message.smtp_message_id or make_msgid(domain=_domain())
    message.to_email = claimed.email
    message.subject = finished.email.subject[:250]
    message.offer_code = str(context.get("offer_code", ""))[:32]
    campaign = message.campaign
    email = CampaignEmail(
        subject=finished.email.subject,
        body=finished.email.text,
        from_email=campaign.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[claimed.email],
        reply_to=[campaign.reply_to] if campaign.reply_to else None,
        headers={"Message-ID": message.smtp_message_id, **finished.headers},
    )
    if finished.email.html:
        email.attach_alternative(finished.email.html, "text/html")
    return email, finished.links


def _domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"
