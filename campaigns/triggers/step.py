"""Run every source of entrants, in batches, each batch in the transaction that claims it."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.cursors import cursor_locked
from campaigns.models import Campaign, TriggerType
from campaigns.triggers import sources
from campaigns.triggers.enrol import enrol
from customers.models import Segment

TRANSITIONS = "segment_transitions"
TIER_CHANGES = "tier_changes"
ANALYZE_AFTER = 10_000  # assignments in one run


@dataclass
class TriggerOutcome:
    """What one run of the step did."""

    transitions: int = 0
    assigned: int = 0
    campaigns_enrolled: list[int] = field(default_factory=list)


def triggers_run(*, batch_size: int | None = None) -> TriggerOutcome:
    """Turn every pending event into assignments and messages; see the package docstring."""
    size = batch_size or settings.CAMPAIGN_TRIGGER_BATCH
    outcome = TriggerOutcome()
    while _transitions_batch(outcome, size):
        pass
    while _tier_upgrades_batch(outcome, size):
        pass
    for campaign_id in _live_ids(TriggerType.DOWNGRADE_WARNING):
        _downgrade_warnings(outcome, campaign_id)
    for campaign_id in _members_due_ids():
        _members_enrol(outcome, campaign_id)
    for campaign_id in _live_ids(TriggerType.SEGMENT_ENTERED, custom=True):
        _custom_entrants(outcome, campaign_id)
    if outcome.assigned >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # The senders' plans rest on these tables' statistics; autovacuum would refresh
        # them only after a while, and a first run can add a million rows at once.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE campaigns_assignment, campaigns_message")
    return outcome


def _transitions_batch(outcome: TriggerOutcome, size: int) -> bool:
    """Claim the next ``size`` pending segment transitions and act on them; False when
    there were none."""
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        lock = cursor_locked(TRANSITIONS)
        pending = "FROM customers_segmenttransition WHERE processed_at IS NULL"
        upto = _batch_end(cursor, pending, [], size)
        if upto is None:
            return False
        now = timezone.now()
        outcome.assigned += enrol(
            cursor, source=sources.SEGMENT_TRANSITIONS, params={"upto": upto}, now=now
        )
        cursor.execute(
            "UPDATE customers_segmenttransition SET processed_at = %s "
            "WHERE processed_at IS NULL AND id <= %s",
            [connection.ops.adapt_datetimefield_value(now), upto],
        )
        outcome.transitions += cursor.rowcount
        lock.last_id = upto
        lock.save(update_fields=["last_id", "updated_at"])
    return True


def _tier_upgrades_batch(outcome: TriggerOutcome, size: int) -> bool:
    """Act on the next ``size`` rows of the tier history past the cursor."""
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        lock = cursor_locked(TIER_CHANGES)
        past = "FROM customers_loyaltytierchange WHERE id > %s"
        upto = _batch_end(cursor, past, [lock.last_id], size)
        if upto is None:
            return False
        params = {"after": lock.last_id, "upto": upto}
        outcome.assigned += enrol(
            cursor, source=sources.TIER_UPGRADES, params=params, now=timezone.now()
        )
        lock.last_id = upto
        lock.save(update_fields=["last_id", "updated_at"])
    return True


def _downgrade_warnings(outcome: TriggerOutcome, campaign_id: int) -> None:
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        campaign = _live_locked(campaign_id)
        if campaign is None or campaign.activated_at is None:
            return
        # Flags raised since activation; with the current members, every flag up now.
        since = (
            datetime.min.date()
            if campaign.include_current_members
            else timezone.localdate(campaign.activated_at)
        )
        params: dict[str, Any] = {"campaign": campaign.pk, "since": since}
        params["now"] = connection.ops.adapt_datetimefield_value(timezone.now())
        outcome.assigned += enrol(
            cursor, source=sources.DOWNGRADE_WARNINGS, params=params, now=timezone.now()
        )


def _members_enrol(outcome: TriggerOutcome, campaign_id: int) -> None:
    """Enrol a segment's members now: a broadcast's due send, or an activation's."""
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        campaign = _live_locked(campaign_id)
        due = campaign.members_due_at if campaign else None
        if campaign is None or campaign.segment_id is None or due is None or due > timezone.now():
            return  # another run enrolled them, or it is not due
        segment = Segment.objects.get(pk=campaign.segment_id)
        custom = segment.kind == Segment.Kind.CUSTOM
        entering = campaign.trigger == TriggerType.SEGMENT_ENTERED
        if not entering or campaign.include_current_members:
            ref = "activation" if entering else f"broadcast:{due:%Y%m%dT%H%M%S%f}"
            params = {
                "campaign": campaign.pk,
                "segment": segment.pk,
                "ref": ref,
                "at": connection.ops.adapt_datetimefield_value(due),
            }
            source = sources.CUSTOM_MEMBERS if custom else sources.DEFAULT_MEMBERS
            outcome.assigned += enrol(cursor, source=source, params=params, now=timezone.now())
        if entering and custom:
            # Whoever is in the segment now has been seen: only later entrants trigger.
            cursor.execute(sources.AUDIENCE_ADD, {"campaign": campaign.pk, "segment": segment.pk})
        campaign.members_due_at = _next_broadcast(campaign, due)
        campaign.save(update_fields=["members_due_at", "updated_at"])
        outcome.campaigns_enrolled.append(campaign.pk)


