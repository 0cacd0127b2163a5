"""Partial refunds: every figure of value counts an order's net revenue.

An order's net revenue is its total less what the shop refunded of it (``refunded_amount``),
and nothing for a refunded or cancelled order: historical CLV, the spend model's monetary
value, RFM, the 90-day spend windows, loyalty tiers, points and the customer page all use
it. Runs on SQLite and PostgreSQL alike.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from clvcrm.pipeline.tasks import then_clv_run_fanned_out
from customers.loyalty.selectors import loyalty_card
from customers.models import (
    Customer,
    CustomerScore,
    LoyaltyTier,
    LoyaltyTierChange,
    Order,
    PointsBalance,
    PointsEntry,
)
from customers.services.clv_runs import clv_recalculate
from customers.services.loyalty import loyalty_refresh, points_redeem
from tests.customers.loyalty_builders import buy, configure, customer, make_tiers, refund

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 6, 30)
SCORE_FIELDS = (
    "customer__external_id",
    "frequency",
    "total_spent",
    "monetary",
    "historical_clv",
    "spend_last_90d",
    "spend_prior_90d",
    "rfm_monetary",
)


def _refunding_shop() -> None:
    """R: three purchase days with partial refunds, and a refunded order; five one-timers."""
    ruth = customer("R")
    buy(ruth, date(2025, 1, 10), "200.00", refunded="20.00")  # 180 net: the prior window
    buy(ruth, date(2025, 5, 20), "100.00")  # the last window
    buy(ruth, date(2025, 6, 15), "80.00", refunded="30.00")  # 50 net: the last window
    buy(ruth, date(2025, 6, 20), "40.00", status=Order.Status.REFUNDED)
    # By net, the first one-timer spent least; by total, most.
    for n, (total, refunded) in enumerate(
        [("500.00", "450.00"), ("100.00", "0"), ("200.00", "0"), ("300.00", "0"), ("400.00", "0")]
    ):
        buy(customer(f"M{n + 1}"), date(2025, 6, 1), total, refunded=refunded)


def _scores() -> list[tuple]:
    return list(CustomerScore.objects.order_by("customer__external_id").values_list(*SCORE_FIELDS))


def test_clv_figures_count_net_revenue_in_one_process_and_fanned_out():
    _refunding_shop()

    clv_recalculate(as_of=AS_OF)

    single = _scores()
    # R: 180 + 100 + 50 = 330 to date; repeat days average (100 + 50) / 2; 100 + 50 in the
    # last 90 days, 180 in the 90 before; RFM monetary 330 / 3 = 110 a purchase day.
    assert single == [
        ("M1", 0, Decimal("50.00"), Decimal("0.00"), Decimal("50.00"), Decimal("50.00"),
         Decimal("0.00"), 1),
        ("M2", 0, Decimal("100.00"), Decimal("0.00"), Decimal("100.00"), Decimal("100.00"),
         Decimal("0.00"), 2),
        ("M3", 0, Decimal("200.00"), Decimal("0.00"), Decimal("200.00"), Decimal("200.00"),
         Decimal("0.00"), 4),
        ("M4", 0, Decimal("300.00"), Decimal("0.00"), Decimal("300.00"), Decimal("300.00"),
         Decimal("0.00"), 5),
        ("M5", 0, Decimal("400.00"), Decimal("0.00"), Decimal("400.00"), Decimal("400.00"),
         Decimal("0.00"), 5),
        ("R", 2, Decimal("330.00"), Decimal("75.00"), Decimal("330.00"), Decimal("150.00"),
         Decimal("180.00"), 3),
    ]  # fmt: skip
    fanned_out = clv_recalculate(as_of=AS_OF, customers_per_part=2).fan_out
    assert fanned_out is not None
    then_clv_run_fanned_out(fanned_out)  # the parts and the finish, in-process here
    assert _scores() == single


def test_a_partial_refund_moves_the_tier_to_what_net_spend_supports():
    make_tiers()  # Silver from 100 spend
    ann = customer()
    buy(ann, date(2025, 6, 1), "150.00", refunded="60.00")

    loyalty_refresh(as_of=AS_OF)

    change = LoyaltyTierChange.objects.select_related("to_tier").get(customer=ann)
    assert change.to_tier is not None
    assert (change.to_tier.name, change.spend_12m, change.orders_12m) == (
        "Bronze",
        Decimal("90.00"),
        1,
    )
    card = loyalty_card(ann, AS_OF)
    assert (card.spend_12m, card.orders_12m) == (Decimal("90.00"), 1)
    assert card.next_tier is not None
    assert card.next_tier.spend_needed == Decimal("10.00")
    assert PointsEntry.objects.get(customer=ann).points == 90  # Bronze x1 on 90 net


def _ledger(who: Customer) -> list[tuple[str, int, Decimal | None]]:
    entries = PointsEntry.objects.filter(customer=who).order_by("id")
    return list(entries.values_list("kind", "points", "order_net"))


def _balance(who: Customer) -> int:
    return PointsBalance.objects.get(customer=who).balance


def _refresh_writes(as_of: date) -> tuple[int, int, int]:
    run = loyalty_refresh(as_of=as_of)
    return run.earned.entries, run.reversed.entries, run.expired.entries


def test_points_are_earned_on_net_and_later_refunds_take_back_the_difference():
    make_tiers()
    ann = customer()
    order = buy(ann, date(2025, 6, 1), "200.00")  # Silver x1.5: 300 points

    assert _refresh_writes(AS_OF) == (1, 0, 0)
    refund(order, "50.00")  # a quarter back: 75 points
    assert _refresh_writes(AS_OF) == (0, 1, 0)
    assert _refresh_writes(AS_OF) == (0, 0, 0)
    refund(order, "80.00")  # 40 % back in all: 120 points, 45 more
    assert _refresh_writes(AS_OF) == (0, 1, 0)
    assert _refresh_writes(AS_OF) == (0, 0, 0)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUNDED)  # the rest
    assert _refresh_writes(AS_OF) == (0, 1, 0)
    assert _refresh_writes(AS_OF) == (0, 0, 0)

    assert _ledger(ann) == [
        ("earn", 300, Decimal("200.00")),
        ("reverse", -75, Decimal("150.00")),
        ("reverse", -45, Decimal("120.00")),
        ("reverse", -180, Decimal("0.00")),
    ]
    assert _balance(ann) == 0


def test_an_order_refunded_before_its_points_were_earned_earns_on_net():
    configure(points_per_currency_unit=Decimal("2"))
    LoyaltyTier.objects.create(name="All", rank=1, min_orders=1)
    ann = customer()
    buy(ann, date(2025, 6, 1), "120.00", refunded="20.55")  # 2 x 99.45

    assert _refresh_writes(AS_OF) == (1, 0, 0)
    assert _refresh_writes(AS_OF) == (0, 0, 0)
    assert _ledger(ann) == [("earn", 198, Decimal("99.45"))]


def test_a_refund_worth_less_than_a_point_takes_nothing_until_more_is_refunded():
    LoyaltyTier.objects.create(name="All", rank=1, min_orders=1)
    ann = customer()
    order = buy(ann, date(2025, 6, 1), "40.99")  # 40 points
    loyalty_refresh(as_of=AS_OF)

    refund(order, "0.99")  # 40 x 0.99 / 40.99 = 0.97 points: nothing to take
    assert _refresh_writes(AS_OF) == (0, 0, 0)
    refund(order, "1.50")  # 40 x 1.50 / 40.99 = 1.46 points: one
    assert _refresh_writes(AS_OF) == (0, 1, 0)
    assert _refresh_writes(AS_OF) == (0, 0, 0)
    assert _ledger(ann) == [("earn", 40, Decimal("40.99")), ("reverse", -1, Decimal("39.49"))]


def test_a_refund_takes_back_no_more_than_the_balance_holds_and_never_later():
    LoyaltyTier.objects.create(name="All", rank=1, min_orders=1)
    ann = customer()
    order = buy(ann, date(2025, 6, 1), "100.00")  # 100 points
    loyalty_refresh(as_of=AS_OF)
    points_redeem(customer=ann, points=90, reason="voucher")

    refund(order, "50.00")  # 50 points owed back, 10 left to take
    assert _refresh_writes(AS_OF) == (0, 1, 0)
    buy(ann, date(2025, 6, 2), "30.00")  # new points are not clawed back for the old refund
    assert _refresh_writes(AS_OF) == (1, 0, 0)
    refund(order, "75.00")  # 25 more owed: the balance holds 30 now
    assert _refresh_writes(AS_OF) == (0, 1, 0)
    assert _refresh_writes(AS_OF) == (0, 0, 0)

    assert _ledger(ann) == [
        ("earn", 100, Decimal("100.00")),
        ("redeem", -90, None),
        ("reverse", -10, Decimal("50.00")),
        ("earn", 30, Decimal("30.00")),
        ("reverse", -25, Decimal("25.00")),
    ]
    assert _balance(ann) == 5


def test_an_order_reverses_once_per_refunded_amount_by_constraint():
    ann = customer()
    order = buy(ann, date(2025, 6, 1), "40.00")
    PointsEntry.objects.create(
        customer=ann, kind="earn", points=40, order=order, order_net=Decimal("40.00")
    )
    PointsEntry.objects.create(
        customer=ann, kind="reverse", points=-10, order=order, order_net=Decimal("30.00")
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            customer=ann, kind="reverse", points=-10, order=order, order_net=Decimal("30.00")
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # an order line names its net
        PointsEntry.objects.create(customer=ann, kind="reverse", points=-10, order=order)
    PointsEntry.objects.create(
        customer=ann, kind="reverse", points=-20, order=order, order_net=Decimal("10.00")
    )
    assert PointsEntry.objects.filter(kind="reverse").count() == 2


def test_refunded_points_expire_no_more_than_what_is_left_of_the_earning():
    configure(points_expiry_months=6)
    LoyaltyTier.objects.create(name="All", rank=1, min_orders=1)
    ann = customer()
    order = buy(ann, date(2025, 1, 10), "100.00")  # 100 points, expiring 2025-07-10
    loyalty_refresh(as_of=date(2025, 1, 10))
    refund(order, "20.00")
    loyalty_refresh(as_of=date(2025, 2, 1))
    refund(order, "30.00")
    loyalty_refresh(as_of=date(2025, 3, 1))

    july = loyalty_refresh(as_of=date(2025, 7, 10))

    assert (july.expired.entries, july.expired.points) == (1, -70)
    assert [k for k, *_ in _ledger(ann)] == ["earn", "reverse", "reverse", "expire"]
    assert _balance(ann) == 0


def test_the_customer_page_and_admin_show_net_revenue_and_refunds(admin_client):
    ruth = customer("R")
    buy(ruth, date(2025, 1, 10), "200.00", refunded="20.00")
    buy(ruth, date(2025, 5, 20), "100.00")
    buy(ruth, date(2025, 6, 20), "40.00", status=Order.Status.REFUNDED)

    text = admin_client.get(f"/customers/{ruth.pk}/").content.decode()

    assert (
        '<dt>Revenue</dt><dd>280.00 USD<span class="muted">Completed orders, net of '
        "20.00 USD refunded.</span></dd>"
    ) in text
    assert '<td class="num">200.00 USD<div class="muted small">20.00 refunded</div></td>' in text
    assert '<td class="num">100.00 USD</td>' in text
    admin = admin_client.get("/admin/customers/order/").content.decode()
    assert '<th scope="col" class="sortable column-refunded_amount">' in admin
    assert '<td class="field-refunded_amount">20.00</td>' in admin
