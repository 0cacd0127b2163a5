"""A campaign's effect on customer value, measured at the first CLV run after its window."""

import logging
from dataclasses import asdict
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from campaigns.models import Campaign, ClvEffect, ResultComputation, Variant
from campaigns.results.clv_effect import ArmValue, clv_effect_measure
from campaigns.results.compare import finite
from campaigns.statistics import MeanComparison, ProportionComparison
from customers.models import ClvRun

logger = logging.getLogger(__name__)


def clv_effects_measure(*, run_id: int) -> list[int]:
    """Measure, at the CLV run ``run_id`` (its scores and segments current), the effect of
    every campaign whose attribution window had closed for everyone before the run finished
    and whose effect was not measured yet; each campaign on its own (one that fails is
    logged, the others still run). Returns the campaigns measured. Safe to run twice: a
    campaign's effect is recorded once."""
    run = ClvRun.objects.get(pk=run_id)
    measured = []
    for campaign in clv_effects_due(run):
        try:
            arms = clv_effect_measure(campaign.pk)
            names = dict(Variant.objects.filter(campaign=campaign).values_list("pk", "name"))
            with transaction.atomic():
                ClvEffect.objects.create(
                    campaign=campaign,
                    run=run,
                    measured_at=timezone.now(),
                    arms=[_arm_record(arm, names) for arm in arms],
                )
        except IntegrityError:
            continue  # measured by a concurrent delivery
        except Exception:
            logger.exception("CLV effect of campaign %s not measured", campaign.pk)
            continue
        measured.append(campaign.pk)
    return measured


def clv_effects_due(run: ClvRun) -> QuerySet[Campaign]:
    """Campaigns without a measured effect whose latest results were final, with every
    window closed before ``run`` finished."""
    latest = ResultComputation.objects.filter(campaign=OuterRef("pk")).order_by(
        "-computed_at", "-id"
    )
    return (
        Campaign.objects.filter(clv_effect__isnull=True)
        .annotate(
            latest_final=Subquery(latest.values("final")[:1]),
            closes_at=Subquery(latest.values("window_closes_at")[:1]),
        )
        .filter(latest_final=True, closes_at__lte=run.finished_at or timezone.now())
        .order_by("pk")
    )


def _arm_record(arm: ArmValue, names: dict[int, str]) -> dict[str, Any]:
    return {
        "variant": arm.variant_id,
        "name": names.get(arm.variant_id, "") if arm.variant_id else "holdout",
        "customers": arm.customers,
        "scored": arm.scored,
        "predicted_clv_mean": arm.predicted_clv_mean,
        "p_alive_mean": arm.p_alive_mean,
        "left_lost": arm.left_lost,
        "left_lost_share": arm.left_lost / arm.customers if arm.customers else None,
        "predicted_clv": _compared(arm.predicted_clv),
        "p_alive": _compared(arm.p_alive),
        "left": _compared(arm.left_share),
    }


def _compared(comparison: MeanComparison | ProportionComparison | None) -> dict | None:
    if comparison is None or not comparison.estimable:
        return None
    figures = asdict(comparison)
    return {name: finite(figures[name]) for name in ("absolute", "ci_low", "ci_high", "p_value")}
