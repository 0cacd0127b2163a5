"""Inviting, set-based: a segment, a custom segment or a list of customers; the skipped
counted by reason; the daily after-order and periodic sends; the campaign outbox queues
one email per invitation."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Assignment, Message, Suppression
from campaigns.services.campaigns import campaign_finish
from customers.models import ClvRun, Customer, CustomSegmentMembership, Order, Segment
from feedback.models import Invitation, Survey
from feedback.services.invitations import survey_invite, surveys_invite_due
from tests.campaigns.builders import customers_made, segment_entered
from tests.feedback.builders import invited, survey_made
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db


def test_a_survey_owns_an_active_feedback_campaign_without_holdout():
    survey = survey_made()

    campaign = survey.campaign
    assert (campaign.kind, campaign.trigger, campaign.status) == ("feedback", "direct", "active")
    assert campaign.holdout_percent == Decimal("0")
    assert campaign.name == "Survey: After purchase"
    (variant,) = campaign.variants.all()
    assert (variant.bucket_from, variant.bucket_to) == (0, 10_000)
    assert "{% for point in survey.scale %}" in variant.body_html


def test_a_segments_members_are_invited_and_the_others_skipped_by_reason():
    eligible = customers_made(3)
    (no_email,) = customers_made(1, prefix="E")
    Customer.objects.filter(pk=no_email.pk).update(email="")
    (unsubscribed,) = customers_made(1, prefix="U", unsubscribed_at=timezone.now())
    (bounced,) = customers_made(1, prefix="B")
    (recent,) = customers_made(1, prefix="R")
    Suppression.objects.create(email=bounced.email.upper(), reason="hard_bounce")
    invited(survey_made("Earlier"), [recent])
    segment_entered([*eligible, no_email, unsubscribed, bounced, recent], "at_risk")
    survey = survey_made()

    with CaptureQueriesContext(connection) as queries:
        outcome = survey_invite(survey_id=survey.pk, segment_code="at_risk")

    assert outcome.invited == 3
    assert outcome.skipped == {
        "no_email": 1,
        "unsubscribed": 1,
        "suppressed_address": 1,
        "throttled": 1,
    }
    invitations = Invitation.objects.filter(survey=survey)
    assert {i.customer_id for i in invitations} == {c.pk for c in eligible}
    (ref,) = {i.trigger_ref for i in invitations}
    assert ref.startswith("manual:")
    messages = Message.objects.filter(campaign=survey.campaign)
    assert {(m.customer_id, m.trigger_ref, m.status) for m in messages} == {
        (c.pk, ref, "pending") for c in eligible
    }
    # The survey (locked), the segment, the send's lock (PostgreSQL only), the reasons,
    # the eligible, one insert of invitations, the campaign (locked) and the enrolment (one
    # statement; three on SQLite), and the two savepoints' opening and release.
    assert len(queries) == per_backend(sqlite=13, postgresql=12)


def test_a_list_of_customers_counts_the_ids_that_name_nobody():
    customers = customers_made(2)
    survey = survey_made()

    outcome = survey_invite(
        survey_id=survey.pk, customer_ids=[customers[0].pk, customers[1].pk, 999_999, 999_999]
    )

    assert (outcome.invited, outcome.skipped) == (2, {"unknown_customer": 1})


def test_a_custom_segments_members_are_invited():
    members = customers_made(2)
    customers_made(1, prefix="X")
    segment = Segment.objects.create(code="tea-lovers", name="Tea lovers", kind="custom")
    run = ClvRun.objects.create(as_of=date(2025, 1, 1), status=ClvRun.Status.SUCCEEDED)
    CustomSegmentMembership.objects.bulk_create(
        CustomSegmentMembership(segment=segment, customer=c, run=run) for c in members
    )

    outcome = survey_invite(survey_id=survey_made().pk, segment_code="tea-lovers")

    assert (outcome.invited, outcome.skipped) == (2, {})


def test_the_throttle_spans_every_survey_and_ends_after_its_days(settings):
    (customer,) = customers_made(1)
    first, second = survey_made(), survey_made("Second")
    survey_invite(survey_id=first.pk, customer_ids=[customer.pk])

    again = survey_invite(survey_id=second.pk, customer_ids=[customer.pk])
    with time_machine.travel(timezone.now() + timedelta(days=settings.FEEDBACK_THROTTLE_DAYS)):
        later = survey_invite(survey_id=second.pk, customer_ids=[customer.pk])

    assert (again.invited, again.skipped) == (0, {"throttled": 1})
    assert (later.invited, later.skipped) == (1, {})
    assert Assignment.objects.filter(customer=customer).count() == 2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "either a segment or a list"),
        ({"segment_code": "at_risk", "customer_ids": [1]}, "either a segment or a list"),
        ({"segment_code": "nope"}, "No segment 'nope'"),
    ],
)
def test_an_invite_names_one_known_audience(arguments, message):
    survey = survey_made()

    with pytest.raises(ValidationError, match=message):
        survey_invite(survey_id=survey.pk, **arguments)
    assert Invitation.objects.count() == 0


def test_a_survey_outside_its_active_dates_invites_nobody():
    (customer,) = customers_made(1)
    survey = survey_made(active_until=timezone.now() - timedelta(days=1), active_from=None)

    with pytest.raises(ValidationError, match="not active"):
        survey_invite(survey_id=survey.pk, customer_ids=[customer.pk])
    assert Invitation.objects.count() == Message.objects.count() == 0


# --------------------------------------------------------------------------- the daily step


def _order(customer, placed_at: datetime, status: str = "completed", ref: str = "") -> Order:
    return Order.objects.create(
        external_id=ref or f"O-{customer.pk}-{placed_at:%Y%m%d%H%M}",
        customer=customer,
        placed_at=placed_at,
        status=status,
        total=Decimal("40.00"),
        currency="USD",
    )


def test_the_daily_step_invites_once_the_customers_whose_orders_are_n_days_old():
    week_ago, six_days_ago, cancelled, twice = customers_made(4)
    survey = survey_made("Post-purchase", trigger="after_order", after_order_days=7)
    _order(week_ago, datetime(2026, 3, 3, 23, 30, tzinfo=UTC))
    _order(six_days_ago, datetime(2026, 3, 4, 0, 30, tzinfo=UTC))
    _order(cancelled, datetime(2026, 3, 3, 9, 0, tzinfo=UTC), status="cancelled")
    _order(twice, datetime(2026, 3, 3, 9, 0, tzinfo=UTC), ref="T-1")
    _order(twice, datetime(2026, 3, 3, 10, 0, tzinfo=UTC), ref="T-2")

    with time_machine.travel(datetime(2026, 3, 10, 6, 0, tzinfo=UTC), tick=False):
        (outcome,) = surveys_invite_due()
        rerun = surveys_invite_due()
    with time_machine.travel(datetime(2026, 3, 11, 6, 0, tzinfo=UTC), tick=False):
        (next_day,) = surveys_invite_due()

    assert (outcome.invited, outcome.skipped) == (2, {})
    assert rerun == []
    assert (next_day.invited, next_day.skipped) == (1, {})
    refs = dict(Invitation.objects.values_list("customer_id", "trigger_ref"))
    assert refs == {
        week_ago.pk: "after_order:20260303",
        twice.pk: "after_order:20260303",
        six_days_ago.pk: "after_order:20260304",
    }
    assert Message.objects.filter(campaign=survey.campaign).count() == 3


def test_a_missed_day_is_caught_up_by_the_next_run():
    first, second = customers_made(2)
    survey_made("Post-purchase", trigger="after_order", after_order_days=2)
    _order(first, datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    _order(second, datetime(2026, 3, 2, 12, 0, tzinfo=UTC))

    with time_machine.travel(datetime(2026, 3, 3, 6, 0, tzinfo=UTC), tick=False):
        surveys_invite_due()
    # No run on 4 March.
    with time_machine.travel(datetime(2026, 3, 5, 6, 0, tzinfo=UTC), tick=False):
        (caught_up,) = surveys_invite_due()

    assert caught_up.invited == 1
    assert Invitation.objects.count() == 2


def test_a_periodic_survey_invites_its_segment_when_due_then_every_n_days(settings):
    settings.FEEDBACK_THROTTLE_DAYS = 0
    customers = customers_made(2)
    segment_entered(customers, "high_value")
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    survey = survey_made(
        "Quarterly",
        trigger="periodic",
        segment=Segment.objects.get(code="high_value"),
        every_days=90,
        active_from=start,
    )

    with time_machine.travel(start - timedelta(hours=1), tick=False):
        early = surveys_invite_due()
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        (first,) = surveys_invite_due()
        again = surveys_invite_due()

    assert (early, first.invited, again) == ([], 2, [])
    assert Survey.objects.get(pk=survey.pk).next_run_at == start + timedelta(days=90)


def test_an_empty_list_invites_nobody():
    outcome = survey_invite(survey_id=survey_made().pk, customer_ids=[])

    assert (outcome.invited, outcome.skipped) == (0, {})


def test_a_survey_whose_campaign_was_finished_does_not_stop_the_others(caplog):
    customers = customers_made(2)
    running = survey_made("Running", trigger="after_order", after_order_days=1)
    # Made last, so the step reaches it first (the newest first): its failure is logged and
    # its invitations rolled back before the other survey invites the same customers.
    stopped = survey_made("Stopped", trigger="after_order", after_order_days=1)
    campaign_finish(campaign_id=stopped.campaign_id)
    for customer in customers:
        _order(customer, datetime(2026, 3, 1, 12, 0, tzinfo=UTC))

    with time_machine.travel(datetime(2026, 3, 2, 6, 0, tzinfo=UTC), tick=False):
        (outcome,) = surveys_invite_due()

    assert (outcome.survey_id, outcome.invited) == (running.pk, 2)
    assert not Invitation.objects.filter(survey=stopped).exists()
    assert f"survey {stopped.pk} invites nobody: A campaign that is finished" in caplog.text
