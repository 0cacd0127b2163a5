"""The customer page's Campaign messages panel: each message's status, people's opens and
clicks, the conversion by the results' rules (window, cut at the next assignment, refunds),
the holdouts, and an unsubscribe through a message; in two queries."""

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.models import Campaign, Message, MessageEvent
from campaigns.results.customer_record import customer_holdouts, customer_messages
from customers.models import Customer, Order
from tests.campaigns.builders import campaign_made, customers_made, exposed, ordered

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _first_variant(campaign: Campaign):
    return campaign.variants.order_by("id").first()


@pytest.fixture
def exposed_customer() -> Customer:
    """One customer in four campaigns (ids A to D) with orders placed so that each
    conversion rule decides one row (see the comments)."""
    customer, other = customers_made(2)
    a = campaign_made(name="Alpha", attribution_days=7)
    b = campaign_made(name="Beta", attribution_days=2)
    c = campaign_made(name="Gamma", attribution_days=1)
    d = campaign_made(name="Delta", attribution_days=7)
    # Alpha twice: the first window (to T0+7d) is cut at the second assignment (T0+2d), so
    # the order at T0+3d converts the second one only.
    (a1,) = exposed(
        a,
        _first_variant(a),
        [customer],
        at=T0,
        status=Message.Status.SENT,
        sent_at=T0 + timedelta(minutes=5),
        opens=2,
        clicks=1,
    )
    exposed(a, _first_variant(a), [customer], at=T0 + 2 * DAY, trigger_ref="broadcast:2")
    # Beta: an order at the very moment of the assignment and a refunded one inside the
    # window count nothing; one after the 2-day window neither.
    exposed(
        b,
        _first_variant(b),
        [customer],
        at=T0 + 10 * DAY,
        status=Message.Status.SUPPRESSED,
        suppressed_reason="no_consent",
    )
    # Gamma: an order exactly at the end of its 1-day window converts.
    exposed(
        c,
        _first_variant(c),
        [customer],
        at=T0 + 20 * DAY,
        status=Message.Status.SENT,
        sent_at=T0 + 20 * DAY,
    )
    # Delta: held out, and converted anyway.
    exposed(d, None, [customer], at=T0 + 30 * DAY)
    # Another customer's order inside every window converts none of this one's.
    exposed(d, None, [other], at=T0 + 30 * DAY)
    for at in (T0 + 3 * DAY, T0 + 10 * DAY, T0 + 13 * DAY, T0 + 21 * DAY, T0 + 31 * DAY):
        ordered(customer, at)
    ordered(customer, T0 + 11 * DAY, status=Order.Status.REFUNDED)
    ordered(other, T0 + 10 * DAY + timedelta(hours=1))
    # Machine opens are recorded as events but not counted on the message (2 stays 2).
    MessageEvent.objects.create(message=a1.message, kind="open", is_machine=True)
    MessageEvent.objects.create(
        message=a1.message, kind="unsubscribe", occurred_at=T0 + timedelta(hours=2)
    )
    return customer


def _row(assignment) -> tuple:
    message = assignment.message
    return (
        assignment.campaign.name,
        assignment.variant.name,
        message.status,
        message.suppressed_reason,
        message.opens,
        message.clicks,
        assignment.converted,
        assignment.unsubscribed_at,
    )


def test_messages_newest_first_with_conversions_by_the_results_rules(
    exposed_customer, django_assert_num_queries
):
    with django_assert_num_queries(1):
        rows = [_row(a) for a in customer_messages(exposed_customer.pk)]

    assert rows == [
        ("Gamma", "V0", "sent", "", 0, 0, True, None),
        ("Beta", "V0", "suppressed", "no_consent", 0, 0, False, None),
        ("Alpha", "V0", "pending", "", 0, 0, True, None),
        ("Alpha", "V0", "sent", "", 2, 1, False, T0 + timedelta(hours=2)),
    ]


def test_holdouts_with_their_conversion(exposed_customer, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = [
            (a.campaign.name, a.assigned_at, a.converted)  # type: ignore[attr-defined]  # annotated by the query
            for a in customer_holdouts(exposed_customer.pk)
        ]

    assert rows == [("Delta", T0 + 30 * DAY, True)]


def test_latest_twenty_messages_only(django_assert_num_queries):
    (customer,) = customers_made(1)
    campaign = campaign_made(name="Weekly")
    variant = _first_variant(campaign)
    for week in range(25):
        exposed(campaign, variant, [customer], at=T0 + week * 7 * DAY, trigger_ref=f"w:{week}")

    with django_assert_num_queries(1):
        rows = customer_messages(customer.pk)

    assert [a.trigger_ref for a in rows] == [f"w:{week}" for week in range(24, 4, -1)]


def test_the_customer_page_shows_the_panel(exposed_customer, make_staff, client):
    client.force_login(make_staff("Support"))

    page = client.get(f"/customers/{exposed_customer.pk}/").content.decode()

    panel = page.split('id="campaign-messages"', 1)[1].split("</section>", 1)[0]
    messages, holdouts = panel.split('id="customer-holdouts"', 1)
    assert messages.count("<tr>") == 5  # the head and four messages
    assert holdouts.count("<tr>") == 1
    assert 'Suppressed</span><div class="muted">No marketing consent</div>' in panel
    assert "Unsubscribed through it 2025-03-01" in panel
    assert 'Held out of <a href="/campaigns/' in holdouts
    assert '>Delta</a> <span class="muted">(the control group: sent nothing) · converted' in panel
    converted = [cell.split("<", 1)[0] for cell in panel.split('<td class="converted">')[1:]]
    assert converted == ["Yes", "No", "Yes", "No"]


def test_a_role_without_the_campaign_permissions_sees_no_panel(
    exposed_customer, make_staff, client
):
    user = make_staff("Support")
    role = user.groups.get()
    role.permissions.remove(*role.permissions.filter(codename="view_message"))
    client.force_login(user)

    page = client.get(f"/customers/{exposed_customer.pk}/").content.decode()

    assert 'id="campaign-messages"' not in page
