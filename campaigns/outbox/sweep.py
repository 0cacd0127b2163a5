"""The sweeper's reads and its one write: nothing claimed or due is ever forgotten.

A sending task lost with the broker (a Redis restart) or a worker killed mid-batch leaves
messages ``pending`` with no task to send them, or ``sending`` under a lease nobody will
finish. Run every minute, the sweeper hands expired leases back and says what work is
waiting, so the tasks are queued again: a lost message delays a send, never loses it.
"""

from datetime import datetime

from django.db import connection

from campaigns.models import Campaign, Message, TriggerCursor
from campaigns.outbox.claim import active_campaign_ids
from campaigns.triggers.step import TIER_CHANGES


def leases_expire(*, now: datetime) -> int:
    """Put messages whose sender's lease ran out back to ``pending``; how many."""
    return Message.objects.filter(status=Message.Status.SENDING, lease_until__lt=now).update(
        status=Message.Status.PENDING, lease_until=None
    )


def messages_due(*, now: datetime) -> bool:
    """Whether an active campaign has a message due.

    The active campaigns are named by id, as the claim does (``active_campaign_ids``):
    joined in, a paused campaign's million pending messages could be scanned each minute.
    """
    active = active_campaign_ids()
    return bool(active) and (
        Message.objects.filter(
            status=Message.Status.PENDING, due_at__lte=now, campaign_id__in=active
        ).exists()
    )


def triggers_waiting(*, now: datetime) -> bool:
    """Whether the trigger step has events to act on: transitions not yet claimed, tier
    changes past its cursor, or a broadcast (or an activation's enrolment) due."""
    if Campaign.objects.filter(
        status__in=[Campaign.Status.ACTIVE, Campaign.Status.PAUSED], members_due_at__lte=now
    ).exists():
        return True
    cursor_row = TriggerCursor.objects.filter(source=TIER_CHANGES).first()
    last_tier_change = cursor_row.last_id if cursor_row else 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM customers_segmenttransition "
            "WHERE processed_at IS NULL) OR EXISTS (SELECT 1 FROM "
            "customers_loyaltytierchange WHERE id > %s)",
            [last_tier_change],
        )
        return bool(cursor.fetchone()[0])
