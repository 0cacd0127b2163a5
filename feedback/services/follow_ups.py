"""The promoter follow-up email: a survey's review or referral ask to its promoters.

It is the single variant of a second direct campaign the survey owns, of kind
``marketing``: a review or referral ask is promotional, so the outbox sends it only to
customers who consented to marketing, counts it in the marketing frequency cap and keeps
the global control group out (``campaigns.triggers.enrol``). Promoters (score 9–10) who
answered after the follow-up was configured, within :data:`FOLLOW_UP_WITHIN_DAYS`, are
enrolled set-based, one statement per survey; ``response:<id>`` is the trigger, so the
outbox's unique key enrols each response once however often the step runs.
"""

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignKind
from campaigns.services.direct import (
    direct_campaign_create,
    direct_campaign_enrol,
    direct_campaign_finish,
    direct_campaign_update,
)
from feedback.models import Response, Survey
from feedback.nps import PROMOTER_FROM

logger = logging.getLogger(__name__)

FOLLOW_UP_NAME_PREFIX = "Promoter follow-up: "
FOLLOW_UP_VARIANT = "Follow-up"
CONTENT_FIELDS = ("subject", "body_text", "body_html")
# A promoter is asked soon after answering or not at all; the margin covers missed runs.
FOLLOW_UP_WITHIN_DAYS = 14
MAX_RESPONSE_IDS = 10_000

PROMOTER_RESPONSES = """
    SELECT s.follow_up_campaign_id AS campaign_id, r.customer_id AS customer_id,
           'response:' || CAST(r.id AS TEXT) AS trigger_ref, r.answered_at AS triggered_at
    FROM feedback_response r
    JOIN feedback_survey s ON s.id = r.survey_id
    WHERE r.survey_id = %(survey)s AND s.follow_up_campaign_id = %(campaign)s
      AND r.score >= %(promoter_from)s AND r.answered_at >= %(since)s
"""


def follow_up_configure(
    *, survey: Survey, content: Mapping[str, str] | None, created_by: Any = None
) -> None:
    """Give ``survey`` (locked by the caller, saved by it) the follow-up ``content``
    (``subject``, ``body_text``, optional ``body_html``), or none (``None``).

    A first content creates the active marketing campaign; a later one changes its
    variant; ``None`` finishes the campaign (its pending emails are suppressed) and
    detaches it. ValidationError under ``promoter_follow_up`` for a template that does
    not compile. Joins the caller's transaction.
    """
    try:
        if content is None:
            if survey.follow_up_campaign_id is not None:
                direct_campaign_finish(campaign_id=survey.follow_up_campaign_id)
                survey.follow_up_campaign = None
            return
        variant = {name: content.get(name, "") for name in CONTENT_FIELDS}
        if survey.follow_up_campaign_id is not None:
            direct_campaign_update(campaign_id=survey.follow_up_campaign_id, variant=variant)
            return
        survey.follow_up_campaign = direct_campaign_create(
            name=_free_name(survey.name),
            kind=CampaignKind.MARKETING,
            variant={"name": FOLLOW_UP_VARIANT, **variant},
            created_by=created_by,
        )
    except ValidationError as exc:
        raise ValidationError({"promoter_follow_up": _plain(exc.messages)}) from exc


def follow_up_rename(*, survey: Survey) -> None:
    """Name the survey's follow-up campaign after the survey's (new) name."""
    if survey.follow_up_campaign_id is None:
        return
    try:
        name = _free_name(survey.name, other_than=survey.follow_up_campaign_id)
        direct_campaign_update(campaign_id=survey.follow_up_campaign_id, name=name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc


def follow_up_content(survey: Survey) -> dict[str, str] | None:
    """The follow-up's subject and bodies (one query), or None without a follow-up."""
    if survey.follow_up_campaign_id is None:
        return None
    campaign = Campaign.objects.get(pk=survey.follow_up_campaign_id)
    variant = campaign.variants.get()
    return {name: getattr(variant, name) for name in CONTENT_FIELDS}


def promoter_follow_ups_enrol(
    *, survey_id: int | None = None, response_ids: Sequence[int] | None = None
) -> int:
    """Enrol the promoters of surveys with a follow-up (all, one ``survey_id``, or those
    of ``response_ids``) into each survey's follow-up campaign; how many were enrolled.

    One transaction and one set-based enrolment per survey; a response already enrolled
    is skipped by the outbox's unique key, so running it twice enrols nobody twice. A
    survey whose follow-up campaign was finished by hand is logged and passed over.
    """
    if response_ids is not None and not response_ids:
        return 0
    if response_ids is not None and len(response_ids) > MAX_RESPONSE_IDS:
        raise ValidationError({"response_ids": f"At most {MAX_RESPONSE_IDS:,} at once."})
    surveys = Survey.objects.filter(follow_up_campaign__isnull=False)
    if survey_id is not None:
        surveys = surveys.filter(pk=survey_id)
    if response_ids is not None:
        answered = Response.objects.filter(pk__in=response_ids).values("survey_id")
        surveys = surveys.filter(pk__in=answered)
    enrolled = 0
    for pk, campaign_id in surveys.values_list("pk", "follow_up_campaign_id").order_by("pk"):
        try:
            enrolled += _enrol(pk, campaign_id, response_ids)
        except ValidationError as exc:
            logger.warning("survey %s follows up nobody: %s", pk, "; ".join(exc.messages))
    return enrolled


def _enrol(survey_id: int, campaign_id: int, response_ids: Sequence[int] | None) -> int:
    with transaction.atomic(durable=True):
        campaign = Campaign.objects.get(pk=campaign_id)
        started = campaign.activated_at or campaign.created_at
        since = max(started, timezone.now() - timedelta(days=FOLLOW_UP_WITHIN_DAYS))
        params: dict[str, Any] = {
            "survey": survey_id,
            "campaign": campaign_id,
            "promoter_from": PROMOTER_FROM,
            "since": connection.ops.adapt_datetimefield_value(since),
        }
        source = PROMOTER_RESPONSES
        if response_ids is not None:
            ids = sorted(set(response_ids))
            source += " AND r.id IN ({})".format(", ".join(f"%(r{i})s" for i in range(len(ids))))
            params.update({f"r{i}": pk for i, pk in enumerate(ids)})
        return direct_campaign_enrol(campaign_id=campaign_id, source=source, params=params)


def _free_name(survey_name: str, *, other_than: int | None = None) -> str:
    """The follow-up campaign's name; a finished earlier follow-up of a survey of that
    name keeps its own, so a new one is told apart by the date."""
    name = f"{FOLLOW_UP_NAME_PREFIX}{survey_name}"[:200]
    taken = Campaign.objects.filter(name=name)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if taken.exists():
        name = f"{name[:180]} ({timezone.now():%Y-%m-%d %H:%M:%S})"
    return name


def _plain(messages: list[str]) -> list[str]:
    """The campaign's variant errors without "Variant 1, " (the follow-up has one)."""
    return [message.removeprefix("Variant 1, ").removeprefix("Variant 1: ") for message in messages]
