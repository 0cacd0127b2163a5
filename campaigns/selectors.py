"""Reads of campaigns that the staff pages, the API and the admin share.

Every figure comes from a fixed number of aggregate queries (``GROUP BY``), whatever the
number of campaigns, variants or messages: no query per row. Conversions, revenue and the
statistics come from the latest stored results computation (``campaigns.results``): a
read never scans orders.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from campaigns.models import ArmResult, Assignment, Campaign, Message, ResultComputation, Variant
from campaigns.results.messages import MessageCounts, message_counts

RECENT_MESSAGES = 20


@dataclass(frozen=True)
class CampaignRow:
    """A campaign with its recipients (assignments, holdout included) and messages."""

    campaign: Campaign
    recipients: int
    holdout: int
    messages: MessageCounts


@dataclass(frozen=True)
class ConversionUplift:
    """A variant's conversion rate against the holdout's: the difference (absolute, and
    relative to the holdout's rate), its interval and p-value, Holm-adjusted over the
    campaign's variants."""

    absolute: float | None
    relative: float | None
    ci_low: float | None
    ci_high: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    p_value: float | None
    p_value_adjusted: float | None


@dataclass(frozen=True)
class RevenuePerCustomer:
    """A variant's revenue per assigned customer (``mean``) and its difference from the
    holdout's (capped at ``cap``, CUPED-adjusted), with Welch's and a bootstrap interval."""

    mean: Decimal | None
    absolute: float | None = None
    relative: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    bootstrap_low: float | None = None
    bootstrap_high: float | None = None
    p_value: float | None = None
    p_value_adjusted: float | None = None
    cap: float | None = None


@dataclass(frozen=True)
class VariantResults:
    """One arm of a campaign: its recipients (assignments) and what became of their emails
    (now); its conversions, revenue and comparison with the holdout (at the latest results
    computation; ``None`` before the first)."""

    id: int
    name: str
    weight: int
    recipients: int
    messages: MessageCounts
    conversions: int | None = None
    revenue: Decimal | None = None
    conversion_rate: float | None = None
    uplift: ConversionUplift | None = None
    revenue_per_customer: RevenuePerCustomer | None = None


@dataclass(frozen=True)
class HoldoutResults:
    """The control group: recipients who were assigned no variant and sent nothing; their
    conversions and revenue at the latest computation."""

    recipients: int
    conversions: int | None = None
    revenue: Decimal | None = None


@dataclass(frozen=True)
class SampleRatio:
    """Whether the arms' assigned counts fit the configured shares (chi-square)."""

    p_value: float | None
    mismatch: bool


@dataclass(frozen=True)
class CampaignResults:
    """A campaign's results per variant and for the holdout; ``computed_at``, ``final`` and
    ``srm`` describe the latest results computation (``None``, ``False``, ``None`` before
    the first)."""

    campaign: int
    variants: list[VariantResults]
    holdout: HoldoutResults
    computed_at: datetime | None = None
    final: bool = False
    srm: SampleRatio | None = None


def campaigns_listed(status: str = "") -> QuerySet[Campaign]:
    """The staff list's campaigns (with segment and tier), of one status or all; the page
    orders and cuts them (keyset, newest first)."""
    campaigns = Campaign.objects.select_related("segment", "tier")
    return campaigns.filter(status=status) if status else campaigns


def campaign_list(campaigns: Sequence[Campaign] | None = None) -> list[CampaignRow]:
    """``campaigns`` (default: every one, newest first) with their counts: two queries on
    the campaign indexes of assignments and messages, plus one for the default list."""
    if campaigns is None:
        campaigns = list(campaigns_listed())
    ids = [campaign.pk for campaign in campaigns]
    assigned: dict[int, int] = defaultdict(int)
    holdout: dict[int, int] = defaultdict(int)
    for row in (
        Assignment.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(total=Count("id"), holdout=Count("id", filter=Q(variant__isnull=True)))
        .order_by()
    ):
        assigned[row["campaign_id"]] = row["total"]
        holdout[row["campaign_id"]] = row["holdout"]
    messages = message_counts(Message.objects.filter(campaign_id__in=ids), "campaign_id")
    return [
        CampaignRow(
            campaign=campaign,
            recipients=assigned[campaign.pk],
            holdout=holdout[campaign.pk],
            messages=messages.get(campaign.pk, MessageCounts()),
        )
        for campaign in campaigns
    ]


def campaign_results(*, campaign_id: int) -> CampaignResults:
    """Per variant (in the order they were created): recipients, messages by status,
    suppressions by reason, human opens and clicks (now); conversions, revenue and the
    comparisons with the holdout (the latest computation). Five queries."""
    variants = list(Variant.objects.filter(campaign_id=campaign_id).order_by("id"))
    recipients: dict[int | None, int] = {
        row["variant_id"]: row["total"]
        for row in Assignment.objects.filter(campaign_id=campaign_id)
        .values("variant_id")
        .annotate(total=Count("id"))
        .order_by()
    }
    messages = message_counts(Message.objects.filter(campaign_id=campaign_id), "variant_id")
    latest = results_latest(campaign_id=campaign_id)
    stored = {arm.variant_id: arm for arm in latest.arms.all()} if latest else {}
    holdout = stored.get(None)
    return CampaignResults(
        campaign=campaign_id,
        variants=[
            _variant_results(
                variant, recipients.get(variant.pk, 0), messages, stored.get(variant.pk)
            )
            for variant in variants
        ],
        holdout=HoldoutResults(
            recipients=recipients.get(None, 0),
            conversions=holdout.conversions if holdout else None,
            revenue=holdout.revenue if holdout else None,
        ),
        computed_at=latest.computed_at if latest else None,
        final=latest.final if latest else False,
        srm=SampleRatio(p_value=latest.srm_p_value, mismatch=latest.srm_mismatch)
        if latest
        else None,
    )


def results_latest(*, campaign_id: int) -> ResultComputation | None:
    """The campaign's latest results computation with its arms (two queries), or ``None``."""
    return (
        ResultComputation.objects.filter(campaign_id=campaign_id)
        .order_by("-computed_at", "-id")
        .prefetch_related("arms")
        .first()
    )


def _variant_results(
    variant: Variant, recipients: int, messages: dict[int, MessageCounts], arm: ArmResult | None
) -> VariantResults:
    live = VariantResults(
        id=variant.pk,
        name=variant.name,
        weight=variant.weight,
        recipients=recipients,
        messages=messages.get(variant.pk, MessageCounts()),
    )
    if arm is None:
        return live
    # No conversion comparison (no holdout, an empty arm): no uplift at all.
    compared = arm.conversion_absolute is not None
    return replace(
        live,
        conversions=arm.conversions,
        revenue=arm.revenue,
        conversion_rate=arm.conversion_rate,
        uplift=ConversionUplift(**_stored(arm, "conversion", ConversionUplift))
        if compared
        else None,
        revenue_per_customer=RevenuePerCustomer(
            mean=arm.revenue_per_customer, **_stored(arm, "revenue", RevenuePerCustomer)
        ),
    )


def _stored(arm: ArmResult, prefix: str, figures: type[Any]) -> dict[str, Any]:
    """The fields of the dataclass ``figures`` read from ArmResult's ``<prefix>_<name>``
    (those it has: RevenuePerCustomer's ``mean`` is ``revenue_per_customer``, given apart)."""
    return {
        field.name: getattr(arm, f"{prefix}_{field.name}")
        for field in fields(figures)
        if field.name != "mean"
    }


def campaign_recent_messages(campaign: Campaign) -> QuerySet[Message]:
    """The campaign's latest messages with their customer and variant (one query)."""
    return (
        Message.objects.filter(campaign=campaign)
        .select_related("customer", "variant")
        .order_by("-id")[:RECENT_MESSAGES]
    )


def variant_uplifts_latest(*, finished_since: datetime) -> list[ArmResult]:
    """The variants' arms of each campaign's latest results computation, for the campaigns
    that are active or paused or finished since ``finished_since``: their conversion
    uplift against the holdout (NULL without one). One query; each campaign's latest
    computation is found on ``result_computation_latest_idx``."""
    latest = (
        ResultComputation.objects.filter(campaign=OuterRef("computation__campaign"))
        .order_by("-computed_at", "-id")
        .values("id")[:1]
    )
    shown = Q(computation__campaign__status__in=[Campaign.Status.ACTIVE, Campaign.Status.PAUSED])
    shown |= Q(
        computation__campaign__status=Campaign.Status.FINISHED,
        computation__campaign__finished_at__gte=finished_since,
    )
    return list(
        ArmResult.objects.filter(shown, variant__isnull=False, computation=Subquery(latest))
        .select_related("variant", "computation__campaign")
        .order_by("computation__campaign__name", "variant_id")
    )
