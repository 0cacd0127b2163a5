"""The other sources of entrants: tier upgrades and downgrade warnings from the loyalty run,
custom segments (entered when first seen), one-off and recurring broadcasts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Assignment, Campaign
from campaigns.services.triggers import campaign_triggers_run
from customers.models import (
    ClvRun,
    Customer,
    CustomSegmentMembership,
    LoyaltyStatus,
    LoyaltyTierChange,
    Segment,
)
from tests.campaigns.builders import campaign_made, customers_made
from tests.customers.loyalty_builders import make_tiers


def _refs(campaign: Campaign) -> dict[str, str]:
    return dict(
        Assignment.objects.filter(campaign=campaign).values_list(
            "customer__external_id", "trigger_ref"
        )
    )


def _upgrade(customer: Customer, to_tier, reason: str = "upgrade") -> LoyaltyTierChange:
    return LoyaltyTierChange.objects.create(
        customer=customer,
        to_tier=to_tier,
        reason=reason,
        effective_on=timezone.localdate(),
        spend_12m=Decimal("100.00"),
        orders_12m=3,
    )


@pytest.mark.django_db
def test_tier_upgrades_after_activation_start_the_upgrade_campaigns_once():
    tiers = make_tiers()
    a, b, c = customers_made(3)
    _upgrade(a, tiers["Silver"]).__class__.objects.filter(customer=a).update(
        created_at=timezone.now() - timedelta(days=1)
    )  # before the campaigns existed
    any_upgrade = campaign_made(name="Any", code="", trigger="tier_upgrade", holdout="0.0")
    to_gold = campaign_made(
        name="Gold", code="", trigger="tier_upgrade", tier=tiers["Gold"], holdout="0.0"
    )
    silver = _upgrade(b, tiers["Silver"])
    gold = _upgrade(c, tiers["Gold"])
    _upgrade(a, None, reason="downgrade")

    campaign_triggers_run()
    campaign_triggers_run()

    assert _refs(any_upgrade) == {
        "C-1": f"tier_change:{silver.pk}",
        "C-2": f"tier_change:{gold.pk}",
    }
    assert _refs(to_gold) == {"C-2": f"tier_change:{gold.pk}"}


@pytest.mark.django_db
def test_a_downgrade_warning_starts_the_warning_campaign_once_per_flag():
    tiers = make_tiers()
    warned, fine = customers_made(2)
    campaign = campaign_made(name="Keep your tier", code="", trigger="downgrade_warning")
    today = timezone.localdate()
    for customer, flagged in ((warned, today), (fine, None)):
        LoyaltyStatus.objects.create(
            customer=customer,
            tier=tiers["Silver"],
            tier_since=date(2025, 1, 1),
            review_on=today + timedelta(days=20),
            downgrade_on=today + timedelta(days=20) if flagged else None,
            downgrade_flagged_on=flagged,
        )

    campaign_triggers_run()
    campaign_triggers_run()

    assert _refs(campaign) == {"C-0": f"downgrade:{today.isoformat()}"}


def _custom_segment(customers: list[Customer]) -> Segment:
    segment = Segment.objects.create(code="big-spenders", name="Big spenders", kind="custom")
    _members(segment, customers)
    return segment


def _members(segment: Segment, customers: list[Customer]) -> None:
    run = ClvRun.objects.create(as_of=date(2025, 1, 1), status=ClvRun.Status.SUCCEEDED)
    CustomSegmentMembership.objects.filter(segment=segment).delete()
    CustomSegmentMembership.objects.bulk_create(
        CustomSegmentMembership(segment=segment, customer=c, run=run) for c in customers
    )


@pytest.mark.django_db
def test_a_custom_segment_is_entered_by_members_not_seen_before_and_again_after_leaving():
    a, b, c = customers_made(3)
    segment = _custom_segment([a])
    campaign = campaign_made(code="big-spenders", holdout="0.0")

    campaign_triggers_run()  # activation: a is there already, not an entrant
    assert _refs(campaign) == {}
    _members(segment, [a, b])
    campaign_triggers_run()
    assert set(_refs(campaign)) == {"C-1"}
    _members(segment, [c])  # a and b leave
    campaign_triggers_run()
    _members(segment, [a, c])  # a comes back
    campaign_triggers_run()

    rows = Assignment.objects.filter(campaign=campaign).values_list("customer__external_id")
    assert sorted(r[0] for r in rows) == ["C-0", "C-1", "C-2"]


@pytest.mark.django_db
def test_an_activation_with_the_current_members_of_a_custom_segment_enrols_them_once():
    a, b = customers_made(2)
    _custom_segment([a, b])
    campaign = campaign_made(code="big-spenders", include_current_members=True)

    campaign_triggers_run()
    campaign_triggers_run()

    assert _refs(campaign) == {"C-0": "activation", "C-1": "activation"}


@pytest.mark.django_db
def test_a_one_off_broadcast_goes_to_the_members_once_and_a_recurring_one_again_when_due():
    customers = customers_made(4)
    _custom_segment(customers[:3])
    once = campaign_made(name="Once", code="big-spenders", trigger="broadcast")
    weekly = campaign_made(
        name="Weekly", code="big-spenders", trigger="recurring_broadcast", repeat_every_days=7
    )

    campaign_triggers_run()
    campaign_triggers_run()

    assert len(_refs(once)) == 3
    assert Campaign.objects.get(pk=once.pk).members_due_at is None
    weekly.refresh_from_db()
    assert weekly.members_due_at is not None
    first_due = weekly.activated_at
    assert first_due is not None
    assert weekly.members_due_at - first_due == timedelta(days=7)
    Campaign.objects.filter(pk=weekly.pk).update(members_due_at=timezone.now())
    campaign_triggers_run()
    refs = Assignment.objects.filter(campaign=weekly).values_list("trigger_ref", flat=True)
    assert len(refs) == 6
    assert len(set(refs)) == 2
