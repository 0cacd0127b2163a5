"""Erase a customer's personal data; keep their orders and every figure made of them.

What happens to each table that mentions a customer is decided here by its name: kept
(:data:`KEPT`, with why), or changed by an eraser (:data:`ERASERS`); a test fails while a
table found by :func:`~clvcrm.workspace.privacy.tables.customer_tables` has neither. The
customer's row itself: email, names, phone and birthday emptied, marketing consent off,
unsubscribed, ``erased_at`` set; a shop id that is the address (a WooCommerce guest's) is
replaced. Country, language, channel and acquisition date stay: they are not personal on
their own and the cohorts, CAC by channel and the country filters count them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Model, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import Message, SuppressedReason
from clvcrm.core.audit import audit_record
from clvcrm.workspace.privacy.tables import TEXT_REFERENCES, Mentions, customer_tables
from customers.models import Customer, WebhookEvent

ERASED_TEXT = "(erased)"
ERASED_WEBHOOK_DETAIL = "Body emptied by a privacy request (erase) before it was processed."

# Tables whose rows of an erased customer stay as they are, and why.
KEPT: dict[str, str] = {
    "customers.order": "the sales: amounts, dates, statuses and the shop's order ids",
    "customers.orderline": "what was sold: products, quantities, amounts",
    "customers.customerscore": "the CLV figures (the aggregates are made of them)",
    "customers.customersegment": "segment sizes count it",
    "customers.segmenttransition": "the segment flows count it",
    "customers.customsegmentmembership": "custom segment sizes count it",
    "customers.loyaltystatus": "tier counts; no personal field",
    "customers.loyaltytierchange": "tier history; no personal field",
    "customers.pointsbalance": "points owed; no personal field",
    "campaigns.assignment": "a campaign's experiment: its arms' counts",
    "campaigns.audiencemember": "which custom-segment members a campaign has seen",
    "campaigns.messagelink": "the campaign's links (the same for every recipient)",
    "customers.shoprefund": "refund amounts of their orders; no personal field",
    "core.auditentry": "append-only, and it never holds a personal value (clvcrm.core.audit)",
}

Eraser = Callable[[QuerySet[Any], datetime], int]


def _clearing(**values: Any) -> Eraser:
    """An eraser that sets ``values`` on the rows that do not hold them already."""

    def erase(rows: QuerySet[Any], now: datetime) -> int:
        return int(rows.exclude(**values).update(**values))

    return erase


def _messages(rows: QuerySet[Any], now: datetime) -> int:
    """Messages not yet sent are suppressed (reason ``erased``); every message forgets its
    address, its rendered subject (it may greet them by name) and its last error (an SMTP
    server's answer names the address)."""
    waiting = Q(status__in=[Message.Status.PENDING, Message.Status.SENDING])
    personal = ~Q(to_email="") | ~Q(subject="") | ~Q(last_error="")
    changed = rows.filter(waiting | personal).update(
        status=_where(rows, waiting, Message.Status.SUPPRESSED, "status"),
        suppressed_reason=_where(rows, waiting, SuppressedReason.ERASED, "suppressed_reason"),
        lease_until=_where(rows, waiting, None, "lease_until"),
        to_email="",
        subject="",
        last_error="",
    )
    return int(changed)


def _where(rows: QuerySet[Any], condition: Q, value: Any, column: str) -> Case:
    """``value`` in the rows matching ``condition``, the column's own value elsewhere."""
    field = rows.model._meta.get_field(column)
    return Case(When(condition, then=Value(value)), default=F(column), output_field=field)


def _invitations(rows: QuerySet[Any], now: datetime) -> int:
    """An invitation's link stops working: no answer can be attached to them any more."""
    return int(rows.filter(expires_at__gt=now).update(expires_at=now))


def _deleting(rows: QuerySet[Any], now: datetime) -> int:
    return int(rows.delete()[0])


def _webhook_events(rows: QuerySet[Any], now: datetime) -> int:
    """The raw bodies are emptied as the retention empties them; one not processed yet is
    closed as not processed (its body is gone)."""
    pending = Q(processed_at__isnull=True)
    changed = rows.filter(pending | Q(body_removed_at__isnull=True)).update(
        body=b"",
        body_removed_at=Coalesce("body_removed_at", Value(now)),
        processed_at=Coalesce("processed_at", Value(now)),
        outcome=_where(rows, pending, WebhookEvent.Outcome.IGNORED, "outcome"),
        detail=_where(rows, pending, ERASED_WEBHOOK_DETAIL, "detail"),
    )
    return int(changed)


ERASERS: dict[str, Eraser] = {
    "customers.pointsentry": _clearing(reason=""),  # staff's words: may name them
    "campaigns.message": _messages,
    "campaigns.messageevent": _clearing(user_agent=""),
    "feedback.invitation": _invitations,
    "feedback.response": _clearing(comment=""),
    # By text: the address leaves the suppression list (the customer holds no address to
    # check it against any more); a report's cell and a raw body lose their values; an
    # API answer or a task failure naming the address goes.
    "campaigns.suppression": _deleting,
    "customers.importrejection": _clearing(value=""),
    "customers.webhookevent": _webhook_events,
    "core.idempotencykey": _deleting,
    "core.taskfailure": _deleting,
    # The notes and follow-up tasks of the customer record (when installed).
    "customers.customernote": _clearing(body=ERASED_TEXT),
    "customers.customertask": _clearing(title=ERASED_TEXT, description=""),
}


@dataclass(frozen=True)
class Erased:
    """What an erase did: rows changed per table (tables it changed nothing in are absent)."""

    customer_id: int
    erased_at: datetime
    already_erased: bool
    rows: dict[str, int]


def customer_erase(*, customer_id: int, actor: Any) -> Erased:
    """Erase customer ``customer_id``'s personal data everywhere, in one transaction, and
    record it in the audit log (``privacy.erase``, the rows changed per table, no values).

    Their orders, scores, segments, points and campaign exposure stay, so every aggregate
    stays the same; nothing is sent to them again (their waiting messages are suppressed
    with the reason ``erased``, and the trigger step, the senders and the survey audience
    skip erased customers). Erasing again is harmless: it changes what a later write may
    have added by text and records that. ``Customer.DoesNotExist`` if there is no such
    customer.
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        already = customer.erased_at is not None
        now = timezone.now()
        mentions = Mentions.of(customer)
        rows: dict[str, int] = {}
        for reference in TEXT_REFERENCES:
            _apply(reference.label, reference.model, reference.rows_of(mentions), now, rows)
        for table in customer_tables():
            if table.model is not Customer:
                _apply(table.label, table.model, table.rows_of(customer_id), now, rows)
        rows[Customer._meta.label_lower] = _customer_erase(customer, now)
        rows = {label: count for label, count in rows.items() if count}
        audit_record(
            actor=actor,
            action="privacy.erase",
            target=customer,
            changes={"rows": rows},
            note="Erased again." if already else "",
        )
        customer.refresh_from_db(fields=["erased_at"])
    assert customer.erased_at is not None
    return Erased(customer_id, customer.erased_at, already, rows)


def _apply(
    label: str, model: type[Model], rows: QuerySet[Any], now: datetime, counts: dict[str, int]
) -> None:
    eraser = ERASERS.get(label)
    if eraser is None:
        if label not in KEPT:  # the guard test keeps this from happening
            raise LookupError(f"{label}: the erase has no decision for this table")
        return
    # By primary key: an annotated or joined selection cannot be updated as it is.
    by_key = model._default_manager.filter(pk__in=rows.values("pk"))
    counts[label] = counts.get(label, 0) + eraser(by_key, now)


def _customer_erase(customer: Customer, now: datetime) -> int:
    """Empty the personal columns; 1 if this did it, 0 if they were empty already."""
    external_id = customer.external_id
    if "@" in external_id:  # a guest checkout keyed by its address
        external_id = f"erased-{customer.pk}"
    personal = Q(email="", first_name="", last_name="", phone="", birthday__isnull=True)
    changed = (
        Customer.objects.filter(pk=customer.pk)
        .exclude(personal & Q(erased_at__isnull=False, external_id=external_id))
        .update(
            email="",
            first_name="",
            last_name="",
            phone="",
            birthday=None,
            external_id=external_id,
            marketing_consent=False,
            unsubscribed_at=Coalesce("unsubscribed_at", Value(now)),
            erased_at=Coalesce("erased_at", Value(now)),
            updated_at=now,
        )
    )
    return int(changed)
