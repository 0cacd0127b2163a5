"""The results page of a campaign: arms, uplift with intervals, curves by day, the effect
on customer value, the sample-ratio check and the automatic winner's decision."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from campaigns import selectors
from campaigns.charts import HOLDOUT_NAME, Curve, Estimate, curves_chart, estimates_chart
from campaigns.models import ArmResult, Campaign, ClvEffect, WinnerDecision
from clvcrm.core.decorators import staff_required


@staff_required("campaigns.view_campaign")
def campaign_results_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The latest stored computation of the campaign's results (nothing is computed here)."""
    campaign = get_object_or_404(Campaign, pk=pk)
    computation = selectors.results_latest(campaign_id=campaign.pk)
    arms: list[ArmResult] = []
    if computation is not None:
        arms = sorted(
            computation.arms.all(), key=lambda arm: (arm.variant_id is None, arm.variant_id or 0)
        )
    names = dict(campaign.variants.values_list("pk", "name"))
    variants = [arm for arm in arms if arm.variant_id is not None]
    compared = [arm for arm in variants if arm.conversion_absolute is not None]
    return render(
        request,
        "campaigns/campaign_results.html",
        {
            "campaign": campaign,
            "computation": computation,
            "arms": [(names.get(arm.variant_id or 0, HOLDOUT_NAME), arm) for arm in arms],
            "compared": [(names[arm.variant_id or 0], arm) for arm in compared],
            "charts": _charts(names, arms, compared) if computation else {},
            "effect": ClvEffect.objects.filter(campaign=campaign).select_related("run").first(),
            "decision": WinnerDecision.objects.filter(campaign=campaign)
            .select_related("winner")
            .first(),
        },
    )


def _charts(names: dict[int, str], arms: list[ArmResult], compared: list[ArmResult]) -> dict:
    def name(arm: ArmResult) -> str:
        return names.get(arm.variant_id or 0, HOLDOUT_NAME)

    charts = {}
    if compared:
        charts["conversion"] = estimates_chart(
            [
                Estimate(
                    name(arm),
                    100 * (arm.conversion_absolute or 0.0),
                    100 * (arm.conversion_ci_low or 0.0),
                    100 * (arm.conversion_ci_high or 0.0),
                )
                for arm in compared
            ],
            x_title="Conversion uplift, pp (95% interval)",
        )
    with_revenue = [arm for arm in compared if arm.revenue_absolute is not None]
    if with_revenue:
        charts["revenue"] = estimates_chart(
            [
                Estimate(
                    name(arm),
                    arm.revenue_absolute or 0.0,
                    arm.revenue_ci_low or 0.0,
                    arm.revenue_ci_high or 0.0,
                )
                for arm in with_revenue
            ],
            x_title="Revenue per customer, difference (95% Welch)",
        )
    curved = [arm for arm in arms if arm.by_day]
    if curved:
        charts["converted"] = curves_chart(
            [Curve(name(arm), [day[0] for day in arm.by_day]) for arm in curved],
            y_title="Converted",
            percent=True,
        )
        charts["earned"] = curves_chart(
            [Curve(name(arm), [day[1] for day in arm.by_day]) for arm in curved],
            y_title="Revenue per assigned",
        )
    return charts