def _custom_entrants(outcome: TriggerOutcome, campaign_id: int) -> None:
    """Entrants of a custom segment: members the campaign has not seen; then the seen set
    follows the segment (leavers removed, so a return is a new entry)."""
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        campaign = _live_locked(campaign_id)
        if campaign is None or campaign.members_due_at is not None:
            return  # its activation's enrolment seeds the seen set first
        params: dict[str, Any] = {"campaign": campaign.pk, "segment": campaign.segment_id}
        params["now"] = connection.ops.adapt_datetimefield_value(timezone.now())
        outcome.assigned += enrol(
            cursor, source=sources.CUSTOM_ENTRANTS, params=params, now=timezone.now()
        )
        cursor.execute(sources.AUDIENCE_ADD, params)
        cursor.execute(sources.AUDIENCE_PRUNE, params)


# --------------------------------------------------------------------------- helpers


def _batch_end(cursor: Any, rows: str, params: list[Any], size: int) -> int | None:
    """The id of the ``size``-th of ``rows`` (``FROM ... WHERE ...``) by id, or the last
    one's when there are fewer; ``None`` when there are none."""
    cursor.execute(f"SELECT id {rows} ORDER BY id LIMIT 1 OFFSET %s", [*params, size - 1])
    row = cursor.fetchone()
    if row is None:
        cursor.execute(f"SELECT MAX(id) {rows}", params)
        row = cursor.fetchone()
    return row[0] if row else None


def _live_locked(campaign_id: int) -> Campaign | None:
    return (
        Campaign.objects.select_for_update()
        .filter(pk=campaign_id, status__in=[Campaign.Status.ACTIVE, Campaign.Status.PAUSED])
        .first()
    )


def _live_ids(trigger: str, *, custom: bool = False) -> list[int]:
    live = Campaign.objects.filter(
        trigger=trigger, status__in=[Campaign.Status.ACTIVE, Campaign.Status.PAUSED]
    )
    if custom:
        live = live.filter(segment__kind=Segment.Kind.CUSTOM)
    return list(live.values_list("id", flat=True))


def _members_due_ids() -> list[int]:
    return list(
        Campaign.objects.filter(
            status__in=[Campaign.Status.ACTIVE, Campaign.Status.PAUSED],
            members_due_at__lte=timezone.now(),
        ).values_list("id", flat=True)
    )


def _next_broadcast(campaign: Campaign, due: datetime) -> datetime | None:
    if campaign.trigger != TriggerType.RECURRING_BROADCAST or not campaign.repeat_every_days:
        return None
    step = timedelta(days=campaign.repeat_every_days)
    upcoming = due + step
    while upcoming <= timezone.now():  # a long pause skips the missed sends, not repeats them
        upcoming += step
    return upcoming
