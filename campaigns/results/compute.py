"""A campaign's results as of a moment, from a fixed handful of queries whatever its size:
the last assignment's time, every exposure with its revenue (``exposures``), the messages
by arm (``messages``); then the statistics (``compare``)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.db.models import Max

from campaigns.models import Assignment, Campaign, Message, Variant
from campaigns.results.compare import VariantComparison, assignment_check, variants_compare
from campaigns.results.exposures import ArmExposures, campaign_exposures
from campaigns.results.messages import MessageCounts, message_counts
from campaigns.statistics import SampleRatioCheck

NOBODY = ArmExposures(
    assigned=0,
    conversions=0,
    revenue=Decimal("0.00"),
    revenue_per_exposure=np.zeros(0),
    prior_spend=np.zeros(0),
)


@dataclass(frozen=True)
class ArmFigures:
    """One arm: ``variant`` ``None`` for the holdout, which has no messages and no
    comparison."""

    variant: Variant | None
    exposures: ArmExposures
    messages: MessageCounts
    comparison: VariantComparison | None


@dataclass(frozen=True)
class CampaignFigures:
    """Everything a results computation stores: the variants in creation order, then the
    holdout (when the campaign holds any out)."""

    computed_at: datetime
    attribution_days: int
    window_closes_at: datetime | None
    final: bool
    srm: SampleRatioCheck | None
    arms: list[ArmFigures]


def campaign_figures(campaign: Campaign, *, now: datetime) -> CampaignFigures:
    """The campaign's results as of ``now``: four queries (the variants, the last
    assignment, the exposures, the messages by arm)."""
    variants = list(Variant.objects.filter(campaign=campaign).order_by("id"))
    last_assigned = Assignment.objects.filter(campaign=campaign).aggregate(last=Max("assigned_at"))
    window = timedelta(days=campaign.attribution_days)
    closes_at = last_assigned["last"] + window if last_assigned["last"] else None
    exposures = campaign_exposures(
        campaign_id=campaign.pk, attribution_days=campaign.attribution_days, now=now
    )
    messages = message_counts(Message.objects.filter(campaign=campaign), "variant_id")
    holdout = exposures.get(None, NOBODY) if campaign.holdout_percent > 0 else None
    variant_exposures = [exposures.get(variant.pk, NOBODY) for variant in variants]
    comparisons = variants_compare(variant_exposures, holdout)
    arms = [
        ArmFigures(variant, exposed, messages.get(variant.pk, MessageCounts()), comparison)
        for variant, exposed, comparison in zip(
            variants, variant_exposures, comparisons, strict=True
        )
    ]
    if holdout is not None:
        arms.append(ArmFigures(None, holdout, MessageCounts(), None))
    return CampaignFigures(
        computed_at=now,
        attribution_days=campaign.attribution_days,
        window_closes_at=closes_at,
        final=closes_at is not None and now >= closes_at,
        srm=assignment_check(
            holdout_assigned=exposures.get(None, NOBODY).assigned,
            variants_assigned=[exposed.assigned for exposed in variant_exposures],
            holdout_percent=campaign.holdout_percent,
            weights=[variant.weight for variant in variants],
        ),
        arms=arms,
    )
