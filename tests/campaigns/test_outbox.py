"""The outbox's sending: send-time consent, exit conditions and the frequency cap, pauses,
retries and failures, each message's outcome recorded once."""

import smtplib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from campaigns.models import Campaign, Message, Suppression
from campaigns.outbox.send import batch_send
from campaigns.services.campaigns import campaign_activate, campaign_finish, campaign_pause
from campaigns.services.outbox import messages_send, outbox_sweep
from campaigns.services.triggers import campaign_triggers_run
from customers.models import Customer, Order
from tests.campaigns.builders import campaign_made, customers_made, segment_entered


def _statuses(campaign: Campaign) -> dict[str, tuple[str, str]]:
    return {
        external_id: (status, reason)
        for external_id, status, reason in Message.objects.filter(campaign=campaign).values_list(
            "customer__external_id", "status", "suppressed_reason"
        )
    }


@pytest.mark.django_db
def test_each_entrant_in_a_variant_gets_one_email_and_the_holdout_none():
    campaign = campaign_made(holdout="30.0")
    customers = customers_made(40)
    segment_entered(customers, "at_risk")
    campaign_triggers_run()

    run = messages_send(seconds=60)

    messages = Message.objects.filter(campaign=campaign)
    assert run.sent == messages.count() == len(mail.outbox) > 0
    assert set(messages.values_list("status", flat=True)) == {"sent"}
    held_out = set(
        campaign.assignments.filter(variant__isnull=True).values_list("customer__email", flat=True)
    )
    assert held_out
    assert not held_out & {email.to[0] for email in mail.outbox}
    assert sorted(email.to[0] for email in mail.outbox) == sorted(
        messages.values_list("to_email", flat=True)
    )
    sent = messages.first()
    assert sent is not None
    assert sent.sent_at is not None
    assert sent.attempts == 1
    assert sent.smtp_message_id.startswith("<")
    assert sent.subject.startswith("Win-back")
    assert messages_send(seconds=60).sent == 0


@pytest.mark.django_db
def test_consent_is_checked_at_send_time_with_the_reason_recorded():
    campaign = campaign_made(holdout="0.0")
    ok, no_consent, unsubscribed, no_email, bounced = customers_made(5)
    segment_entered([ok, no_consent, unsubscribed, no_email, bounced], "at_risk")
    campaign_triggers_run()
    Customer.objects.filter(pk=no_consent.pk).update(marketing_consent=False)
    Customer.objects.filter(pk=unsubscribed.pk).update(unsubscribed_at=timezone.now())
    Customer.objects.filter(pk=no_email.pk).update(email="")
    Suppression.objects.create(email=bounced.email.upper(), reason="hard_bounce")

    messages_send(seconds=60)

    assert _statuses(campaign) == {
        "C-0": ("sent", ""),
        "C-1": ("suppressed", "no_consent"),
        "C-2": ("suppressed", "unsubscribed"),
        "C-3": ("suppressed", "no_email"),
        "C-4": ("suppressed", "suppressed_address"),
    }
    assert [email.to for email in mail.outbox] == [[ok.email]]


@pytest.mark.django_db
def test_a_pending_win_back_is_cancelled_when_the_customer_orders_or_leaves_the_segment():
    campaign = campaign_made(holdout="0.0")
    stays, ordered, left, ordered_before = customers_made(4)
    segment_entered([stays, ordered, left, ordered_before], "at_risk")
    campaign_triggers_run()
    now = timezone.now()
    for customer, placed in ((ordered, now), (ordered_before, now - timedelta(days=3))):
        Order.objects.create(
            external_id=f"O-{customer.pk}",
            customer=customer,
            placed_at=placed,
            total=Decimal("10.00"),
            currency="USD",
        )
    segment_entered([left], "low_value")

    messages_send(seconds=60)

    assert _statuses(campaign) == {
        "C-0": ("sent", ""),
        "C-1": ("suppressed", "converted"),
        "C-2": ("suppressed", "left_segment"),
        "C-3": ("sent", ""),
    }


