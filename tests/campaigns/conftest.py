"""Fixtures for the campaigns tests: campaigns made through the services, and the rows the
trigger step and the sender would have written (assignments, messages with their outcome,
links), built directly with the ORM."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from campaigns.models import Assignment, Campaign, Message, MessageLink, Variant
from campaigns.services.campaigns import campaign_activate, campaign_create
from customers.models import Customer, Segment

TRIGGERED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def variant_data(name: str, weight: int = 1) -> dict[str, Any]:
    return {
        "name": name,
        "weight": weight,
        "subject": f"We miss you ({name})",
        "body_text": "Hello {{ customer.first_name }}",
        "body_html": "",
    }


@pytest.fixture
def make_campaign(db: None) -> Callable[..., Campaign]:
    """A segment_entered campaign on at_risk with variants A and B, active unless asked."""

    def make(name: str = "Win-back", *, active: bool = True, **fields: Any) -> Campaign:
        campaign = campaign_create(
            fields={
                "name": name,
                "trigger": "segment_entered",
                "segment": Segment.objects.get(code="at_risk"),
                **fields,
            },
            variants=[variant_data("A"), variant_data("B")],
        )
        if active:
            campaign = campaign_activate(campaign_id=campaign.pk)
        return campaign

    return make


@pytest.fixture
def enrol(db: None) -> Callable[..., Assignment]:
    """Assign a new customer to ``variant`` (``None``: the holdout) and, for a variant, write
    its message with the given status and counters, as the trigger step and sender would."""
    counter = iter(range(1, 10_000))

    def enrol_one(campaign: Campaign, variant: Variant | None, **message: Any) -> Assignment:
        number = next(counter)
        customer = Customer.objects.create(
            external_id=f"K{campaign.pk}-{number}", email=f"k{campaign.pk}-{number}@example.com"
        )
        ref = f"transition:{number}"
        assignment = Assignment.objects.create(
            campaign=campaign,
            customer=customer,
            variant=variant,
            trigger_ref=ref,
            triggered_at=TRIGGERED_AT,
        )
        if variant is not None:
            Message.objects.create(
                assignment=assignment,
                campaign=campaign,
                customer=customer,
                variant=variant,
                trigger_ref=ref,
                triggered_at=TRIGGERED_AT,
                to_email=customer.email,
                **message,
            )
        return assignment

    return enrol_one


@pytest.fixture
def filled(make_campaign: Callable[..., Campaign], enrol: Callable[..., Assignment]) -> Campaign:
    """An active campaign: A has 4 recipients (two sent, opened 3 + 0 times and clicked
    once, one capped, one no-consent), B has 2 (one failed, one pending), the holdout 3."""
    campaign = make_campaign()
    a, b = campaign.variants.order_by("id")
    enrol(campaign, a, status="sent", opens=3, clicks=1)
    enrol(campaign, a, status="sent", opens=0)
    enrol(campaign, a, status="suppressed", suppressed_reason="frequency_cap")
    enrol(campaign, a, status="suppressed", suppressed_reason="no_consent")
    enrol(campaign, b, status="failed")
    enrol(campaign, b)
    for _ in range(3):
        enrol(campaign, None)
    return campaign


@pytest.fixture
def make_message(db) -> Callable[..., Message]:
    """A sent message of a one-variant campaign to a new customer, with ``links`` stored
    as the sender stores them (position = index)."""
    count = 0

    def make(
        *,
        links: Sequence[str] = (),
        language: str = "",
        sent_ago: timedelta = timedelta(hours=1),
        smtp_message_id: str = "",
    ) -> Message:
        nonlocal count
        count += 1
        campaign, _ = Campaign.objects.get_or_create(
            name="Win-back",
            defaults={"trigger": "broadcast", "status": Campaign.Status.ACTIVE},
        )
        variant, _ = Variant.objects.get_or_create(
            campaign=campaign, name="A", defaults={"subject": "We miss you", "body_text": "Hi"}
        )
        customer = Customer.objects.create(
            external_id=f"C-{count}",
            email=f"Customer{count}@Example.com",
            marketing_consent=True,
            language=language,
        )
        now = timezone.now()
        assignment = Assignment.objects.create(
            campaign=campaign,
            customer=customer,
            trigger_ref="broadcast:2026-12-01",
            variant=variant,
            triggered_at=now - sent_ago,
        )
        message = Message.objects.create(
            assignment=assignment,
            campaign=campaign,
            customer=customer,
            variant=variant,
            trigger_ref=assignment.trigger_ref,
            triggered_at=assignment.triggered_at,
            status=Message.Status.SENT,
            to_email=customer.email,
            subject="We miss you",
            smtp_message_id=smtp_message_id,
            sent_at=now - sent_ago,
        )
        MessageLink.objects.bulk_create(
            MessageLink(message=message, position=position, url=url)
            for position, url in enumerate(links)
        )
        return message

    return make
