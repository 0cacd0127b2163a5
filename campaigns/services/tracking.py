"""What comes back from sent messages: opens, clicks, unsubscribes, bounces, complaints.

Opens and clicks are recorded as events, flagged when a machine made them
(``campaigns.tracking.machines`` says how); a human one also counts on the message with
single UPDATE statements (``F() + 1``, ``Coalesce`` for the first time), so concurrent
requests never lose a count.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import Message, MessageEvent, MessageLink, Suppression
from campaigns.tracking.machines import CLICK_BURST, machine_reason
from customers.services.customers import customer_unsubscribe

_USER_AGENT_LENGTH = MessageEvent._meta.get_field("user_agent").max_length or 400


@dataclass(frozen=True)
class Visit:
    """The request that reached a tracking link: what the machine rules look at."""

    method: str
    user_agent: str
    client_ip: str | None


def open_record(*, message_id: int, visit: Visit) -> MessageEvent | None:
    """Record an open of ``message_id`` (None: no such message); count it if human."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        message = Message.objects.filter(pk=message_id).only("id", "sent_at").first()
        if message is None:
            return None
        event = _event_create(message, MessageEvent.Kind.OPEN, visit, now)
        if not event.is_machine:
            Message.objects.filter(pk=message_id).update(
                opens=F("opens") + 1, first_opened_at=Coalesce("first_opened_at", Value(now))
            )
    return event


def click_record(*, message_id: int, position: int, visit: Visit) -> MessageLink | None:
    """Record a click on the link at ``position`` of ``message_id``; its link, or None when
    the message has no such link (nothing recorded then).

    The message row is locked for the click, so the clicks of one message are judged one
    after another and a scanner's burst is seen whole.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        link = MessageLink.objects.filter(message_id=message_id, position=position).first()
        if link is None:
            return None
        message = (
            Message.objects.select_for_update()
            .only("id", "sent_at", "first_opened_at")
            .get(pk=message_id)
        )
        event = _event_create(message, MessageEvent.Kind.CLICK, visit, now, link=link)
        if not event.is_machine and message.first_opened_at is None:
            _click_burst_flag(message, event, now)
        if not event.is_machine:
            Message.objects.filter(pk=message_id).update(
                clicks=F("clicks") + 1, first_clicked_at=Coalesce("first_clicked_at", Value(now))
            )
    return link


def _click_burst_flag(message: Message, event: MessageEvent, now: datetime) -> None:
    """Rule 6: clicks of an unopened message within CLICK_BURST of each other are a scan."""
    burst = MessageEvent.objects.filter(
        message=message, kind=MessageEvent.Kind.CLICK, occurred_at__gt=now - CLICK_BURST
    ).exclude(pk=event.pk)
    if not burst.exists():
        return
    uncounted = burst.filter(is_machine=False).update(is_machine=True, machine_reason="click_burst")
    MessageEvent.objects.filter(pk=event.pk).update(is_machine=True, machine_reason="click_burst")
    event.is_machine, event.machine_reason = True, "click_burst"
    if uncounted:
        first_human = (
            MessageEvent.objects.filter(
                message=OuterRef("pk"), kind=MessageEvent.Kind.CLICK, is_machine=False
            )
            .values("message")
            .annotate(first=Min("occurred_at"))
            .values("first")
        )
        Message.objects.filter(pk=message.pk).update(
            clicks=F("clicks") - uncounted, first_clicked_at=Subquery(first_human)
        )


def _event_create(
    message: Message,
    kind: str,
    visit: Visit,
    now: datetime,
    link: MessageLink | None = None,
) -> MessageEvent:
    reason = machine_reason(
        method=visit.method,
        user_agent=visit.user_agent,
        client_ip=visit.client_ip,
        sent_at=message.sent_at,
        occurred_at=now,
    )
    return MessageEvent.objects.create(
        message=message,
        kind=kind,
        link=link,
        is_machine=bool(reason),
        machine_reason=reason,
        user_agent=visit.user_agent[:_USER_AGENT_LENGTH],
        occurred_at=now,
    )


def unsubscribe_record(*, customer_id: int, message_id: int, user_agent: str) -> bool:
    """The customer's unsubscribe from the link of ``message_id``; False: no such customer.

    Sets ``unsubscribed_at`` (once: the first moment is kept) and, the first time, records
    an unsubscribe event on the message when it is still there and was sent to this
    customer. Committed before answering, so it holds before the next send's consent check.
    Asking again is harmless and answers True.
    """
    from customers.models import Customer

    with transaction.atomic(durable=True):
        if not customer_unsubscribe(customer_id=customer_id):
            return Customer.objects.filter(pk=customer_id).exists()
        if Message.objects.filter(pk=message_id, customer_id=customer_id).exists():
            MessageEvent.objects.create(
                message_id=message_id,
                kind=MessageEvent.Kind.UNSUBSCRIBE,
                user_agent=user_agent[:_USER_AGENT_LENGTH],
            )
    return True


def esp_event_record(
    *, kind: str, recipient: str, esp_message_id: str, detail: str
) -> Suppression | None:
    """A hard bounce or complaint reported by the email service (anymail's webhook).

    Suppresses ``recipient`` (lower-cased; kept as it is when already suppressed: the first
    reason stays) and records a bounce or complaint event on the message the service
    names: by the id it gave the message (``esp_message_id``) or by its Message-ID header
    (with or without angle brackets), if any.
    ``kind`` is ``MessageEvent.Kind.BOUNCE`` or ``COMPLAINT``. None: no recipient.
    """
    email = recipient.strip().lower()
    if not email:
        return None
    reason = (
        Suppression.Reason.COMPLAINT
        if kind == MessageEvent.Kind.COMPLAINT
        else Suppression.Reason.HARD_BOUNCE
    )
    bare = esp_message_id.strip().strip("<>")
    with transaction.atomic(durable=True):
        Suppression.objects.bulk_create(
            [Suppression(email=email, reason=reason, detail=detail)], ignore_conflicts=True
        )
        ids = [bare, f"<{bare}>"]
        message = (
            Message.objects.filter(Q(esp_message_id=bare) | Q(smtp_message_id__in=ids)).first()
            if bare
            else None
        )
        if message is not None:
            MessageEvent.objects.create(message=message, kind=kind)
    return Suppression.objects.filter(email__iexact=email).first()
