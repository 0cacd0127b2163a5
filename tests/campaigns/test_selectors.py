"""The campaign list's and the results' figures: exact, and a fixed number of queries."""

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Assignment, Campaign, SuppressedReason
from campaigns.results.messages import MessageCounts
from campaigns.selectors import (
    CampaignResults,
    HoldoutResults,
    SampleRatio,
    VariantResults,
    campaign_list,
    campaign_results,
)
from campaigns.services.results import campaign_results_compute
from tests.campaigns.builders import results_campaign

pytestmark = pytest.mark.django_db


def reasons(**counts: int) -> dict[str, int]:
    return {reason: counts.get(reason, 0) for reason in SuppressedReason.values}


def test_results_count_every_arm_exactly(filled: Campaign) -> None:
    a, b = filled.variants.order_by("id")

    assert campaign_results(campaign_id=filled.pk) == CampaignResults(
        campaign=filled.pk,
        variants=[
            VariantResults(
                id=a.pk,
                name="A",
                weight=1,
                recipients=4,
                messages=MessageCounts(
                    sent=2,
                    suppressed=2,
                    suppressed_by_reason=reasons(frequency_cap=1, no_consent=1),
                    opens=1,
                    opens_total=3,
                    clicks=1,
                    clicks_total=1,
                ),
            ),
            VariantResults(
                id=b.pk,
                name="B",
                weight=1,
                recipients=2,
                messages=MessageCounts(pending=1, failed=1, suppressed_by_reason=reasons()),
            ),
        ],
        holdout=HoldoutResults(recipients=3),
    )


def test_results_of_a_campaign_nobody_entered_are_zeros(
    make_campaign: Callable[..., Campaign],
) -> None:
    campaign = make_campaign(active=False)

    results = campaign_results(campaign_id=campaign.pk)

    assert [(v.name, v.recipients, v.messages) for v in results.variants] == [
        ("A", 0, MessageCounts()),
        ("B", 0, MessageCounts()),
    ]
    assert results.holdout == HoldoutResults(recipients=0)


def test_results_take_five_queries_however_many_messages(
    filled: Campaign, enrol: Callable[..., Assignment]
) -> None:
    a = filled.variants.order_by("id")[0]
    for _ in range(5):
        enrol(filled, a, status="sent", opens=1)
    campaign_results_compute(campaign_id=filled.pk)

    with CaptureQueriesContext(connection) as queries:
        results = campaign_results(campaign_id=filled.pk)

    # The variants; the assignments by arm; the messages by arm, status and reason; the
    # latest results computation and its arms.
    assert len(queries) == 5
    assert results.variants[0].messages.sent == 7
    assert results.variants[0].conversions == 0


def test_the_list_counts_each_campaign_in_three_queries(
    filled: Campaign, make_campaign: Callable[..., Campaign], enrol: Callable[..., Assignment]
) -> None:
    other = make_campaign("VIP early access", active=False)
    third = make_campaign("Welcome")
    enrol(third, None)

    with CaptureQueriesContext(connection) as queries:
        rows = campaign_list()

    # The campaigns (with segment and tier); assignments by campaign; messages by campaign.
    assert len(queries) == 3
    assert [(r.campaign.name, r.recipients, r.holdout) for r in rows] == [
        ("Welcome", 1, 1),
        ("VIP early access", 0, 0),
        ("Win-back", 9, 3),
    ]
    assert rows[1].campaign == other
    assert rows[2].messages == MessageCounts(
        pending=1,
        sent=2,
        suppressed=2,
        failed=1,
        suppressed_by_reason=reasons(frequency_cap=1, no_consent=1),
        opens=1,
        opens_total=3,
        clicks=1,
        clicks_total=1,
    )
    assert rows[0].messages == MessageCounts()


def test_results_read_the_latest_computation() -> None:
    t0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    campaign, _ = results_campaign(t0)
    campaign_results_compute(campaign_id=campaign.pk, now=t0 + timedelta(days=1))
    latest = campaign_results_compute(campaign_id=campaign.pk, now=t0 + timedelta(days=30))
    stored = {arm.variant_id: arm for arm in latest.arms.all()}
    v0, v1 = campaign.variants.order_by("id")

    results = campaign_results(campaign_id=campaign.pk)

    first = results.variants[0]
    assert (first.recipients, first.conversions, first.revenue, first.conversion_rate) == (
        4,
        2,
        Decimal("60.00"),
        0.5,
    )
    arm = stored[v0.pk]
    assert first.uplift is not None
    assert asdict(first.uplift) == {
        name: getattr(arm, f"conversion_{name}") for name in asdict(first.uplift)
    }
    assert first.uplift.absolute == 0.5 - 1 / 3
    assert first.uplift.p_value_adjusted == arm.conversion_p_value_adjusted is not None
    assert first.revenue_per_customer is not None
    revenue = asdict(first.revenue_per_customer)
    assert revenue.pop("mean") == Decimal("15.00")
    assert revenue == {name: getattr(arm, f"revenue_{name}") for name in revenue}
    assert revenue["p_value"] == arm.revenue_p_value is not None
    assert (results.variants[1].id, results.variants[1].conversions) == (v1.pk, 1)
    assert results.holdout == HoldoutResults(recipients=3, conversions=1, revenue=Decimal("40.00"))
    assert (results.computed_at, results.final) == (t0 + timedelta(days=30), True)
    assert results.srm == SampleRatio(p_value=latest.srm_p_value, mismatch=False)
