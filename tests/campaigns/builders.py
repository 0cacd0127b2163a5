"""Campaigns, customers and segment events for the campaigns tests, built the way the
product builds them (the lifecycle services, the outbox's own tables)."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
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


DAY = timedelta(days=1)


def results_campaign(t0: datetime) -> tuple[Campaign, list[Customer]]:
    """A campaign (7-day window, 10% holdout, V0 and V1 weighted 1:1) whose 10 customers were
    all assigned at ``t0``: V0 has 4 (two sent, one capped, one failed; 2 convert, 60.00 net),
    V1 3 (pending; 1 converts, 12.50), the holdout 3 (1 converts, 40.00)."""
    campaign = campaign_made(weights=(1, 1), holdout="10.0", attribution_days=7)
    v0, v1 = campaign.variants.order_by("id")
    c = customers_made(10)
    exposed(campaign, v0, c[0:1], at=t0, status="sent", opens=2, clicks=1)
    exposed(campaign, v0, c[1:2], at=t0, status="sent")
    exposed(campaign, v0, c[2:3], at=t0, status="suppressed", suppressed_reason="frequency_cap")
    exposed(campaign, v0, c[3:4], at=t0, status="failed")
    exposed(campaign, v1, c[4:7], at=t0)
    exposed(campaign, None, c[7:10], at=t0)
    # V0: two orders of c0 in the window (one partly refunded); c2, never sent, converts.
    ordered(c[0], t0 + DAY, "30.00")
    ordered(c[0], t0 + 2 * DAY, "20.00", refunded="5.00")
    ordered(c[2], t0 + 3 * DAY, "15.00")
    ordered(c[3], t0 - 10 * DAY, "50.00")  # before: the CUPED covariate only
    # V1: after the window, a refunded order, one in the window.
    ordered(c[4], t0 + 8 * DAY, "99.00")
    ordered(c[5], t0 + DAY, "80.00", status=Order.Status.REFUNDED)
    ordered(c[6], t0 + 6 * DAY, "12.50")
    # The holdout: one conversion.
    ordered(c[7], t0 + DAY, "40.00")
    return campaign, c
