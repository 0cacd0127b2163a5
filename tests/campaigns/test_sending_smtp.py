"""End to end over a real SMTP server on loopback: a segment change made by the real
reassignment sends exactly one email to each eligible entrant, with the unsubscribe
headers, and none to the holdout, the unsubscribed, the unconsenting or the capped."""

from collections import Counter

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Assignment, Message
from campaigns.services.outbox import messages_send
from campaigns.services.triggers import campaign_triggers_run
from clvcrm.pipeline import tasks as pipeline
from customers.models import Customer
from tests.campaigns.builders import campaign_made, customers_made, segment_entered
from tests.customers.test_segments import _run, _score


@pytest.mark.django_db
def test_a_segment_change_sends_exactly_one_email_per_eligible_entrant(
    smtp, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://crm.example.com"
    customers = customers_made(40)
    capped, unsubscribed, unconsenting = customers[-3:]
    # Two marketing emails this week already: the cap (2 in 7 days) is reached.
    earlier = campaign_made(name="Earlier", code="high_value", holdout="0.0", weights=(1,))
    for _ in range(2):
        segment_entered([capped], "high_value")
        campaign_triggers_run()
        messages_send(seconds=60)
    Customer.objects.filter(pk=unsubscribed.pk).update(unsubscribed_at=timezone.now())
    Customer.objects.filter(pk=unconsenting.pk).update(marketing_consent=False)
    smtp.received.clear()
    win_back = campaign_made(holdout="25.0")
    run = _run()
    for customer in customers:  # valuable, but P(alive) fell: at risk
        _score(customer, run, p_alive=0.3, historical="500")

    with django_capture_on_commit_callbacks(execute=True):
        pipeline.segments_reassign.delay(run.pk)  # then the triggers, then the senders

    arms = dict(
        Assignment.objects.filter(campaign=win_back).values_list("customer__email", "variant")
    )
    assert len(arms) == 40
    held_out = {address for address, variant in arms.items() if variant is None}
    refused = {capped.email, unsubscribed.email, unconsenting.email}
    eligible = {address for address in arms if address not in held_out | refused}
    received = Counter(str(message["To"]) for message in smtp.received)
    assert held_out
    assert received == Counter(eligible)  # exactly one each, nobody else
    reasons = dict(
        Message.objects.filter(campaign=win_back, status="suppressed").values_list(
            "customer__email", "suppressed_reason"
        )
    )
    assert reasons == {
        address: reason
        for address, reason in (
            (capped.email, "frequency_cap"),
            (unsubscribed.email, "unsubscribed"),
            (unconsenting.email, "no_consent"),
        )
        if address not in held_out
    }
    assert earlier.messages.filter(status="sent").count() == 2
    for message in smtp.received:
        assert str(message["List-Unsubscribe"]).strip().startswith("<https://crm.example.com/m/u/")
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"

    # The mailbox provider's one-click POST (RFC 8058): no cookie, no CSRF token.
    first = smtp.received[0]
    url = str(first["List-Unsubscribe"]).strip().strip("<>")
    response = Client(enforce_csrf_checks=True).post(
        url.removeprefix("https://crm.example.com"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Customer.objects.get(email=str(first["To"])).unsubscribed_at is not None
