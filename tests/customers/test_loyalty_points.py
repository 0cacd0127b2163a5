"""The points ledger: earning, reversal, expiry oldest first, staff redemptions."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from customers.loyalty import tier_writes
from customers.loyalty.ledger import PointsError
from customers.models import Order, PointsBalance, PointsEntry
from customers.services.loyalty import loyalty_refresh, points_adjust, points_redeem
from tests.customers.loyalty_builders import buy, configure, customer, make_tiers
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db


def ledger_of(who) -> list[tuple[str, int]]:
    entries = PointsEntry.objects.filter(customer=who).order_by("id")
    return list(entries.values_list("kind", "points"))


def balance_of(who) -> int:
    return PointsBalance.objects.get(customer=who).balance


def assert_balances_match_ledger():
    per_customer = PointsEntry.objects.values("customer").annotate(s=Sum("points"))
    sums = dict(per_customer.values_list("customer", "s"))
    assert dict(PointsBalance.objects.values_list("customer", "balance")) == sums


def test_completed_orders_earn_base_rate_times_tier_multiplier():
    configure(points_per_currency_unit="2", points_expiry_months=12)
    make_tiers()
    ann, bob = customer(), customer()
    buy(ann, date(2025, 1, 10), "40.99")  # Bronze, x1: floor(81.98) = 81
    silver = buy(bob, date(2025, 1, 10), "150.25")  # Silver, x1.5: floor(450.75) = 450
    buy(bob, date(2025, 1, 10), "10.00", status=Order.Status.CANCELLED)
    buy(bob, date(2025, 1, 11), "10.00")  # after the as-of day

    refresh = loyalty_refresh(as_of=date(2025, 1, 10))

    assert (refresh.earned.entries, refresh.earned.points) == (2, 531)
    assert ledger_of(ann) == [("earn", 81)]
    assert ledger_of(bob) == [("earn", 450)]
    assert (balance_of(ann), balance_of(bob)) == (81, 450)
    earned = PointsEntry.objects.get(order=silver)
    assert earned.expires_at is not None
    assert earned.expires_at.date() == date(2026, 1, 10)
    assert_balances_match_ledger()


def test_running_twice_writes_the_same_ledger():
    make_tiers()
    ann = customer()
    buy(ann, date(2025, 1, 10), "40.00")
    refund = buy(ann, date(2025, 1, 3), "20.00")
    loyalty_refresh(as_of=date(2025, 1, 10))
    Order.objects.filter(pk=refund.pk).update(status=Order.Status.REFUNDED)
    loyalty_refresh(as_of=date(2025, 1, 10))
    before = list(PointsEntry.objects.order_by("id").values_list("kind", "points", "order"))

    again = loyalty_refresh(as_of=date(2025, 1, 10))

    assert (again.earned.entries, again.reversed.entries, again.expired.entries) == (0, 0, 0)
    after = list(PointsEntry.objects.order_by("id").values_list("kind", "points", "order"))
    assert after == before
    assert ledger_of(ann) == [("earn", 40), ("earn", 20), ("reverse", -20)]
    assert balance_of(ann) == 40


def test_an_order_earns_at_most_once_by_constraint():
    # Reversals: once per order and net revenue left (tests/customers/test_refunds.py).
    ann = customer()
    order = buy(ann, date(2025, 1, 10), "40.00")
    net = Decimal("40.00")
    PointsEntry.objects.create(customer=ann, kind="earn", points=40, order=order, order_net=net)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            customer=ann, kind="earn", points=40, order=order, order_net=Decimal("30.00")
        )


def test_reversal_on_refund_takes_back_what_is_left():
    ann = customer()
    first = buy(ann, date(2025, 1, 1), "100.00")
    second = buy(ann, date(2025, 1, 2), "50.00")
    loyalty_refresh(as_of=date(2025, 1, 2))
    points_redeem(customer=ann, points=120, reason="voucher")
    Order.objects.filter(pk__in=[first.pk, second.pk]).update(status=Order.Status.REFUNDED)

    result = loyalty_refresh(as_of=date(2025, 1, 3))

    # 30 points were left: the first refund takes them, the second finds nothing left.
    assert (result.reversed.entries, result.reversed.points) == (2, -30)
    assert ledger_of(ann)[-2:] == [("reverse", -30), ("reverse", 0)]
    assert balance_of(ann) == 0
    assert_balances_match_ledger()


def test_expiry_takes_the_unspent_part_of_the_oldest_earnings_first():
    configure(points_per_currency_unit="1", points_expiry_months=6)
    ann = customer()
    buy(ann, date(2025, 1, 10), "100.00")  # expires 2025-07-10
    buy(ann, date(2025, 3, 10), "50.00")  # expires 2025-09-10
    loyalty_refresh(as_of=date(2025, 3, 10))
    points_redeem(customer=ann, points=30, reason="voucher")  # uses the oldest first

    assert loyalty_refresh(as_of=date(2025, 7, 9)).expired.entries == 0
    july = loyalty_refresh(as_of=date(2025, 7, 10))
    assert (july.expired.entries, july.expired.points) == (1, -70)
    assert balance_of(ann) == 50

    points_redeem(customer=ann, points=20, reason="voucher")
    september = loyalty_refresh(as_of=date(2025, 9, 10))
    assert (september.expired.entries, september.expired.points) == (1, -30)
    assert ledger_of(ann) == [
        ("earn", 100),
        ("earn", 50),
        ("redeem", -30),
        ("expire", -70),
        ("redeem", -20),
        ("expire", -30),
    ]
    assert balance_of(ann) == 0
    expiries = PointsEntry.objects.filter(kind="expire").order_by("id")
    assert [e.expired_entry.points if e.expired_entry else None for e in expiries] == [100, 50]
    # Again for the same day: the watermark says it is done.
    assert loyalty_refresh(as_of=date(2025, 9, 10)).expired.entries == 0
    assert_balances_match_ledger()


def test_fully_spent_earnings_expire_nothing_and_adjustments_never_expire():
    configure(points_per_currency_unit="1", points_expiry_months=6)
    ann = customer()
    buy(ann, date(2025, 1, 10), "100.00")
    loyalty_refresh(as_of=date(2025, 1, 10))
    points_adjust(customer=ann, points=25, reason="goodwill")
    points_redeem(customer=ann, points=110, reason="voucher")

    result = loyalty_refresh(as_of=date(2026, 1, 10))

    assert (result.expired.entries, result.expired.points) == (0, 0)
    assert balance_of(ann) == 15


def test_redemption_larger_than_the_balance_is_refused_and_writes_nothing():
    ann = customer()
    points_adjust(customer=ann, points=50, reason="welcome bonus")

    with pytest.raises(PointsError, match="cannot redeem 51 points: the balance is only 50"):
        points_redeem(customer=ann, points=51, reason="voucher")
    with pytest.raises(PointsError, match="cannot take away 60 points: the balance is only 50"):
        points_adjust(customer=ann, points=-60, reason="correction")

    assert ledger_of(ann) == [("adjust", 50)]
    assert balance_of(ann) == 50
    entry = points_redeem(customer=ann, points=50, reason="voucher")
    assert (entry.kind, entry.points, entry.reason) == ("redeem", -50, "voucher")
    assert balance_of(ann) == 0


@pytest.mark.parametrize(
    ("points", "reason", "message"),
    [
        (0, "x", "give a positive number"),
        (-5, "x", "give a positive number"),
        (5, "  ", "give a reason"),
        (5, "x" * 201, "the reason is too long"),
    ],
)
def test_bad_redemptions_name_the_problem(points, reason, message):
    ann = customer()
    points_adjust(customer=ann, points=50, reason="bonus")
    with pytest.raises(PointsError, match=message):
        points_redeem(customer=ann, points=points, reason=reason)
    assert ledger_of(ann) == [("adjust", 50)]


def test_the_database_refuses_a_negative_balance():
    ann = customer()
    points_adjust(customer=ann, points=5, reason="bonus")
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsBalance.objects.filter(customer=ann).update(balance=-1)


def _shop(customers: int) -> None:
    for n in range(customers):
        who = customer()
        for k in range(1 + n % 3):
            buy(who, date(2025, 1, 1 + k), "30.00")


def _queries_of_a_full_run(as_of: date) -> int:
    with CaptureQueriesContext(connection) as queries:
        loyalty_refresh(as_of=as_of)
    return len(queries)


@pytest.mark.parametrize("bulk", [False, True], ids=["plain writes", "bulk writes"])
def test_loyalty_run_queries_do_not_grow_with_customers(bulk, monkeypatch):
    # PostgreSQL picks plain or bulk tier writes by the tables' estimated sizes, which
    # earlier tests leave behind: pin the choice, each way (SQLite always writes plainly).
    monkeypatch.setattr(tier_writes, "table_write_is_bulk", lambda *a, **k: bulk)
    make_tiers()
    configure()  # the settings row exists (its one-time creation is not what is measured)
    _shop(3)
    small = _queries_of_a_full_run(date(2025, 1, 10))
    _shop(60)
    large = _queries_of_a_full_run(date(2025, 1, 11))
    # Per step (tier evaluation, earning, reversal, expiry) a savepoint, the settings, a
    # temporary table, its figures and set-based writes. PostgreSQL sets work_mem for the
    # evaluation and locks the balances about to shrink (reversal, expiry) where SQLite's
    # write transaction holds the whole database; its bulk tier writes drop and rebuild
    # the history's indexes and rebuild the status table.
    assert small == large == per_backend(sqlite=49, postgresql=69 if bulk else 52)
    assert PointsEntry.objects.filter(kind="earn").count() == 2 * 63
    Order.objects.filter(placed_at__day=1).update(status=Order.Status.REFUNDED)
    # Reversals and expiries for every customer at once, in the same number of queries.
    assert _queries_of_a_full_run(date(2026, 2, 10)) == large
    assert PointsEntry.objects.filter(kind="reverse").count() == 63
    assert PointsEntry.objects.filter(kind="expire").count() == 63  # every unreversed earning
    assert_balances_match_ledger()


def test_the_command_runs_the_programme_and_reports_it():
    make_tiers()
    ann = customer()
    buy(ann, date(2025, 1, 10), "40.00")
    out = StringIO()
    call_command("refresh_loyalty", "--as-of", "2025-01-10", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Loyalty as of 2025-01-10 in ")
    assert lines[0].endswith(": 1 upgraded, 0 downgraded, 0 flagged for a downgrade warning.")
    assert lines[1:] == [
        "  Points earn: 1 lines, +40 points.",
        "  Points reverse: 0 lines, +0 points.",
        "  Points expire: 0 lines, +0 points.",
    ]
