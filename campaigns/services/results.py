"""Campaign results: computed set-based (``campaigns.results``) and stored per computation,
so pages and the API read the latest and never scan orders."""

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from campaigns.models import (
    BUCKETS,
    ArmResult,
    Assignment,
    Campaign,
    ResultComputation,
    Variant,
    WinnerDecision,
)
from campaigns.results.compare import REVENUE_CAP_PERCENTILE, finite
from campaigns.results.compute import ArmFigures, campaign_figures
from campaigns.results.winner import Judgement
from campaigns.statistics import MeanComparison, ProportionComparison

logger = logging.getLogger(__name__)

# A campaign's computations kept (the latest first); older ones are deleted as new ones come.
COMPUTATIONS_KEPT = 100
CENT = Decimal("0.01")
LIVE = (Campaign.Status.ACTIVE, Campaign.Status.PAUSED)
# The comparisons' figures stored on ArmResult as conversion_<name> and revenue_<name>.
CONVERSION_FIGURES = (
    "absolute",
    "relative",
    "ci_low",
    "ci_high",
    "relative_ci_low",
    "relative_ci_high",
    "p_value",
)
REVENUE_FIGURES = (
    "absolute",
    "relative",
    "ci_low",
    "ci_high",
    "bootstrap_low",
    "bootstrap_high",
    "p_value",
    "cap",
    "theta",
)


@dataclass(frozen=True)
class ResultsRefresh:
    """What a refresh did: the campaigns computed and those that failed (logged)."""

    computed: list[int]
    failed: list[int]


def campaign_results_compute(*, campaign_id: int, now: datetime | None = None) -> ResultComputation:
    """Compute a campaign's results as of ``now`` (default: now) and store them.

    Reads first (outside the transaction: a long read holds no lock), then writes the
    computation and its arms in one durable transaction, deleting the campaign's
    computations beyond the latest :data:`COMPUTATIONS_KEPT`. Safe to run twice or at once:
    each run adds its own computation. With an automatic winner due, the same transaction
    records the decision, once (see ``campaigns.results.winner``).
    """
    now = now or timezone.now()
    started = time.perf_counter()
    campaign = Campaign.objects.get(pk=campaign_id)
    figures = campaign_figures(campaign, now=now)
    with transaction.atomic(durable=True):
        computation = ResultComputation.objects.create(
            campaign=campaign,
            computed_at=figures.computed_at,
            final=figures.final,
            attribution_days=figures.attribution_days,
            window_closes_at=figures.window_closes_at,
            srm_chi2=finite(figures.srm.chi2) if figures.srm else None,
            srm_p_value=finite(figures.srm.p_value) if figures.srm else None,
            srm_mismatch=figures.srm.mismatch if figures.srm else False,
            cap_percentile=REVENUE_CAP_PERCENTILE,
            seconds=time.perf_counter() - started,
        )
        ArmResult.objects.bulk_create(_arm_row(computation, arm) for arm in figures.arms)
        if figures.winner is not None:
            _winner_record(campaign, figures.winner, now)
        kept = ResultComputation.objects.filter(campaign=campaign).order_by("-computed_at", "-id")
        ResultComputation.objects.filter(campaign=campaign).exclude(
            pk__in=Subquery(kept.values("pk")[:COMPUTATIONS_KEPT])
        ).delete()
    return computation


def campaign_results_refresh(*, now: datetime | None = None) -> ResultsRefresh:
    """Recompute every campaign whose results may have changed (:func:`results_due`).

    Each campaign on its own: one that fails is logged and the others still run.
    """
    computed: list[int] = []
    failed: list[int] = []
    for campaign_id in results_due().values_list("pk", flat=True):
        try:
            campaign_results_compute(campaign_id=campaign_id, now=now)
        except Exception:
            logger.exception("results of campaign %s not computed", campaign_id)
            failed.append(campaign_id)
        else:
            computed.append(campaign_id)
    return ResultsRefresh(computed=computed, failed=failed)


