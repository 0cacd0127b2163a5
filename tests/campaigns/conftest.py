"""Builders for the campaigns tests: a sent message, built directly with the ORM."""

from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Assignment, Campaign, Message, MessageLink, Variant
from customers.models import Customer


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
