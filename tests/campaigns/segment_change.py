"""The scene of the end-to-end tests: a shop where the real reassignment moves 40
customers into ``at_risk``, some of whom may not be mailed, and what must come of it."""

from collections import Counter
from dataclasses import dataclass
from email.message import Message as Email

from django.test import Client
from django.utils import timezone

from campaigns.models import Assignment, Campaign, Message
from campaigns.services.outbox import messages_send
from campaigns.services.triggers import campaign_triggers_run
from customers.models import ClvRun, Customer
from tests.campaigns.builders import campaign_made, customers_made, segment_entered
from tests.customers.test_segments import _run, _score

SITE = "https://crm.example.com"


@dataclass
class SegmentChange:
    """40 customers scored at risk by ``run``; the last three are capped (two marketing
    emails this week), unsubscribed and without consent."""

    customers: list[Customer]
    earlier: Campaign
    win_back: Campaign
    run: ClvRun

    @property
    def refused(self) -> dict[str, str]:
        capped, unsubscribed, unconsenting = self.customers[-3:]
        return {
            capped.email: "frequency_cap",
            unsubscribed.email: "unsubscribed",
            unconsenting.email: "no_consent",
        }


def segment_change_made() -> SegmentChange:
    """The shop before its reassignment: the campaigns active, the new run's scores in."""
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
    win_back = campaign_made(holdout="25.0")
    run = _run()
    for customer in customers:  # valuable, but P(alive) fell: at risk
        _score(customer, run, p_alive=0.3, historical="500")
    return SegmentChange(customers, earlier, win_back, run)


def exactly_one_email_per_eligible_entrant(scene: SegmentChange, received: list[Email]) -> None:
    """One email to each entrant outside the holdout who may be mailed, with both
    unsubscribe headers; the others suppressed with their reason; the one-click POST of
    the first email unsubscribes its recipient."""
    arms = dict(
        Assignment.objects.filter(campaign=scene.win_back).values_list("customer__email", "variant")
    )
    assert len(arms) == 40
    held_out = {address for address, variant in arms.items() if variant is None}
    eligible = {address for address in arms if address not in held_out | set(scene.refused)}
    assert held_out
    assert Counter(str(message["To"]) for message in received) == Counter(eligible)
    reasons = dict(
        Message.objects.filter(campaign=scene.win_back, status="suppressed").values_list(
            "customer__email", "suppressed_reason"
        )
    )
    assert reasons == {a: r for a, r in scene.refused.items() if a not in held_out}
    assert scene.earlier.messages.filter(status="sent").count() == 2
    for message in received:
        assert str(message["List-Unsubscribe"]).strip().startswith(f"<{SITE}/m/u/")
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"

    # The mailbox provider's one-click POST (RFC 8058): no cookie, no CSRF token.
    first = received[0]
    url = str(first["List-Unsubscribe"]).strip().strip("<>")
    response = Client(enforce_csrf_checks=True).post(
        url.removeprefix(SITE),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Customer.objects.get(email=str(first["To"])).unsubscribed_at is not None