@pytest.mark.django_db
def test_the_frequency_cap_lets_the_higher_priority_campaigns_through():
    low = campaign_made(name="Low", holdout="0.0", weights=(1,), priority=10)
    high = campaign_made(name="High", holdout="0.0", weights=(1,), priority=500)
    middle = campaign_made(name="Middle", holdout="0.0", weights=(1,), priority=100)
    [customer] = customers_made(1)
    segment_entered([customer], "at_risk")
    campaign_triggers_run()

    messages_send(seconds=60)

    assert _statuses(high) == {"C-0": ("sent", "")}
    assert _statuses(middle) == {"C-0": ("sent", "")}
    assert _statuses(low) == {"C-0": ("suppressed", "frequency_cap")}
    assert [email.subject for email in mail.outbox] == ["High 0", "Middle 0"]


@pytest.mark.django_db
def test_the_cap_counts_what_was_sent_in_the_window_and_not_before():
    first = campaign_made(name="First", holdout="0.0", weights=(1,))
    [customer] = customers_made(1)
    segment_entered([customer], "at_risk")
    campaign_triggers_run()
    messages_send(seconds=60)
    second = campaign_made(name="Second", holdout="0.0", weights=(1,))
    segment_entered([customer], "at_risk")  # re-enters: one message of each campaign
    campaign_triggers_run()

    messages_send(seconds=60)

    # One sent in the window leaves room for one more: at equal priority, the older one.
    assert list(first.messages.order_by("id").values_list("status", flat=True)) == [
        "sent",
        "sent",
    ]
    assert _statuses(second) == {"C-0": ("suppressed", "frequency_cap")}
    Message.objects.filter(status="sent").update(sent_at=timezone.now() - timedelta(days=8))
    campaign_finish(campaign_id=first.pk)
    segment_entered([customer], "at_risk")
    campaign_triggers_run()
    messages_send(seconds=60)
    assert list(second.messages.order_by("id").values_list("status", flat=True)) == [
        "suppressed",
        "sent",
    ]


def Counter_of(messages) -> dict[str, int]:  # noqa: N802
    counts: dict[str, int] = {}
    for status in messages.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


class PausingBackend(EmailBackend):
    """Pauses the campaign after its first email, as staff pressing Pause mid-send would."""

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if len(mail.outbox) == 1:
            campaign_pause(campaign_id=Campaign.objects.get().pk)
        return sent


@pytest.mark.django_db
def test_a_pause_mid_batch_stops_it_and_resuming_sends_the_rest_once(settings):
    campaign = campaign_made(holdout="0.0")
    segment_entered(customers_made(12), "at_risk")
    campaign_triggers_run()
    settings.EMAIL_BACKEND = "tests.campaigns.test_outbox.PausingBackend"

    batch_send()

    assert len(mail.outbox) == 1
    counts = Counter_of(Message.objects.filter(campaign=campaign))
    assert counts == {"sent": 1, "pending": 11}
    assert set(Message.objects.filter(status="pending").values_list("attempts", flat=True)) == {0}
    assert messages_send(seconds=60).sent == 0  # paused: nothing is claimed

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    campaign_activate(campaign_id=campaign.pk)
    messages_send(seconds=60)

    assert Counter_of(Message.objects.filter(campaign=campaign)) == {"sent": 12}
    assert len(mail.outbox) == 12
    assert len({e.to[0] for e in mail.outbox}) == 12


class FailingBackend(EmailBackend):
    """Refuses C-1 for good (550) and C-2 for now (451)."""

    def send_messages(self, messages):
        for message in messages:
            if message.to == ["c1@example.com"]:
                raise smtplib.SMTPRecipientsRefused({"c1@example.com": (550, b"no such user")})
            if message.to == ["c2@example.com"]:
                raise smtplib.SMTPResponseException(451, b"try again later")
        return super().send_messages(messages)


