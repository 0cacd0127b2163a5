"""Campaigns whose recipients another app enrols itself (trigger ``direct``).

A survey's invitations, for one: the feedback app decides who is invited and when, and the
campaign machinery does the rest (one variant, no holdout; the outbox with its consent,
unsubscribe, suppression, retries and tracking). Both services join the caller's
transaction, so the caller's own rows and the enrolment commit together or not at all.
Nothing here knows which app calls it.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, Message, SuppressedReason, TriggerType
from campaigns.services.campaigns import (
    _arms_fix,
    _variants_content_update,
    _variants_write,
    campaign_check,
)
from campaigns.services.outbox import sending_start
from campaigns.triggers.enrol import enrol


def direct_campaign_create(
    *, name: str, kind: str, variant: Mapping[str, Any], created_by: Any = None
) -> Campaign:
    """Create an active campaign of ``kind`` with the one ``variant`` and no holdout.

    It enrols nobody by itself: :func:`direct_campaign_enrol` does. ValidationError by
    field (a taken name, a template that does not compile) as for any campaign.
    """
    with transaction.atomic():
        campaign = Campaign(
            name=name,
            kind=kind,
            trigger=TriggerType.DIRECT,
            holdout_percent=Decimal("0"),
            created_by=created_by,
            status=Campaign.Status.ACTIVE,
            activated_at=timezone.now(),
        )
        campaign_check(campaign, direct=True)
        campaign.save()
        _variants_write(campaign, [variant])
        _arms_fix(campaign)
    return campaign


def direct_campaign_enrol(*, campaign_id: int, source: str, params: Mapping[str, Any]) -> int:
    """Enrol the entrants ``source`` selects into the direct campaign ``campaign_id``.

    ``source`` is SQL selecting ``campaign_id, customer_id, trigger_ref, triggered_at``
    (see :mod:`campaigns.triggers.enrol`); an entrant already enrolled for that
    ``trigger_ref`` is skipped. Each new entrant gets an assignment and a pending message,
    and the senders start when the transaction commits. A marketing campaign still keeps
    the global control group out. Returns how many were enrolled.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.trigger != TriggerType.DIRECT:
            raise ValidationError("Not a campaign enrolled directly.")
        if campaign.status not in (Campaign.Status.ACTIVE, Campaign.Status.PAUSED):
            raise ValidationError(f"A campaign that is {campaign.status} enrols nobody.")
        with connection.cursor() as cursor:
            enrolled = enrol(cursor, source=source, params=dict(params), now=timezone.now())
        if enrolled:
            sending_start()
    return enrolled


def direct_campaign_update(
    *, campaign_id: int, name: str | None = None, variant: Mapping[str, Any] | None = None
) -> Campaign:
    """Rename the direct campaign ``campaign_id`` and/or change its one variant's content
    (``subject``, ``body_text``, ``body_html``), in the caller's transaction.

    ValidationError by field (a taken name, a template that does not compile) as for any
    campaign; a finished campaign may be renamed, its content no longer changes.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.trigger != TriggerType.DIRECT:
            raise ValidationError("Not a campaign enrolled directly.")
        if variant is not None and campaign.status == Campaign.Status.FINISHED:
            raise ValidationError("A finished campaign cannot be changed.")
        if name is not None and name != campaign.name:
            campaign.name = name
            campaign_check(campaign, direct=True)
            campaign.save()
        if variant is not None:
            (current,) = campaign.variants.all()
            _variants_content_update(campaign, [{**variant, "name": current.name}])
    return campaign


def direct_campaign_finish(*, campaign_id: int) -> None:
    """Finish the direct campaign ``campaign_id`` in the caller's transaction: it enrols
    nobody more, and its messages still pending are suppressed (``campaign_finished``)."""
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None or campaign.trigger != TriggerType.DIRECT:
        raise ValidationError("Not a campaign enrolled directly.")
    if campaign.status == Campaign.Status.FINISHED:
        return
    campaign.status = Campaign.Status.FINISHED
    campaign.finished_at = timezone.now()
    campaign.save()
    Message.objects.filter(campaign=campaign, status=Message.Status.PENDING).update(
        status=Message.Status.SUPPRESSED, suppressed_reason=SuppressedReason.CAMPAIGN_FINISHED
    )
