"""Invite customers to surveys, set-based: manually, and the daily step of the triggers.

A send is one transaction: under one lock (the throttle spans every survey, so two sends
must not both invite a customer), the candidates' skip reasons are counted in one query,
the eligible ones read in another, their invitations written in batches (a salt and token
hash each, made here: the token needs ``SECRET_KEY``), and the send's invitations enrolled
in the survey's campaign by one statement (``campaigns.services.direct``), which queues
their emails. The send's ``trigger_ref`` names the invitations and the campaign's
assignments alike, so a step run twice invites nobody twice.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from campaigns.services.direct import direct_campaign_enrol
from clvcrm.core.audit import audit_record
from customers.models import Segment
from feedback import audience
from feedback.models import Invitation, Survey, SurveyTrigger
from feedback.tokens import salt_and_hash_new

logger = logging.getLogger(__name__)

WRITE_BATCH = 5_000
# One lock for every send (PostgreSQL; SQLite serialises writers anyway).
LOCK_KEY = 0x46454544  # "FEED"

SEND_INVITATIONS = """
    SELECT %(campaign)s AS campaign_id, i.customer_id AS customer_id,
           i.trigger_ref AS trigger_ref, i.created_at AS triggered_at
    FROM feedback_invitation i
    WHERE i.survey_id = %(survey)s AND i.trigger_ref = %(ref)s
"""


@dataclass
class InviteOutcome:
    """What one send did: invitations made and emails queued, and the skipped by reason."""

    survey_id: int
    invited: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


def survey_invite(
    *,
    survey_id: int,
    segment_code: str | None = None,
    customer_ids: Sequence[int] | None = None,
    actor: Any = None,
) -> InviteOutcome:
    """Invite a segment's members (default or custom, by code) or a list of customers now.

    Exactly one of ``segment_code`` and ``customer_ids``. ValidationError for an unknown
    segment, or a survey that is not active now. A staff ``actor`` is recorded in the
    audit log with what the send did.
    """
    if (segment_code is None) == (customer_ids is None):
        raise ValidationError("Name either a segment or a list of customers.")
    with transaction.atomic(durable=True):
        survey = Survey.objects.select_for_update().get(pk=survey_id)
        now = timezone.now()
        if not survey.is_active_at(now):
            raise ValidationError("The survey is not active now.")
        if segment_code is not None:
            segment = Segment.objects.filter(code=segment_code).first()
            if segment is None:
                raise ValidationError({"segment": f"No segment {segment_code!r}."})
            candidates = audience.segment_members(segment)
        else:
            candidates = audience.customer_list(customer_ids or [])
        outcome = _send(survey, candidates, ref=f"manual:{now:%Y%m%dT%H%M%S%f}", now=now)
        if actor is not None:
            asked = (
                {"segment": segment_code}
                if customer_ids is None
                else {"customers": len(customer_ids)}
            )
            changes = {**asked, "invited": outcome.invited, "skipped": outcome.skipped}
            audit_record(actor=actor, action="survey.invite", target=survey, changes=changes)
        return outcome


def surveys_invite_due(*, now: datetime | None = None) -> list[InviteOutcome]:
    """The daily step: each active after-order survey invites the customers whose completed
    orders are now ``after_order_days`` old, and each periodic survey that is due invites
    its segment. One transaction per survey; safe to run twice (see the module)."""
    now = now or timezone.now()
    outcomes: list[InviteOutcome] = []
    after_order = Survey.objects.filter(trigger=SurveyTrigger.AFTER_ORDER)
    periodic = Survey.objects.filter(trigger=SurveyTrigger.PERIODIC, next_run_at__lte=now)
    sends = [(pk, _after_order_send) for pk in after_order.values_list("id", flat=True)]
    sends += [(pk, _periodic_send) for pk in periodic.values_list("id", flat=True)]
    for survey_id, send in sends:
        try:
            outcome = send(survey_id, now)
        except ValidationError as exc:
            # A survey whose campaign was finished by hand: the others still invite.
            logger.warning("survey %s invites nobody: %s", survey_id, "; ".join(exc.messages))
            continue
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _after_order_send(survey_id: int, now: datetime) -> InviteOutcome | None:
    """Orders placed from where the last run stopped (first run: the start of the day
    ``after_order_days`` ago) to the end of that day, in the shop's time zone."""
    with transaction.atomic(durable=True):
        survey = Survey.objects.select_for_update().get(pk=survey_id)
        if not survey.is_active_at(now) or survey.after_order_days is None:
            return None
        order_day = timezone.localdate(now) - timedelta(days=survey.after_order_days)
        end = _day_start(order_day + timedelta(days=1))
        start = survey.orders_through or _day_start(order_day)
        if start >= end:
            return None  # already ran today
        candidates = audience.completed_orders_between(start, end)
        outcome = _send(survey, candidates, ref=f"after_order:{order_day:%Y%m%d}", now=now)
        survey.orders_through = end
        survey.save(update_fields=["orders_through"])
    return outcome


def _periodic_send(survey_id: int, now: datetime) -> InviteOutcome | None:
    with transaction.atomic(durable=True):
        survey = Survey.objects.select_for_update().get(pk=survey_id)
        due = survey.next_run_at
        if due is None or due > now or survey.segment_id is None or not survey.every_days:
            return None  # another run sent it
        outcome = None
        if survey.is_active_at(now):
            segment = Segment.objects.get(pk=survey.segment_id)
            candidates = audience.segment_members(segment)
            outcome = _send(survey, candidates, ref=f"periodic:{due:%Y%m%dT%H%M%S}", now=now)
        step = timedelta(days=survey.every_days)
        upcoming = due + step
        while upcoming <= now:  # a pause or an outage skips the missed sends, not repeats them
            upcoming += step
        survey.next_run_at = upcoming
        survey.save(update_fields=["next_run_at"])
    return outcome


def _send(
    survey: Survey, candidates: audience.Candidates, *, ref: str, now: datetime
) -> InviteOutcome:
    """Invite the eligible candidates under ``ref``; see the module docstring."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        since = now - timedelta(days=survey.throttle_days_effective())
        skipped = audience.skipped_count(cursor, candidates, throttle_since=since)
        eligible = audience.eligible_ids(cursor, candidates, throttle_since=since)
    expires_at = now + timedelta(days=settings.FEEDBACK_INVITATION_DAYS)
    for start in range(0, len(eligible), WRITE_BATCH):
        Invitation.objects.bulk_create(
            [
                _invitation(survey, customer_id, ref, now, expires_at)
                for customer_id in eligible[start : start + WRITE_BATCH]
            ],
            ignore_conflicts=True,
        )
    invited = 0
    if eligible:
        invited = direct_campaign_enrol(
            campaign_id=survey.campaign_id,
            source=SEND_INVITATIONS,
            params={"campaign": survey.campaign_id, "survey": survey.pk, "ref": ref},
        )
    return InviteOutcome(survey_id=survey.pk, invited=invited, skipped=skipped)


def _invitation(
    survey: Survey, customer_id: int, ref: str, now: datetime, expires_at: datetime
) -> Invitation:
    salt, token_hash = salt_and_hash_new()
    return Invitation(
        survey=survey,
        customer_id=customer_id,
        salt=salt,
        token_hash=token_hash,
        trigger_ref=ref,
        expires_at=expires_at,
        created_at=now,
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
