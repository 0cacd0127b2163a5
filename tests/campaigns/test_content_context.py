"""The documented context: each key's value, built in a fixed number of queries."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.content.context import offer_code_unique, offer_code_valid
from campaigns.content.render import Recipient, contexts_build
from campaigns.services.recommendations import product_affinities_refresh
from customers.models import ClvRun, LoyaltyTier, PointsBalance, PointsEntry
from tests.factories import score_and_place, score_of

from .content_builders import campaign_with_variant, customer_named, order_of, products

pytestmark = pytest.mark.django_db  # segments and tiers come from the migrations


@pytest.fixture(autouse=True)
def _shop_name(settings) -> None:
    settings.SHOP_NAME = "Bean & Leaf"


def succeeded_run() -> ClvRun:
    return ClvRun.objects.create(as_of=date(2025, 6, 1), status=ClvRun.Status.SUCCEEDED)


def context_of(customer, **campaign_fields) -> dict:
    variant = campaign_with_variant(**campaign_fields)
    return contexts_build(campaign=variant.campaign, recipients=[Recipient(5, customer.pk)])[5]


def earn(customer, points: int, order, expires_in_days: int) -> PointsEntry:
    return PointsEntry.objects.create(
        customer=customer,
        kind="earn",
        points=points,
        order=order,
        order_net=order.total,
        expires_at=timezone.now() + timedelta(days=expires_in_days),
    )


def test_the_full_context_of_a_customer():
    ada = customer_named("Ada", "Lovelace", "ada@example.com")
    gold = LoyaltyTier.objects.create(name="Gold", rank=1, min_orders=1)
    score_and_place(ada, succeeded_run(), clv="912.40", p_alive=0.9, tier=gold, points=1250)

    assert context_of(ada, segment=None) == {
        "customer": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "full_name": "Ada Lovelace",
            "email": "ada@example.com",
        },
        "tier": "Gold",
        "points": {"balance": 1250, "expiring": 0, "expiring_on": None},
        "clv_band": "top 10%",
        "segment": {"code": "high_value", "name": "High value"},
        "offer_code": "",
        "recommended_products": [],
        "shop": {"name": "Bean & Leaf"},
    }


def test_a_customer_with_nothing_yet_has_empty_values():
    nobody = customer_named()
    context = context_of(nobody, segment=None)
    assert context["customer"] == {"first_name": "", "last_name": "", "full_name": "", "email": ""}
    assert context["tier"] == ""
    assert context["points"] == {"balance": 0, "expiring": 0, "expiring_on": None}
    assert context["clv_band"] == ""
    assert context["segment"] == {"code": "", "name": ""}


def test_the_campaigns_segment_is_the_segment_of_a_segment_campaign():
    ada = customer_named("Ada")
    score_and_place(ada, succeeded_run(), clv="10.00", p_alive=0.9)  # in high_value
    assert context_of(ada, segment="at_risk")["segment"] == {"code": "at_risk", "name": "At risk"}


def test_points_expiring_within_30_days_oldest_spent_first():
    ada = customer_named("Ada")
    first, second, third = (order_of(ada, []) for _ in range(3))
    earn(ada, 100, first, expires_in_days=10)
    earn(ada, 50, second, expires_in_days=20)
    earn(ada, 70, third, expires_in_days=60)
    earn(ada, 40, order_of(ada, []), expires_in_days=-1)  # past due, not yet expired by the job
    PointsEntry.objects.create(
        customer=ada, kind="reverse", points=-20, order=second, order_net=Decimal("5.00")
    )
    PointsEntry.objects.create(customer=ada, kind="redeem", points=-70)
    PointsBalance.objects.create(customer=ada, balance=170)

    # 70 redeemed: 40 from the past-due earning (spent first), 30 from the first; the
    # second has 30 left after its reversal; the third expires after the window.
    assert context_of(ada)["points"] == {
        "balance": 170,
        "expiring": 70 + 30,
        "expiring_on": timezone.localdate(timezone.now() + timedelta(days=10)),
    }


def test_points_spent_entirely_leave_nothing_expiring():
    ada = customer_named("Ada")
    earn(ada, 100, order_of(ada, []), expires_in_days=10)
    PointsEntry.objects.create(customer=ada, kind="adjust", points=-100, reason="goodwill")
    assert context_of(ada)["points"] == {"balance": 0, "expiring": 0, "expiring_on": None}


def test_clv_bands_by_rank_of_predicted_clv_in_the_latest_run():
    run = succeeded_run()
    customers = []
    for clv in range(100, 1001, 100):  # ten customers: 100 ... 1000
        customer = customer_named(f"C{clv}")
        score_of(customer, run, predicted_clv=Decimal(clv))
        customers.append(customer)
    unscored = customer_named("New")
    variant = campaign_with_variant()
    recipients = [Recipient(c.pk, c.pk) for c in [*customers, unscored]]

    contexts = contexts_build(campaign=variant.campaign, recipients=recipients)

    bands = {
        contexts[c.pk]["customer"]["first_name"]: contexts[c.pk]["clv_band"] for c in customers
    }
    assert bands == {
        "C1000": "top 10%",
        "C900": "top 25%",
        "C800": "top 25%",
        "C700": "middle",
        "C600": "middle",
        "C500": "middle",
        "C400": "middle",
        "C300": "bottom 25%",
        "C200": "bottom 25%",
        "C100": "bottom 25%",
    }
    assert contexts[unscored.pk]["clv_band"] == ""


def test_offer_codes_none_shared_and_unique_per_message(settings):
    ada = customer_named("Ada")
    assert context_of(ada)["offer_code"] == ""
    assert context_of(ada, offer_codes="shared", offer_code="VIP20")["offer_code"] == "VIP20"

    variant = campaign_with_variant(offer_codes="unique")
    recipients = [Recipient(101, ada.pk), Recipient(102, ada.pk)]
    codes = {
        message_id: context["offer_code"]
        for message_id, context in contexts_build(
            campaign=variant.campaign, recipients=recipients
        ).items()
    }
    assert codes == {101: offer_code_unique(101), 102: offer_code_unique(102)}
    assert codes[101] != codes[102]
    pattern = re.compile(r"CLV-[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{4}-[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{4}")
    assert all(pattern.fullmatch(code) for code in codes.values())
    assert offer_code_valid(codes[101].lower(), 101)
    assert not offer_code_valid(codes[101], 102)
    # Derived from SECRET_KEY: another key, other codes.
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    assert offer_code_unique(101) != codes[101]


def _batch(n: int) -> list[Recipient]:
    run = succeeded_run()
    gold = LoyaltyTier.objects.create(name="Gold", rank=1, min_orders=1)
    coffee, tea = products("COF", "TEA").values()
    recipients = []
    for i in range(n):
        customer = customer_named(f"C{i}", "Doe", f"c{i}@example.com")
        score_and_place(customer, run, clv=f"{i + 1}.00", p_alive=0.9, tier=gold, points=i)
        order_of(customer, [coffee, tea] if i % 2 else [coffee])
        earn(customer, 5, order_of(customer, [tea]), expires_in_days=3)
        recipients.append(Recipient(1000 + i, customer.pk))
    product_affinities_refresh()
    return recipients


@pytest.mark.parametrize("size", [1, 50])
def test_the_context_of_a_batch_takes_the_same_queries_whatever_its_size(
    size, django_assert_num_queries
):
    recipients = _batch(size)
    variant = campaign_with_variant(offer_codes="unique")
    # Customers, expiring points, recommendations, the latest run, the band cut-offs
    # (count and values: cached for the next batches of the run), the campaign's segment.
    with django_assert_num_queries(7):
        contexts = contexts_build(campaign=variant.campaign, recipients=recipients)
    assert len(contexts) == size
    assert contexts[1000]["points"]["expiring"] == 5
    # The cut-offs are cached per run: the next batch reads only the run's id for them.
    with django_assert_num_queries(5):
        contexts_build(campaign=variant.campaign, recipients=recipients)
