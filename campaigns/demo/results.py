"""A finished experiment in the demo shop, with a real (simulated) effect to find.

Two months ago a win-back test went to 1,500 of the shop's existing customers: 20% held
out, the rest split by the real hash between "15% off" and "Just checking in". The demo's
customers then behave as the statistics should discover: in the 7 days after the email,
"15% off" raises the chance of an order from 6% to 16%, "Just checking in" changes nothing.
Those orders are written into the shop's history (before the demo's CLV run, so it sees
them), the campaign is finished, and its results are computed: one significant uplift,
one null result, and the automatic winner's decision for "15% off".
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone

from campaigns.assignment import bucket_of, in_global_control
from campaigns.models import Assignment, Campaign, Message, Variant
from campaigns.services.campaigns import campaign_activate, campaign_create, campaign_finish
from campaigns.services.results import campaign_results_compute
from customers.models import Customer, Order, Segment
from customers.segments.defaults import segments_ensure_defaults

NAME = "Spring win-back test"
CUSTOMERS = 1500
DAYS_AGO = 60
WINDOW_DAYS = 7
BASE_RATE = 0.06
# The chance of an order in the window, by variant: the discount works, the reminder not.
RATE_BY_VARIANT = {"15% off": 0.16, "Just checking in": BASE_RATE}
SEED = 13


@dataclass(frozen=True)
class DemoExperiment:
    campaign: Campaign
    assigned: int
    orders: int


def demo_experiment_seed() -> DemoExperiment | None:
    """Create the finished experiment once (None when it exists or the shop is empty)."""
    if Campaign.objects.filter(name=NAME).exists():
        return None
    assigned_at = timezone.now() - timedelta(days=DAYS_AGO)
    customers = list(
        Customer.objects.filter(
            orders__status=Order.Status.COMPLETED, orders__placed_at__lt=assigned_at
        )
        .distinct()
        .order_by("pk")[:CUSTOMERS]
    )
    # Like every marketing campaign, it leaves the global control group alone.
    customers = [c for c in customers if not in_global_control(c.pk)]
    if not customers:
        return None
    segments_ensure_defaults()
    campaign = campaign_create(
        fields={
            "name": NAME,
            "description": "A/B test of a discount against a plain reminder, 20% held out.",
            "trigger": "segment_entered",
            "segment": Segment.objects.get(code="at_risk"),
            "holdout_percent": Decimal("20"),
            "attribution_days": WINDOW_DAYS,
            "auto_winner": True,
            "winner_minimum_per_arm": 200,
        },
        variants=[
            {
                "name": name,
                "weight": 1,
                "subject": subject,
                "body_text": f"Hello {{{{ customer.first_name }}}},\n\n{line}",
            }
            for name, subject, line in (
                ("15% off", "15% off your next order", "Here is 15% off: {{ offer_code }}."),
                ("Just checking in", "We miss you", "It has been a while. Come and see."),
            )
        ],
    )
    campaign = campaign_activate(campaign_id=campaign.pk)
    orders = _history_write(campaign, customers, assigned_at)
    campaign_finish(campaign_id=campaign.pk)
    campaign_results_compute(campaign_id=campaign.pk)
    return DemoExperiment(campaign, len(customers), orders)


def _history_write(campaign: Campaign, customers: list[Customer], at: datetime) -> int:
    """The assignments (by the real hash), the emails sent, and the orders the customers
    placed in reply; the number of orders."""
    rng = np.random.default_rng(SEED)
    variants = list(Variant.objects.filter(campaign=campaign).order_by("id"))
    currency = Order.objects.values_list("currency", flat=True).first() or "USD"
    assignments, messages, orders = [], [], []
    for customer in customers:
        bucket = bucket_of(campaign.pk, customer.pk)
        variant = next(
            (v for v in variants if (v.bucket_from or 0) <= bucket < (v.bucket_to or 0)), None
        )
        assignments.append(
            Assignment(
                campaign=campaign,
                customer=customer,
                variant=variant,
                trigger_ref="demo",
                triggered_at=at,
                assigned_at=at,
            )
        )
        rate = RATE_BY_VARIANT[variant.name] if variant else BASE_RATE
        if rng.random() < rate:
            placed = at + timedelta(hours=float(rng.uniform(2, 24 * WINDOW_DAYS - 1)))
            orders.append(
                Order(
                    external_id=f"DEMO-WINBACK-{customer.pk}",
                    customer=customer,
                    placed_at=placed,
                    total=Decimal(f"{rng.lognormal(3.4, 0.5):.2f}"),
                    currency=currency,
                )
            )
    with transaction.atomic():
        written = Assignment.objects.bulk_create(assignments)
        for assignment in written:
            if assignment.variant is not None:
                messages.append(_sent(assignment, at))
        Message.objects.bulk_create(messages)
        Order.objects.bulk_create(orders)
    return len(orders)


def _sent(assignment: Assignment, at: datetime) -> Message:
    customer = assignment.customer
    return Message(
        assignment=assignment,
        campaign=assignment.campaign,
        customer=customer,
        variant=assignment.variant,
        trigger_ref=assignment.trigger_ref,
        triggered_at=at,
        priority=assignment.campaign.priority,
        status=Message.Status.SENT,
        due_at=at,
        sent_at=at + timedelta(minutes=5),
        attempts=1,
        to_email=customer.email or "",
        subject=assignment.variant.subject if assignment.variant else "",
    )
