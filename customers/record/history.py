"""The customer page's histories: segment moves, and marketing consent over time.

Each is one query over an index of the customer's own rows, capped at :data:`HISTORY_LIMIT`
rows, so the page costs the same for a customer of one run or of a thousand.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import QuerySet

from clvcrm.core.models import AuditEntry
from customers.models import Customer, SegmentTransition

HISTORY_LIMIT = 20
CONSENT_FIELD = "marketing_consent"


def segment_history(customer_id: int) -> list[SegmentTransition]:
    """The customer's latest :data:`HISTORY_LIMIT` segment moves, newest first, with both
    segments and the run (its as-of day): one query, a range of the ``(customer, run)``
    unique index."""
    rows: QuerySet[SegmentTransition] = (
        SegmentTransition.objects.filter(customer_id=customer_id)
        .select_related("from_segment", "to_segment", "run")
        .order_by("-created_at", "-id")
    )
    return list(rows[:HISTORY_LIMIT])


@dataclass(frozen=True)
class ConsentEvent:
    """One moment of the customer's marketing consent, for the page's timeline."""

    at: datetime
    kind: str  # acquired, given, withdrawn, unsubscribed, erased
    text: str
    by: str = ""  # the staff member, for a change they made


def consent_history(customer: Customer) -> list[ConsentEvent]:
    """The customer's consent timeline, newest first: when they were acquired, each change
    of marketing consent a staff member made (the audit log, which records that field's
    values: they are not personal), when they unsubscribed (the link in an email) and when
    their data was erased. One query (the audit log's target index); the rest is on the row.

    Consent written by an import, a webhook or an API call without a staff user is not in
    the audit log, so the timeline shows only staff changes between the other moments.
    """
    entries = (
        AuditEntry.objects.filter(
            target_type=Customer._meta.label_lower,
            target_id=str(customer.pk),
            changes__has_key=CONSENT_FIELD,
        )
        .only("at", "actor_name", "action", "changes")
        .order_by("-at", "-id")
    )
    events = [_audited(entry) for entry in entries[:HISTORY_LIMIT]]
    events.append(ConsentEvent(_start_of(customer.acquired_on), "acquired", "Became a customer."))
    if customer.unsubscribed_at and customer.unsubscribed_at != customer.erased_at:
        events.append(
            ConsentEvent(
                customer.unsubscribed_at,
                "unsubscribed",
                "Unsubscribed from marketing email (the link in an email).",
            )
        )
    if customer.erased_at:
        events.append(
            ConsentEvent(
                customer.erased_at,
                "erased",
                "Personal data erased (a privacy request): consent withdrawn, unsubscribed.",
            )
        )
    return sorted(events, key=lambda event: event.at, reverse=True)


# Where a staff member changed the consent, by the audit log's action.
CONSENT_ACTIONS = {
    "customer.update": "the profile page or the API",
    "customers.customer.change": "the admin",
    "customers.customer.add": "the admin",
}


def _audited(entry: AuditEntry) -> ConsentEvent:
    change = entry.changes.get(CONSENT_FIELD)
    before, after = change if isinstance(change, list) and len(change) == 2 else (None, None)
    given = after is True
    if before is None:  # recorded with a new customer
        text = "Created with marketing consent" if given else "Created without marketing consent"
    else:
        text = "Marketing consent given" if given else "Marketing consent withdrawn"
    how = CONSENT_ACTIONS.get(entry.action, entry.action)
    return ConsentEvent(
        entry.at, "given" if given else "withdrawn", f"{text} ({how}).", entry.actor_name
    )


def _start_of(day: date) -> datetime:
    """The acquisition day as a moment, to sort among the others (the day has no time)."""
    return datetime.combine(day, time.min, tzinfo=UTC)
