"""The automatic winner: one decision, on closed windows only, once every arm has the
minimum; a winner takes every new entrant outside the holdout."""

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.models import BUCKETS, Campaign, WinnerDecision
from campaigns.services.results import campaign_results_compute
from campaigns.services.triggers import campaign_triggers_run
from customers.models import Customer
from tests.campaigns.builders import (
    campaign_made,
    customers_made,
    exposed,
    ordered,
    segment_entered,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
DAY = timedelta(days=1)
LATER = T0 + 30 * DAY


def _campaign(**fields) -> Campaign:
    return campaign_made(
        holdout="20.0",
        auto_winner=True,
        winner_minimum_per_arm=40,
        attribution_days=7,
        **fields,
    )


def _arm(campaign: Campaign, name: str | None, converting: int, *, at=T0, prefix: str) -> None:
    """40 customers in the arm (``None``: the holdout); the first ``converting`` buy on
    the next day."""
    variant = campaign.variants.get(name=name) if name else None
    customers: list[Customer] = customers_made(40, prefix=prefix)
    exposed(campaign, variant, customers, at=at, status="sent" if variant else None)
    for customer in customers[:converting]:
        ordered(customer, at + DAY, "25.00")


def test_a_clear_winner_is_recorded_once_and_takes_the_new_entrants() -> None:
    campaign = _campaign()
    _arm(campaign, "V0", 30, prefix="A")
    _arm(campaign, "V1", 4, prefix="B")
    _arm(campaign, None, 4, prefix="H")

    campaign_results_compute(campaign_id=campaign.pk, now=LATER)
    campaign_results_compute(campaign_id=campaign.pk, now=LATER + DAY)

    decision = WinnerDecision.objects.get(campaign=campaign)
    v0, v1 = campaign.variants.order_by("id")
    assert decision.winner == v0
    assert decision.decided_at == LATER
    assert decision.reason.startswith("V0 beats the holdout")
    assert decision.holdout_assigned == 40
    assert [(arm["name"], arm["assigned"]) for arm in decision.arms] == [("V0", 40), ("V1", 40)]
    assert decision.arms[0]["estimate"] == pytest.approx(30 / 40 - 4 / 40)
    v0.refresh_from_db()
    v1.refresh_from_db()
    assert (v0.bucket_from, v0.bucket_to) == (campaign.holdout_buckets, BUCKETS)
    assert (v1.bucket_from, v1.bucket_to) == (BUCKETS, BUCKETS)

    newcomers = customers_made(60, prefix="N")
    segment_entered(newcomers, "at_risk")
    campaign_triggers_run()
    arms = set(
        campaign.assignments.filter(customer__in=newcomers).values_list("variant", flat=True)
    )
    assert arms == {v0.pk, None}  # the winner, or the holdout: never the loser

    # The shares configured apply to the assignments made until the decision only.
    later = campaign_results_compute(campaign_id=campaign.pk, now=LATER + 2 * DAY)
    assert later.srm_mismatch is False


def test_no_decision_while_an_arm_has_too_few_closed_windows() -> None:
    campaign = _campaign()
    _arm(campaign, "V0", 30, prefix="A")
    _arm(campaign, "V1", 4, prefix="B")
    _arm(campaign, None, 4, prefix="H", at=LATER - 3 * DAY)  # windows still open

    computation = campaign_results_compute(campaign_id=campaign.pk, now=LATER)

    assert computation.pk
    assert not WinnerDecision.objects.filter(campaign=campaign).exists()


def test_without_a_significant_leader_the_variants_stay_and_the_decision_says_why() -> None:
    campaign = _campaign(winner_metric="conversion_rate")
    _arm(campaign, "V0", 6, prefix="A")
    _arm(campaign, "V1", 5, prefix="B")
    _arm(campaign, None, 5, prefix="H")
    ranges = list(campaign.variants.order_by("id").values_list("bucket_from", "bucket_to"))

    campaign_results_compute(campaign_id=campaign.pk, now=LATER)

    decision = WinnerDecision.objects.get(campaign=campaign)
    assert decision.winner is None
    assert decision.reason.startswith("No variant beats the holdout at the 0.05 level")
    assert list(campaign.variants.order_by("id").values_list("bucket_from", "bucket_to")) == (
        ranges
    )


def test_a_campaign_without_an_automatic_winner_records_no_decision() -> None:
    campaign = campaign_made(holdout="20.0", attribution_days=7)
    _arm(campaign, "V0", 30, prefix="A")
    _arm(campaign, "V1", 4, prefix="B")
    _arm(campaign, None, 4, prefix="H")

    campaign_results_compute(campaign_id=campaign.pk, now=LATER)

    assert not WinnerDecision.objects.exists()
