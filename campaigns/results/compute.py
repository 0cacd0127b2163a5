"""A campaign's results as of a moment, from a fixed handful of queries whatever its size:
the last assignment's time, every exposure with its revenue (``exposures``), the messages
by arm (``messages``); then the statistics (``compare``)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max

from campaigns.models import Assignment, Campaign, Message, Variant, WinnerDecision
from campaigns.results.compare import VariantComparison, assignment_check, variants_compare
from campaigns.results.exposures import NOBODY, ArmExposures, campaign_exposures
from campaigns.results.messages import MessageCounts, message_counts
from campaigns.results.winner import Judgement, winner_judge
from campaigns.statistics import SampleRatioCheck


@dataclass(frozen=True)
class ArmFigures:
    """One arm: ``variant`` ``None`` for the holdout, which has no messages and no
    comparison."""

    variant: Variant | None
    exposures: ArmExposures
    messages: MessageCounts
    comparison: VariantComparison | None
    by_day: list[list[float]]


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
    winner: Judgement | None  # a decision to record now (automatic winner), if any


def campaign_figures(campaign: Campaign, *, now: datetime) -> CampaignFigures:
    """The campaign's results as of ``now``: five queries (the variants, the last
    assignment, the exposures and their orders, the messages by arm), two more with an
    automatic winner (whether it was decided; the counts before the decision)."""
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
        ArmFigures(
            variant,
            exposed,
            messages.get(variant.pk, MessageCounts()),
            comparison,
            exposed.by_day,
        )
        for variant, exposed, comparison in zip(
            variants, variant_exposures, comparisons, strict=True
        )
    ]
    if holdout is not None:
        arms.append(ArmFigures(None, holdout, MessageCounts(), None, holdout.by_day))
    decision = (
        WinnerDecision.objects.filter(campaign=campaign).first() if campaign.auto_winner else None
    )
    assigned = _assigned_for_ratio_check(campaign, decision, exposures)
    return CampaignFigures(
        computed_at=now,
        attribution_days=campaign.attribution_days,
        window_closes_at=closes_at,
        final=closes_at is not None and now >= closes_at,
        srm=assignment_check(
            holdout_assigned=assigned.get(None, 0),
            variants_assigned=[assigned.get(variant.pk, 0) for variant in variants],
            holdout_percent=campaign.holdout_percent,
            weights=[variant.weight for variant in variants],
        ),
        arms=arms,
        winner=(
            winner_judge(campaign, variants, exposures)
            if campaign.auto_winner and decision is None
            else None
        ),
    )


def _assigned_for_ratio_check(
    campaign: Campaign, decision: WinnerDecision | None, exposures: dict[int | None, ArmExposures]
) -> dict[int | None, int]:
    """Each arm's assignments the configured shares apply to: all of them, or, once a winner
    takes every new entrant, those made until the decision."""
    if decision is None or decision.winner_id is None:
        return {arm: exposed.assigned for arm, exposed in exposures.items()}
    rows = (
        Assignment.objects.filter(campaign=campaign, assigned_at__lte=decision.decided_at)
        .values("variant_id")
        .annotate(n=Count("id"))
        .values_list("variant_id", "n")
    )
    return dict(rows)
