"""The automatic winner's judgement: which variant new entrants get from now on, if any.

It judges only exposures whose attribution window has closed (a customer assigned an hour
ago has had no chance to convert yet), and only once every arm, the holdout included, has
the campaign's minimum of them: one planned look, not a peek at every refresh, since
stopping at the first significant peek crowns false winners. The mathematics is
``campaigns.statistics.winner_choose``: the leading variant must beat the holdout and every
other variant at the campaign's level after Holm's correction. The decision is recorded
once (``WinnerDecision``); with a winner, it takes every bucket outside the holdout, so new
entrants, re-entering customers included, get it and the holdout stays held out.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from campaigns.models import Campaign, Variant, WinnerMetric
from campaigns.results.compare import conversion_compare, finite, revenue_compare
from campaigns.results.exposures import NOBODY, ArmExposures
from campaigns.statistics import (
    MeanComparison,
    ProportionComparison,
    holm_adjust,
    winner_choose,
)


@dataclass(frozen=True)
class Judgement:
    """A decision to record: the winner (None: keep the variants), why, and the figures."""

    winner: Variant | None
    reason: str
    holdout_assigned: int
    arms: list[dict[str, Any]] = field(default_factory=list)


def winner_judge(
    campaign: Campaign, variants: Sequence[Variant], exposures: dict[int | None, ArmExposures]
) -> Judgement | None:
    """The judgement, or None while an arm has fewer closed windows than the minimum."""
    minimum = campaign.winner_minimum_per_arm
    closed = [exposures.get(variant.pk, NOBODY).closed_only() for variant in variants]
    holdout = exposures.get(None, NOBODY).closed_only()
    sizes = [arm.assigned for arm in closed]
    if min(sizes, default=0) < minimum:
        return None
    if campaign.holdout_percent <= 0:
        return Judgement(
            None,
            "The campaign holds nobody out: no variant can be shown to beat sending nothing.",
            0,
            _arms(variants, closed, [], []),
        )
    if holdout.assigned < minimum:
        return None
    comparisons = _comparisons(campaign, closed, holdout)
    if any(comparison is None for comparison in comparisons):
        return Judgement(
            None,
            "An arm could not be compared with the holdout.",
            holdout.assigned,
            _arms(variants, closed, [], []),
        )
    compared = [comparison for comparison in comparisons if comparison is not None]
    adjusted = holm_adjust([comparison.p_value for comparison in compared])
    decision = winner_choose(
        compared,
        adjusted,
        sizes=[*sizes, holdout.assigned],
        minimum_per_arm=minimum,
        alpha=float(campaign.winner_alpha),
        names=[variant.name for variant in variants],
        control_name="the holdout",
    )
    return Judgement(
        variants[decision.winner] if decision.winner is not None else None,
        decision.reason,
        holdout.assigned,
        _arms(variants, closed, compared, adjusted),
    )


def _comparisons(
    campaign: Campaign, closed: list[ArmExposures], holdout: ArmExposures
) -> list[ProportionComparison | MeanComparison | None]:
    if campaign.winner_metric == WinnerMetric.REVENUE_PER_CUSTOMER:
        return [revenue_compare(arm, holdout) for arm in closed]
    return [conversion_compare(arm, holdout) for arm in closed]


def _arms(
    variants: Sequence[Variant],
    closed: list[ArmExposures],
    compared: Sequence[ProportionComparison | MeanComparison],
    adjusted: Sequence[float],
) -> list[dict[str, Any]]:
    """What the decision rested on, per variant, as the decision record stores it."""
    rows = []
    for position, (variant, arm) in enumerate(zip(variants, closed, strict=True)):
        comparison = compared[position] if compared else None
        rows.append(
            {
                "name": variant.name,
                "assigned": arm.assigned,
                "estimate": finite(comparison.absolute) if comparison else None,
                "p_value": finite(comparison.p_value) if comparison else None,
                "p_value_adjusted": finite(adjusted[position]) if comparison else None,
            }
        )
    return rows
