"""Reads of campaigns that the staff pages, the API and the admin share.

Every figure comes from a fixed number of aggregate queries (``GROUP BY``), whatever the
number of campaigns, variants or messages: no query per row.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from campaigns.models import Assignment, Campaign, Message, SuppressedReason, Variant

RECENT_MESSAGES = 20


@dataclass(frozen=True)
class MessageCounts:
    """Messages by status, and human opens and clicks (``opens``: messages opened at least
    once by a person; ``opens_total``: every human open; the same for clicks)."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    suppressed: int = 0
    failed: int = 0
    # Every reason, zeros included: the same keys whatever happened.
    suppressed_by_reason: dict[str, int] = field(default_factory=lambda: _no_reasons())
    opens: int = 0
    opens_total: int = 0
    clicks: int = 0
    clicks_total: int = 0


@dataclass(frozen=True)
class CampaignRow:
    """A campaign with its recipients (assignments, holdout included) and messages."""

    campaign: Campaign
    recipients: int
    holdout: int
    messages: MessageCounts


@dataclass(frozen=True)
class VariantResults:
    """One arm of a campaign: its recipients (assignments) and what became of their emails."""

    id: int
    name: str
    weight: int
    recipients: int
    messages: MessageCounts


@dataclass(frozen=True)
class HoldoutResults:
    """The control group: recipients who were assigned no variant and sent nothing."""

    recipients: int


@dataclass(frozen=True)
class CampaignResults:
    """A campaign's results per variant and for the holdout (part 2 adds conversions)."""

    campaign: int
    variants: list[VariantResults]
    holdout: HoldoutResults


def campaign_list() -> list[CampaignRow]:
    """Every campaign, newest first, with its counts: three queries in all."""
    campaigns = list(Campaign.objects.select_related("segment", "tier"))
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
    messages = _message_counts(Message.objects.filter(campaign_id__in=ids), "campaign_id")
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
    suppressions by reason, human opens and clicks; the holdout's recipients. Three queries."""
    variants = list(Variant.objects.filter(campaign_id=campaign_id).order_by("id"))
    recipients: dict[int | None, int] = {
        row["variant_id"]: row["total"]
        for row in Assignment.objects.filter(campaign_id=campaign_id)
        .values("variant_id")
        .annotate(total=Count("id"))
        .order_by()
    }
    messages = _message_counts(Message.objects.filter(campaign_id=campaign_id), "variant_id")
    return CampaignResults(
        campaign=campaign_id,
        variants=[
            VariantResults(
                id=variant.pk,
                name=variant.name,
                weight=variant.weight,
                recipients=recipients.get(variant.pk, 0),
                messages=messages.get(variant.pk, MessageCounts()),
            )
            for variant in variants
        ],
        holdout=HoldoutResults(recipients=recipients.get(None, 0)),
    )


def campaign_recent_messages(campaign: Campaign) -> QuerySet[Message]:
    """The campaign's latest messages with their customer and variant (one query)."""
    return (
        Message.objects.filter(campaign=campaign)
        .select_related("customer", "variant")
        .order_by("-id")[:RECENT_MESSAGES]
    )


def _message_counts(messages: QuerySet[Message], key: str) -> dict[int, MessageCounts]:
    """Message figures grouped by ``key`` (a column of Message), in one query."""
    grouped: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    reasons: dict[int, dict[str, int]] = defaultdict(_no_reasons)
    rows = (
        messages.values(key, "status", "suppressed_reason")
        .annotate(
            total=Count("id"),
            opened=Count("id", filter=Q(opens__gt=0)),
            opens_total=Sum("opens"),
            clicked=Count("id", filter=Q(clicks__gt=0)),
            clicks_total=Sum("clicks"),
        )
        .order_by()
    )
    for row in rows:
        figures = grouped[row[key]]
        figures[row["status"]] += row["total"]
        figures["opens"] += row["opened"]
        figures["opens_total"] += row["opens_total"] or 0
        figures["clicks"] += row["clicked"]
        figures["clicks_total"] += row["clicks_total"] or 0
        if row["status"] == Message.Status.SUPPRESSED:
            reason = row["suppressed_reason"]
            reasons[row[key]][reason] = reasons[row[key]].get(reason, 0) + row["total"]
    return {
        owner: MessageCounts(
            pending=figures[Message.Status.PENDING],
            sending=figures[Message.Status.SENDING],
            sent=figures[Message.Status.SENT],
            suppressed=figures[Message.Status.SUPPRESSED],
            failed=figures[Message.Status.FAILED],
            suppressed_by_reason=dict(reasons[owner]),
            opens=figures["opens"],
            opens_total=figures["opens_total"],
            clicks=figures["clicks"],
            clicks_total=figures["clicks_total"],
        )
        for owner, figures in grouped.items()
    }


def _no_reasons() -> dict[str, int]:
    return dict.fromkeys(SuppressedReason.values, 0)
