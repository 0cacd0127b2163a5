"""Claim a batch of due messages and decide, set-based, which of them may be sent.

One transaction per batch: pick the due messages of active campaigns (most important
first; ``FOR UPDATE SKIP LOCKED``, so senders never wait for each other's rows), read the
facts of every one of them in one query, mark the suppressed ones with their reason and the
rest ``sending`` under a lease. Claims take turns on one row lock, so two senders never
both clear a customer's last message under the frequency cap.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from campaigns.cursors import cursor_locked
from campaigns.models import Campaign, Message
from campaigns.outbox.decisions import SendFacts, suppressed_reason

CLAIM_LOCK = "outbox_claims"

DUE = """
    SELECT m.id FROM campaigns_message m
    WHERE m.status = 'pending' AND m.due_at <= %(now)s AND m.campaign_id IN ({campaigns})
    ORDER BY m.priority DESC, m.id
    LIMIT %(limit)s
"""

# The cap's two counts are each anchored on the customer (message_customer_sent_idx and
# message_leased_idx): one count with an OR of both let the planner scan a campaign's
# whole history per message, seconds per batch at 100,000 messages.
FACTS = """
    SELECT m.id, m.customer_id, c.kind, c.trigger,
           COALESCE(cu.email, ''),
           COALESCE(cu.marketing_consent, FALSE),
           cu.unsubscribed_at IS NOT NULL,
           EXISTS (
               SELECT 1 FROM campaigns_suppression x WHERE LOWER(x.email) = LOWER(cu.email)
           ),
           EXISTS (
               SELECT 1 FROM customers_order o
               WHERE o.customer_id = m.customer_id AND o.placed_at > m.triggered_at
                 AND o.status = 'completed'
           ),
           CASE WHEN s.kind = 'custom' THEN EXISTS (
               SELECT 1 FROM customers_customsegmentmembership cm
               WHERE cm.segment_id = c.segment_id AND cm.customer_id = m.customer_id
           ) ELSE EXISTS (
               SELECT 1 FROM customers_customersegment cs
               WHERE cs.customer_id = m.customer_id AND cs.segment_id = c.segment_id
           ) END,
           (
               SELECT COUNT(*) FROM campaigns_message r
               WHERE r.customer_id = m.customer_id AND r.sent_at > %(window)s
                 AND r.campaign_id IN (SELECT id FROM campaigns_campaign WHERE kind = 'marketing')
           ) + (
               SELECT COUNT(*) FROM campaigns_message r
               WHERE r.customer_id = m.customer_id AND r.status = 'sending' AND r.id <> m.id
                 AND r.campaign_id IN (SELECT id FROM campaigns_campaign WHERE kind = 'marketing')
           ),
           COALESCE(cu.language, ''),
           cu.id IS NULL OR cu.erased_at IS NOT NULL
    FROM campaigns_message m
    JOIN campaigns_campaign c ON c.id = m.campaign_id
    LEFT JOIN customers_segment s ON s.id = c.segment_id
    LEFT JOIN customers_customer cu ON cu.id = m.customer_id
    WHERE m.id IN ({ids})
    ORDER BY m.priority DESC, m.id
"""


@dataclass(frozen=True)
class Claimed:
    """A message cleared to send, with what the sender needs to address it."""

    message_id: int
    customer_id: int
    email: str
    language: str


@dataclass
class Claim:
    """One claimed batch: the messages to send, how many were suppressed, and the lease
    its messages hold (their ``lease_until``). The sender finds each message by its key
    and this lease, never by its status (see ``campaigns.outbox.send.STILL_SENDABLE``)."""

    to_send: list[Claimed]
    suppressed: int
    lease: datetime | None = None


def messages_claim(*, limit: int, now: datetime | None = None) -> Claim:
    """Claim up to ``limit`` due messages; see the module docstring."""
    now = now or timezone.now()
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor_locked(CLAIM_LOCK)
        ids = _due_ids(cursor, limit=limit, now=now)
        if not ids:
            return Claim(to_send=[], suppressed=0)
        window = now - timedelta(days=settings.CAMPAIGN_CAP_DAYS)
        cursor.execute(
            FACTS.format(ids=", ".join(["%(id" + str(i) + ")s" for i in range(len(ids))])),
            {"window": _db_time(window), **{f"id{i}": pk for i, pk in enumerate(ids)}},
        )
        rows = cursor.fetchall()
        to_send, suppressed = _decide(rows)
        for reason, message_ids in suppressed.items():
            Message.objects.filter(pk__in=message_ids).update(
                status=Message.Status.SUPPRESSED, suppressed_reason=reason, lease_until=None
            )
        lease = now + timedelta(seconds=settings.CAMPAIGN_SEND_LEASE_SECONDS)
        Message.objects.filter(pk__in=[m.message_id for m in to_send]).update(
            status=Message.Status.SENDING, lease_until=lease, attempts=F("attempts") + 1
        )
    return Claim(to_send=to_send, suppressed=sum(len(v) for v in suppressed.values()), lease=lease)


def active_campaign_ids() -> list[int]:
    """The active campaigns' ids, for queries on their messages to name.

    Read first rather than joined: joined, the status's small selectivity made the planner
    sort every pending message of every campaign (a sequential scan of the whole table per
    batch) instead of reading the first few from message_due_idx.
    """
    return list(Campaign.objects.filter(status=Campaign.Status.ACTIVE).values_list("id", flat=True))


def _due_ids(cursor: Any, *, limit: int, now: datetime) -> list[int]:
    campaigns = active_campaign_ids()
    if not campaigns:
        return []
    sql = DUE.format(campaigns=", ".join(f"%(c{i})s" for i in range(len(campaigns))))
    if connection.vendor == "postgresql":
        sql += " FOR UPDATE OF m SKIP LOCKED"
    named = {f"c{i}": pk for i, pk in enumerate(campaigns)}
    cursor.execute(sql, {"now": _db_time(now), "limit": limit, **named})
    return [row[0] for row in cursor.fetchall()]


def _decide(rows: list[tuple[Any, ...]]) -> tuple[list[Claimed], dict[str, list[int]]]:
    cap = settings.CAMPAIGN_CAP_MESSAGES
    cleared: dict[int, int] = {}  # customer id → messages of this batch cleared for them
    to_send: list[Claimed] = []
    suppressed: dict[str, list[int]] = {}
    for row in rows:
        facts = SendFacts(
            message_id=row[0],
            customer_id=row[1],
            campaign_kind=row[2],
            trigger=row[3],
            email=row[4],
            marketing_consent=bool(row[5]),
            unsubscribed=bool(row[6]),
            address_suppressed=bool(row[7]),
            ordered_since_trigger=bool(row[8]),
            still_in_segment=bool(row[9]),
            recent_marketing=int(row[10]),
            erased=bool(row[12]),
        )
        already = cleared.get(facts.customer_id, 0)
        reason = suppressed_reason(facts, sending_to_customer=already, cap=cap)
        if reason is not None:
            suppressed.setdefault(reason, []).append(facts.message_id)
            continue
        if facts.campaign_kind == "marketing":
            cleared[facts.customer_id] = already + 1
        to_send.append(Claimed(facts.message_id, facts.customer_id, facts.email, row[11]))
    return to_send, suppressed


def _db_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)
