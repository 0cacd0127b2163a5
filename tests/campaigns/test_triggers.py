"""The trigger step: segment transitions, loyalty events, custom segments and broadcasts
become assignments (holdout included) and pending messages, set-based and exactly once."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.assignment import bucket_of, in_global_control
from campaigns.models import Assignment, Campaign, CampaignKind, Message
from campaigns.services.campaigns import campaign_finish, campaign_pause
from campaigns.services.triggers import campaign_triggers_run
from customers.models import SegmentTransition
from tests.campaigns.builders import campaign_made, customers_made, segment_entered


def _arm(campaign: Campaign, customer_id: int) -> str | None:
    """The arm the Python reference says the customer belongs to."""
    bucket = bucket_of(campaign.pk, customer_id)
    for variant in campaign.variants.all():
        assert variant.bucket_from is not None
        assert variant.bucket_to is not None
        if variant.bucket_from <= bucket < variant.bucket_to:
            return variant.name
    return None


@pytest.mark.django_db
def test_entrants_are_assigned_by_the_hash_and_only_variants_get_a_message():
    campaign = campaign_made(weights=(1, 3), holdout="20.0")
    customers = customers_made(400)
    transitions = segment_entered(customers, "at_risk")

    outcome = campaign_triggers_run()

    assert (outcome.transitions, outcome.assigned) == (400, 400)
    arms = dict(Assignment.objects.values_list("customer_id", "variant__name"))
    assert arms == {c.pk: _arm(campaign, c.pk) for c in customers}
    counts: Counter[str | None] = Counter(arms.values())
    assert sum(counts.values()) == 400
    assert 40 <= counts[None] <= 120
    assert counts["V1"] > counts["V0"]  # weights 1:3
    messages = Message.objects.filter(campaign=campaign)
    assert messages.count() == 400 - counts[None]
    assert set(messages.values_list("status", flat=True)) == {"pending"}
    assert not messages.filter(assignment__variant__isnull=True).exists()
    refs = set(Assignment.objects.values_list("trigger_ref", flat=True))
    assert refs == {f"transition:{t.pk}" for t in transitions}
    assert not SegmentTransition.objects.filter(processed_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_second_run_writes_nothing_and_a_reentry_keeps_the_variant():
    campaign = campaign_made()
    customers = customers_made(30)
    segment_entered(customers, "at_risk")
    campaign_triggers_run()
    first = dict(Assignment.objects.values_list("customer_id", "variant_id"))

    assert campaign_triggers_run().assigned == 0
    segment_entered(customers, "low_value")
    segment_entered(customers, "at_risk")  # they come back: a new trigger, same arm
    assert campaign_triggers_run().assigned == 30

    rows = Assignment.objects.filter(campaign=campaign).values_list("customer_id", "variant_id")
    assert len(rows) == 60
    assert all(first[customer] == variant for customer, variant in rows)


@pytest.mark.django_db
def test_only_entrants_after_activation_unless_current_members_are_included():
    customers = customers_made(10)
    segment_entered(customers[:6], "at_risk", at=timezone.now() - timedelta(hours=1))
    from_now = campaign_made(name="From now on")
    everyone = campaign_made(name="Everyone", include_current_members=True, holdout="0.0")

    campaign_triggers_run()
    segment_entered(customers[6:], "at_risk")
    campaign_triggers_run()

    by_campaign = Counter(Assignment.objects.values_list("campaign_id", "trigger_ref"))
    assert sum(n for (c, _), n in by_campaign.items() if c == from_now.pk) == 4
    assert by_campaign[(everyone.pk, "activation")] == 6
    assert sum(n for (c, _), n in by_campaign.items() if c == everyone.pk) == 10
    assert Campaign.objects.get(pk=everyone.pk).members_due_at is None


@pytest.mark.django_db
def test_a_paused_campaign_records_entrants_a_draft_or_finished_one_does_not():
    paused = campaign_made(name="Paused")
    campaign_pause(campaign_id=paused.pk)
    draft = campaign_made(name="Draft", activate=False)
    finished = campaign_made(name="Finished")
    campaign_finish(campaign_id=finished.pk)
    segment_entered(customers_made(5), "at_risk")

    campaign_triggers_run()

    assert Assignment.objects.filter(campaign=paused).count() == 5
    assert not Assignment.objects.filter(campaign__in=[draft, finished]).exists()


@pytest.mark.django_db
def test_the_step_is_a_fixed_number_of_statements_whatever_the_number_of_entrants():
    campaign_made(name="A")
    campaign_made(name="B", code="high_value")
    campaign_triggers_run()  # creates the cursors' rows once

    def statements(n: int, prefix: str) -> int:
        customers = customers_made(n, prefix=prefix)
        segment_entered(customers[: n // 2], "at_risk")
        segment_entered(customers[n // 2 :], "high_value")
        with CaptureQueriesContext(connection) as queries:
            assert campaign_triggers_run().assigned == n
        return len(queries)

    # PostgreSQL writes assignments and messages in one statement; SQLite in two, and it
    # reads the first one's row count with a third.
    expected = {"postgresql": 24, "sqlite": 26}[connection.vendor]
    assert statements(4, "S") == statements(200, "L") == expected


@pytest.mark.django_db
def test_transitions_are_claimed_in_batches_each_acted_on_once():
    campaign_made()
    segment_entered(customers_made(25), "at_risk")

    from campaigns.triggers.step import triggers_run

    outcome = triggers_run(batch_size=10)

    assert (outcome.transitions, outcome.assigned) == (25, 25)
    assert Assignment.objects.count() == 25


@pytest.mark.django_db
def test_the_global_control_group_is_in_no_marketing_campaign_but_gets_feedback(settings):
    settings.CAMPAIGN_GLOBAL_CONTROL_PERCENT = 25
    marketing = campaign_made(holdout="0.0")
    feedback = campaign_made(name="Survey", holdout="0.0", kind=CampaignKind.FEEDBACK)
    customers = customers_made(200)
    segment_entered(customers, "at_risk")

    campaign_triggers_run()

    control = {c.pk for c in customers if in_global_control(c.pk)}
    assert control == {c.pk for c in customers if bucket_of("global", c.pk) < 2500}
    assert 25 <= len(control) <= 75  # a quarter of 200, by the hash
    marketed = set(Assignment.objects.filter(campaign=marketing).values_list("customer", flat=True))
    surveyed = set(Assignment.objects.filter(campaign=feedback).values_list("customer", flat=True))
    assert marketed == {c.pk for c in customers} - control
    assert surveyed == {c.pk for c in customers}
    assert not Message.objects.filter(campaign=marketing, customer__in=control).exists()


@pytest.mark.django_db
def test_the_global_control_group_is_stable_as_its_share_grows(settings):
    customers = customers_made(300)
    settings.CAMPAIGN_GLOBAL_CONTROL_PERCENT = 5
    small = {c.pk for c in customers if in_global_control(c.pk)}
    settings.CAMPAIGN_GLOBAL_CONTROL_PERCENT = 20
    large = {c.pk for c in customers if in_global_control(c.pk)}
    settings.CAMPAIGN_GLOBAL_CONTROL_PERCENT = 0
    assert small < large
    assert not any(in_global_control(c.pk) for c in customers)
