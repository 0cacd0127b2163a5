"""Create, edit, activate, pause, resume and finish campaigns.

``draft → active ⇄ paused → finished``. While a campaign is a draft, everything can change;
once activated its trigger, audience, holdout and variants' weights are fixed (they decide
who is in which arm, and part 2 compares the arms), while the content stays editable until
it finishes.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns.assignment import variant_ranges
from campaigns.content.validation import variant_template_errors
from campaigns.models import Campaign, Message, SuppressedReason, TriggerType, Variant
from campaigns.services.outbox import sending_start
from campaigns.services.triggers import CAMPAIGN_TRIGGERS_TASK
from clvcrm.core.audit import audit_diff, audit_record, audit_snapshot
from clvcrm.core.tasks import enqueue_on_commit
from customers.models import Segment

CONTENT_FIELDS = ("subject", "body_text", "body_html")
# What may change after activation (content and identity); the rest decides the arms.
LIVE_EDITABLE = {"name", "description", "priority", "from_email", "reply_to", "offer_code"}
SEGMENT_TRIGGERS = {
    TriggerType.SEGMENT_ENTERED,
    TriggerType.BROADCAST,
    TriggerType.RECURRING_BROADCAST,
}


def campaign_create(
    *, fields: Mapping[str, Any], variants: Sequence[Mapping[str, Any]], created_by: Any = None
) -> Campaign:
    """Create a draft campaign with its variants; ValidationError names each bad field.

    Joins the caller's transaction: the API's ``Idempotency-Key`` stores its answer in it.
    """
    with transaction.atomic():
        campaign = Campaign(**fields, created_by=created_by, status=Campaign.Status.DRAFT)
        campaign_check(campaign)
        campaign.save()
        _variants_write(campaign, variants)
        if created_by is not None:
            _audit(created_by, "campaign.create", campaign, {}, variants=len(variants))
    return campaign


def campaign_update(
    *,
    campaign_id: int,
    fields: Mapping[str, Any],
    variants: Sequence[Mapping[str, Any]] | None = None,
    actor: Any = None,
) -> Campaign:
    """Change a campaign; after activation only its content and identity may change.

    ``variants`` (when given) replaces a draft's variants, or, once active, updates the
    content of the variants it names. A staff ``actor`` is recorded in the audit log.
    """
    with transaction.atomic(durable=True):
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        before = audit_snapshot(campaign)
        if campaign.status == Campaign.Status.FINISHED:
            raise ValidationError("A finished campaign cannot be changed.")
        live = campaign.status != Campaign.Status.DRAFT
        frozen = sorted(set(fields) - LIVE_EDITABLE) if live else []
        if frozen:
            raise ValidationError(
                dict.fromkeys(frozen, "Fixed once the campaign has been activated.")
            )
        for name, value in fields.items():
            setattr(campaign, name, value)
        campaign_check(campaign)
        campaign.save()
        if variants is not None:
            if live:
                _variants_content_update(campaign, variants)
            else:
                campaign.variants.all().delete()
                _variants_write(campaign, variants)
        if actor is not None:
            written = {} if variants is None else {"variants": len(variants)}
            _audit(actor, "campaign.update", campaign, before, **written)
    return campaign


def campaign_activate(*, campaign_id: int, actor: Any = None) -> Campaign:
    """Activate a draft (fixing its arms) or resume a paused campaign.

    A draft broadcast, or a segment campaign that includes the current members, asks the
    trigger step to enrol the segment's members now. Resuming queues the sender: each
    message still pending is sent once.
    """
    with transaction.atomic(durable=True):
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        before = audit_snapshot(campaign)
        now = timezone.now()
        if campaign.status == Campaign.Status.DRAFT:
            _arms_fix(campaign)
            campaign.activated_at = now
            if _enrols_members_on_activation(campaign):
                campaign.members_due_at = now
        elif campaign.status != Campaign.Status.PAUSED:
            raise ValidationError(f"A campaign that is {campaign.status} cannot be activated.")
        campaign.status = Campaign.Status.ACTIVE
        campaign.paused_at = None
        campaign.save()
        if actor is not None:
            _audit(actor, "campaign.activate", campaign, before)
        enqueue_on_commit(CAMPAIGN_TRIGGERS_TASK)
        sending_start()
    return campaign


def campaign_pause(*, campaign_id: int, actor: Any = None) -> Campaign:
    """Pause an active campaign: it records entrants but sends nothing until resumed.

    A batch being sent stops before its next message (the sender checks the campaign
    before each one).
    """
    with transaction.atomic(durable=True):
        updated = Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.ACTIVE).update(
            status=Campaign.Status.PAUSED, paused_at=timezone.now(), updated_at=timezone.now()
        )
        campaign = Campaign.objects.get(pk=campaign_id)
        if not updated and campaign.status != Campaign.Status.PAUSED:
            raise ValidationError(f"A campaign that is {campaign.status} cannot be paused.")
        if updated and actor is not None:
            _audit(actor, "campaign.pause", campaign, {"status": Campaign.Status.ACTIVE})
    return campaign


def campaign_finish(*, campaign_id: int, actor: Any = None) -> Campaign:
    """Finish a campaign for good: no new entrants; what is still pending is suppressed
    (``campaign_finished``), so results count every assigned customer."""
    with transaction.atomic(durable=True):
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status not in (Campaign.Status.ACTIVE, Campaign.Status.PAUSED):
            raise ValidationError(f"A campaign that is {campaign.status} cannot be finished.")
        before = audit_snapshot(campaign)
        now = timezone.now()
        campaign.status = Campaign.Status.FINISHED
        campaign.finished_at = now
        campaign.members_due_at = None
        campaign.save()
        Message.objects.filter(campaign=campaign, status=Message.Status.PENDING).update(
            status=Message.Status.SUPPRESSED,
            suppressed_reason=SuppressedReason.CAMPAIGN_FINISHED,
        )
        if actor is not None:
            _audit(actor, "campaign.finish", campaign, before)
    return campaign


# --------------------------------------------------------------------------- helpers


def _audit(
    actor: Any, action: str, campaign: Campaign, before: dict[str, Any], **written: Any
) -> None:
    """The audit entry of a staff write: the campaign's fields that changed (a pause knows
    only the status it left) and what else it wrote (``variants=2``)."""
    after = audit_snapshot(campaign, fields=before or None)
    changes = {**audit_diff(before, after, model_label="campaigns.campaign"), **written}
    audit_record(actor=actor, action=action, target=campaign, changes=changes)


def campaign_check(campaign: Campaign, *, direct: bool = False) -> None:
    """Raise ValidationError, by field, for a campaign the services would not save (the
    admin runs it on what was typed, since it saves in a transaction of its own).

    ``direct``: the campaign is being made by :mod:`campaigns.services.direct`, the one
    writer of campaigns whose recipients another app enrols."""
    campaign.full_clean(exclude=["created_by"])
    errors: dict[str, str] = {}
    if campaign.trigger in SEGMENT_TRIGGERS and campaign.segment_id is None:
        errors["segment"] = "This trigger needs a segment."
    if campaign.trigger == TriggerType.RECURRING_BROADCAST and not campaign.repeat_every_days:
        errors["repeat_every_days"] = "A recurring broadcast needs the days between sends."
    if campaign.trigger == TriggerType.DIRECT and not direct:
        errors["trigger"] = "Only the app that enrols its recipients creates such a campaign."
    if campaign.offer_codes == "shared" and not campaign.offer_code:
        errors["offer_code"] = "A shared offer code needs the code."
    if errors:
        raise ValidationError(errors)


def _variants_write(campaign: Campaign, variants: Sequence[Mapping[str, Any]]) -> None:
    if not variants:
        raise ValidationError({"variants": "A campaign needs at least one variant."})
    # Checked here: _variant_check leaves the campaign out of full_clean, and with it the
    # (campaign, name) unique constraint, which the insert would meet as an IntegrityError.
    names = [data.get("name") for data in variants]
    twice = sorted({str(name) for name in names if names.count(name) > 1})
    if twice:
        raise ValidationError(
            {
                "variants": "Each variant needs its own name; used more than once: "
                f"{', '.join(twice)}."
            }
        )
    for position, data in enumerate(variants):
        variant = Variant(campaign=campaign, **data)
        _variant_check(variant, position)
        variant.save()


def _variants_content_update(campaign: Campaign, variants: Sequence[Mapping[str, Any]]) -> None:
    existing = {variant.name: variant for variant in campaign.variants.all()}
    for position, data in enumerate(variants):
        variant = existing.get(data.get("name", ""))
        if variant is None:
            raise ValidationError(
                {
                    "variants": f"Variant {position + 1}: no variant of that name; the arms are "
                    "fixed once the campaign has been activated."
                }
            )
        extra = sorted(set(data) - {"name", *CONTENT_FIELDS})
        if any(data[name] != getattr(variant, name) for name in extra):
            raise ValidationError(
                {"variants": f"Variant {variant.name}: only the content may change now."}
            )
        for name in CONTENT_FIELDS:
            if name in data:
                setattr(variant, name, data[name])
        _variant_check(variant, position)
        variant.save()


def _variant_check(variant: Variant, position: int) -> None:
    try:
        variant.full_clean(exclude=["campaign"])
    except ValidationError as exc:
        raise ValidationError(
            {"variants": [f"Variant {position + 1}: {message}" for message in exc.messages]}
        ) from exc
    errors = variant_template_errors(
        subject=variant.subject,
        body_text=variant.body_text,
        body_html=variant.body_html,
        kind=variant.campaign.kind,
    )
    if errors:
        raise ValidationError(
            {"variants": [f"Variant {position + 1}, {k}: {v}" for k, v in errors.items()]}
        )


def _arms_fix(campaign: Campaign) -> None:
    variants = list(campaign.variants.order_by("id"))
    if not variants:
        raise ValidationError("A campaign needs at least one variant to be activated.")
    ranges = variant_ranges(
        holdout_buckets=campaign.holdout_buckets, weights=[v.weight for v in variants]
    )
    for variant, (start, end) in zip(variants, ranges, strict=True):
        variant.bucket_from, variant.bucket_to = start, end
        variant.save(update_fields=["bucket_from", "bucket_to"])


def _enrols_members_on_activation(campaign: Campaign) -> bool:
    if campaign.trigger in (TriggerType.BROADCAST, TriggerType.RECURRING_BROADCAST):
        return True
    if campaign.trigger != TriggerType.SEGMENT_ENTERED or campaign.segment is None:
        return False
    # A custom segment has no transitions: its members now are enrolled (or, from now on
    # only, recorded as seen) so that only later members count as entrants.
    return campaign.include_current_members or campaign.segment.kind == Segment.Kind.CUSTOM
