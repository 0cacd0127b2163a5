"""Campaigns, customers and segment events for the campaigns tests, built the way the
product builds them (the lifecycle services, the outbox's own tables)."""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone

from campaigns.models import Assignment, Campaign, Message, Variant
from campaigns.services.campaigns import campaign_activate, campaign_create
from customers.models import (
    ClvRun,
    Customer,
    CustomerSegment,
    Order,
    Segment,
    SegmentTransition,
)
from customers.segments.defaults import segments_ensure_defaults


def customers_made(n: int, *, prefix: str = "C", **fields: Any) -> list[Customer]:
    """``n`` emailable customers (consent given), ``<prefix>-<i>``."""
    fields = {"marketing_consent": True, **fields}
    return Customer.objects.bulk_create(
        Customer(
            external_id=f"{prefix}-{i}",
            email=f"{prefix.lower()}{i}@example.com",
            first_name=f"Ann{i}",
            **fields,
        )
        for i in range(n)
    )


def segment(code: str) -> Segment:
    segments_ensure_defaults()
    return Segment.objects.get(code=code)


def segment_entered(
    customers: Sequence[Customer], code: str, *, at: datetime | None = None
) -> list[SegmentTransition]:
    """The customers move into segment ``code`` as a reassignment moves them: their
    membership changes and a transition is written for each, in one new run."""
    to = segment(code)
    at = at or timezone.now()
    run = ClvRun.objects.create(
        as_of=date(2025, 1, 1), status=ClvRun.Status.SUCCEEDED, finished_at=timezone.now()
    )
    CustomerSegment.objects.filter(customer__in=customers).delete()
    CustomerSegment.objects.bulk_create(
        CustomerSegment(customer=c, segment=to, reason="low_value", run=run, since=at)
        for c in customers
    )
    return SegmentTransition.objects.bulk_create(
        SegmentTransition(customer=c, to_segment=to, reason="low_value", run=run, created_at=at)
        for c in customers
    )


def campaign_made(
    *,
    name: str = "Win-back",
    code: str = "at_risk",
    weights: Sequence[int] = (1, 1),
    holdout: str = "10.0",
    trigger: str = "segment_entered",
    activate: bool = True,
    **fields: Any,
) -> Campaign:
    """A campaign through the services (activated unless told otherwise)."""
    campaign = campaign_create(
        fields={
            "name": name,
            "trigger": trigger,
            "segment": segment(code) if code else None,
            "holdout_percent": Decimal(holdout),
            **fields,
        },
        variants=[
            {
                "name": f"V{i}",
                "weight": weight,
                "subject": f"{name} {i}",
                "body_text": f"Hello from variant {i}: https://shop.example/offer/{i}",
            }
            for i, weight in enumerate(weights)
        ],
    )
    if activate:
        campaign = campaign_activate(campaign_id=campaign.pk)
    return campaign


_orders = count(1)


def exposed(
    campaign: Campaign,
    variant: Variant | None,
    customers: Sequence[Customer],
    *,
    at: datetime,
    trigger_ref: str = "activation",
    **message: Any,
) -> list[Assignment]:
    """The customers assigned ``variant`` (``None``: the holdout) at ``at``, as the trigger
    step writes them; for a variant, each gets a message with ``message``'s fields (status,
    suppressed_reason, opens, clicks), as the sender leaves it."""
    assignments = Assignment.objects.bulk_create(
        Assignment(
            campaign=campaign,
            customer=customer,
            variant=variant,
            trigger_ref=trigger_ref,
            triggered_at=at,
            assigned_at=at,
        )
        for customer in customers
    )
    if variant is not None:
        Message.objects.bulk_create(
            Message(
                assignment=assignment,
                campaign=campaign,
                customer_id=assignment.customer_id,
                variant=variant,
                trigger_ref=trigger_ref,
                triggered_at=at,
                **message,
            )
            for assignment in assignments
        )
    return assignments


def ordered(
    customer: Customer,
    at: datetime,
    total: str = "10.00",
    *,
    status: str = Order.Status.COMPLETED,
    refunded: str = "0.00",
) -> Order:
    """An order of ``customer`` placed at ``at`` (a completed one unless told)."""
    return Order.objects.create(
        external_id=f"O-{next(_orders)}",
        customer=customer,
        placed_at=at,
        total=Decimal(total),
        refunded_amount=Decimal(refunded),
        status=status,
        currency="USD",
    )