def results_due() -> QuerySet[Campaign]:
    """Campaigns with assignments whose latest computation is missing, was not final (a
    window was still open), or, for an active or paused campaign, predates an assignment (a
    new entrant). A campaign nobody entered has nothing to compute."""
    latest = ResultComputation.objects.filter(campaign=OuterRef("pk")).order_by(
        "-computed_at", "-id"
    )
    newer_entrant = Assignment.objects.filter(
        campaign=OuterRef("pk"), assigned_at__gt=OuterRef("latest_at")
    )
    return (
        Campaign.objects.filter(Exists(Assignment.objects.filter(campaign=OuterRef("pk"))))
        .annotate(
            latest_at=Subquery(latest.values("computed_at")[:1]),
            latest_final=Subquery(latest.values("final")[:1]),
        )
        .filter(
            Q(latest_at__isnull=True)
            | Q(latest_final=False)
            # Only a live campaign takes entrants: a finished one's final results stay, and
            # its assignments are not read again.
            | (Q(status__in=LIVE) & Exists(newer_entrant))
        )
        .order_by("pk")
    )


def _winner_record(campaign: Campaign, judgement: Judgement, now: datetime) -> None:
    """Record the decision (once: a concurrent computation's is kept) and, with a winner,
    give it every bucket outside the holdout; the other variants get none."""
    decision, created = WinnerDecision.objects.get_or_create(
        campaign=campaign,
        defaults={
            "decided_at": now,
            "metric": campaign.winner_metric,
            "alpha": campaign.winner_alpha,
            "minimum_per_arm": campaign.winner_minimum_per_arm,
            "winner": judgement.winner,
            "reason": judgement.reason,
            "holdout_assigned": judgement.holdout_assigned,
            "arms": judgement.arms,
        },
    )
    if not created or decision.winner_id is None:
        return
    Variant.objects.filter(campaign=campaign).exclude(pk=decision.winner_id).update(
        bucket_from=BUCKETS, bucket_to=BUCKETS
    )
    Variant.objects.filter(pk=decision.winner_id).update(
        bucket_from=campaign.holdout_buckets, bucket_to=BUCKETS
    )
    logger.info("campaign %s: winner %s decided", campaign.pk, decision.winner_id)


def _arm_row(computation: ResultComputation, arm: ArmFigures) -> ArmResult:
    exposures, messages, comparison = arm.exposures, arm.messages, arm.comparison
    return ArmResult(
        computation=computation,
        variant=arm.variant,
        assigned=exposures.assigned,
        sent=messages.sent,
        failed=messages.failed,
        suppressed=messages.suppressed,
        suppressed_by_reason=messages.suppressed_by_reason,
        opens=messages.opens,
        clicks=messages.clicks,
        conversions=exposures.conversions,
        conversion_rate=exposures.conversions / exposures.assigned if exposures.assigned else None,
        revenue=exposures.revenue,
        by_day=arm.by_day,
        revenue_per_customer=(
            (exposures.revenue / exposures.assigned).quantize(CENT) if exposures.assigned else None
        ),
        **_compared(
            "conversion",
            comparison.conversion if comparison else None,
            CONVERSION_FIGURES,
            comparison.conversion_p_value_adjusted if comparison else None,
        ),
        **_compared(
            "revenue",
            comparison.revenue if comparison else None,
            REVENUE_FIGURES,
            comparison.revenue_p_value_adjusted if comparison else None,
        ),
    )


def _compared(
    prefix: str,
    compared: ProportionComparison | MeanComparison | None,
    names: tuple[str, ...],
    adjusted: float | None,
) -> dict[str, float | None]:
    """``compared``'s figures ``names`` as ArmResult's ``<prefix>_<name>`` fields (none when
    nothing was compared), with the Holm-adjusted p-value."""
    if compared is None:
        return {}
    figures = {f"{prefix}_{name}": finite(getattr(compared, name)) for name in names}
    return {**figures, f"{prefix}_p_value_adjusted": finite(adjusted)}