@pytest.mark.django_db
def test_transient_errors_retry_with_backoff_and_permanent_ones_fail_once(settings):
    settings.EMAIL_BACKEND = "tests.campaigns.test_outbox.FailingBackend"
    settings.CAMPAIGN_SEND_MAX_ATTEMPTS = 3
    campaign = campaign_made(holdout="0.0")
    segment_entered(customers_made(3), "at_risk")
    campaign_triggers_run()

    messages_send(seconds=60)

    rows = {m.customer.external_id: m for m in Message.objects.select_related("customer")}
    assert (rows["C-0"].status, rows["C-1"].status, rows["C-2"].status) == (
        "sent",
        "failed",
        "pending",
    )
    assert rows["C-1"].last_error.startswith("SMTPRecipientsRefused")
    retry_in = rows["C-2"].due_at - timezone.now()
    assert timedelta(seconds=50) < retry_in <= timedelta(seconds=60)
    for attempt in (2, 3):
        Message.objects.filter(pk=rows["C-2"].pk).update(due_at=timezone.now())
        messages_send(seconds=60)
        retried = Message.objects.get(pk=rows["C-2"].pk)
        assert retried.attempts == attempt
    assert retried.status == "failed"
    assert "451" in retried.last_error
    assert [e.to for e in mail.outbox] == [["c0@example.com"]]
    assert campaign.messages.filter(status="sent").count() == 1


@pytest.mark.django_db
def test_a_lease_that_ran_out_is_handed_back_by_the_sweeper_and_sent_once():
    campaign_made(holdout="0.0")
    segment_entered(customers_made(3), "at_risk")
    campaign_triggers_run()
    # A sender claimed the batch and died before sending anything.
    from campaigns.outbox.claim import messages_claim

    assert len(messages_claim(limit=10).to_send) == 3
    assert outbox_sweep().released == 0  # the lease still runs
    Message.objects.update(lease_until=timezone.now() - timedelta(seconds=1))

    sweep = outbox_sweep()

    assert (sweep.released, sweep.messages_due) == (3, True)
    messages_send(seconds=60)
    assert len(mail.outbox) == 3
    assert set(Message.objects.values_list("status", "attempts")) == {("sent", 2)}


class ReclaimingBackend(EmailBackend):
    """After the first email, the sweeper and another sender take C-1's message: its lease
    ran out (a stalled sender) and a new claim holds it."""

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if len(mail.outbox) == 1:
            Message.objects.filter(customer__external_id="C-1").update(
                lease_until=timezone.now() + timedelta(minutes=9)
            )
        return sent


@pytest.mark.django_db
def test_a_message_claimed_again_mid_batch_is_neither_sent_nor_marked_by_the_first(settings):
    campaign_made(holdout="0.0")
    segment_entered(customers_made(3), "at_risk")
    campaign_triggers_run()
    settings.EMAIL_BACKEND = "tests.campaigns.test_outbox.ReclaimingBackend"

    outcome = batch_send()

    assert (outcome.sent, outcome.released) == (2, 1)
    assert [e.to for e in mail.outbox] == [["c0@example.com"], ["c2@example.com"]]
    statuses = dict(Message.objects.values_list("customer__external_id", "status"))
    assert statuses == {"C-0": "sent", "C-1": "sending", "C-2": "sent"}  # C-1: the new claim's


@pytest.mark.django_db
def test_each_message_costs_one_statement_that_marks_the_last_and_checks_the_next(
    django_assert_num_queries, settings
):
    from django.db import connection

    campaign_made(holdout="0.0")
    segment_entered(customers_made(5), "at_risk")
    campaign_triggers_run()
    batch_send(limit=1)  # the first batch reads what is cached from then on

    # Per batch: the claim (8 statements with its savepoint and lock), the batch's emails
    # made (8: its campaigns and variants read once each) and recorded (2), and on
    # PostgreSQL the two around the sending that set synchronous_commit. Per message one,
    # which also marks the one before it sent; the last is marked after it. SQLite has no
    # WITH ... UPDATE: there, mark and check are two.
    expected = 18 + 2 + 4 + 1 if connection.vendor == "postgresql" else 18 + 4 * 2
    with django_assert_num_queries(expected):
        assert batch_send().sent == 4
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
