"""A customer with a row in every table that can mention one, for the privacy tests."""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from campaigns.models import AudienceMember, Message, MessageEvent, MessageLink, Suppression
from campaigns.services.outbox import messages_send
from clvcrm.core.models import IdempotencyKey, TaskFailure
from customers.models import (
    ClvRun,
    ConnectedShop,
    Customer,
    CustomSegmentMembership,
    ImportRejection,
    LoyaltyTierChange,
    OrderImport,
    PointsEntry,
    Segment,
    SegmentTransition,
    ShopRefund,
    WebhookEvent,
)
from customers.segments.defaults import segments_ensure_defaults
from feedback.models import Response
from tests.campaigns.builders import campaign_made, exposed
from tests.customers.loyalty_builders import make_tiers
from tests.factories import order_with_coffee, score_and_place
from tests.feedback.builders import invited, survey_made

# Values found nowhere else in the database, so a dump can be searched for them.
EMAIL = "Quentin.Zebulon@privacy-example.org"
FIRST_NAME = "Quentinoz"
LAST_NAME = "Zebulonski"
PHONE = "+44 7700 900461"
COMMENT = "Quentinoz thinks the grinder is wonderful"
USER_AGENT = "Mozilla/5.0 (QZPhone; privacy-test-agent)"
PERSONAL = (EMAIL, FIRST_NAME, LAST_NAME, PHONE, COMMENT, USER_AGENT)


@dataclass
class Person:
    customer: Customer
    pending: Message  # queued, not sent yet


def person_everywhere(actor_note: str = "") -> Person:
    """Quentin, with orders, a score, a segment and its transition, a tier and its change,
    points, a custom segment, a sent campaign message with an open, click and link, a pending
    one, their address suppressed, a survey answered with a comment, an import's report and
    a shop's webhook naming them, an API answer and a task failure naming their address."""
    customer = Customer.objects.create(
        external_id="Q-1",
        email=EMAIL,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        phone=PHONE,
        country="GB",
        birthday=date(1990, 5, 17),
        marketing_consent=True,
        language="en",
    )
    order = order_with_coffee(customer, "QO-1")
    run = ClvRun.objects.create(
        as_of=date(2025, 1, 1), status=ClvRun.Status.SUCCEEDED, finished_at=timezone.now()
    )
    segments_ensure_defaults()
    gold = make_tiers()["Gold"]
    score_and_place(customer, run, clv="120.00", p_alive=0.8, tier=gold, points=40)
    SegmentTransition.objects.create(
        customer=customer,
        to_segment=Segment.objects.get(code="high_value"),
        reason="high_value",
        run=run,
    )
    LoyaltyTierChange.objects.create(
        customer=customer,
        to_tier=gold,
        reason="upgrade",
        effective_on=date(2025, 1, 1),
        spend_12m=Decimal("25.00"),
        orders_12m=1,
    )
    PointsEntry.objects.create(
        customer=customer, kind="adjust", points=40, reason=f"Goodwill for {FIRST_NAME}"
    )
    custom = Segment.objects.create(code="grinders", name="Grinder fans", kind="custom")
    CustomSegmentMembership.objects.create(segment=custom, customer=customer, run=run)

    campaign = campaign_made(name="Welcome", code="high_value", holdout="0.0")
    variant = campaign.variants.get(name="V0")
    (sent_assignment,) = exposed(campaign, variant, [customer], at=timezone.now())
    messages_send(seconds=60)
    sent = Message.objects.get(assignment=sent_assignment)
    Message.objects.filter(pk=sent.pk).update(
        subject=f"Hello {FIRST_NAME}", last_error=f"452 {EMAIL}: mailbox full"
    )
    link = MessageLink.objects.get(message=sent, position=0)  # the sender recorded it
    MessageEvent.objects.create(message=sent, kind="open", user_agent=USER_AGENT)
    MessageEvent.objects.create(message=sent, kind="click", link=link, user_agent=USER_AGENT)
    AudienceMember.objects.create(campaign=campaign, customer=customer)
    later = campaign_made(name="Later", code="high_value", holdout="0.0")
    (pending_assignment,) = exposed(
        later, later.variants.get(name="V0"), [customer], at=timezone.now(), trigger_ref="t2"
    )
    pending = Message.objects.get(assignment=pending_assignment)

    survey = survey_made()
    ((invitation, _token),) = invited(survey, [customer])
    Response.objects.create(
        invitation=invitation,
        survey=survey,
        customer=customer,
        score=9,
        comment=COMMENT,
        language="en",
    )

    Suppression.objects.create(email=EMAIL.upper(), reason="complaint", detail=f"from {EMAIL}")

    upload = OrderImport.objects.create(file_name="orders.csv")
    ImportRejection.objects.create(
        order_import=upload, row=2, column="email", value=EMAIL, reason="taken by another"
    )
    ImportRejection.objects.create(
        order_import=upload, row=3, order_id="QO-1", column="total", value="x", reason="bad"
    )
    shop = ConnectedShop.objects.create(platform="shopify", domain="q.myshopify.com", secret="s")
    body = {"id": 77, "email": EMAIL, "customer": {"first_name": FIRST_NAME}}
    WebhookEvent.objects.create(
        platform="shopify",
        shop=shop,
        topic="customers/update",
        delivery_id="d-1",
        body=json.dumps(body).encode(),
        processed_at=timezone.now(),
        outcome="ignored",
    )
    WebhookEvent.objects.create(
        platform="shopify",
        shop=shop,
        topic="orders/updated",
        delivery_id="d-2",
        body=json.dumps({"id": 1, "name": LAST_NAME}).encode(),
        order_id=order.external_id,
        received_at=timezone.now() - timedelta(minutes=1),
    )
    ShopRefund.objects.create(shop=shop, refund_id="r-1", order_id="QO-1", amount=Decimal("1"))
    clerk = User.objects.create_user(username="clerk")
    IdempotencyKey.objects.create(
        user=clerk, key="k-1", request_digest="0" * 64, status_code=200, response={"email": EMAIL}
    )
    TaskFailure.objects.create(task_name="send", exception=f"refused {EMAIL}")
    return Person(customer, pending)
