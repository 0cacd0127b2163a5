"""Tier evaluation: upgrades at once, downgrades at the review date after the grace period."""

from datetime import date

import pytest
import time_machine

from customers.loyalty import tier_writes
from customers.models import LoyaltyStatus, LoyaltyTierChange
from customers.services.loyalty import loyalty_tiers_evaluate
from tests.customers.loyalty_builders import buy, configure, customer, make_tiers
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db


def status_of(who) -> LoyaltyStatus:
    return LoyaltyStatus.objects.select_related("tier").get(customer=who)


def tier_of(who) -> str:
    tier = status_of(who).tier
    assert tier is not None
    return tier.name


def history_of(who) -> list[tuple[str | None, str | None, str, date]]:
    changes = LoyaltyTierChange.objects.filter(customer=who).order_by("effective_on", "id")
    return [
        (
            c.from_tier.name if c.from_tier else None,
            c.to_tier.name if c.to_tier else None,
            c.reason,
            c.effective_on,
        )
        for c in changes.select_related("from_tier", "to_tier")
    ]


def test_upgrade_happens_as_soon_as_a_customer_qualifies():
    make_tiers()
    ann, bob, cid = customer(), customer(), customer()
    buy(ann, date(2025, 1, 10), "40.00")
    buy(bob, date(2025, 1, 10), "150.00")  # Silver on spend alone ("any")
    for day in (5, 6, 7, 8, 9):
        buy(cid, date(2025, 1, day), "120.00")  # Gold needs 500 *and* 5 orders: both met

    result = loyalty_tiers_evaluate(as_of=date(2025, 1, 10))

    assert (result.upgraded, result.downgraded, result.flagged) == (3, 0, 0)
    assert [tier_of(c) for c in (ann, bob, cid)] == ["Bronze", "Silver", "Gold"]
    ann_status = status_of(ann)
    assert (ann_status.tier_since, ann_status.review_on) == (date(2025, 1, 10), date(2026, 1, 10))
    assert history_of(bob) == [(None, "Silver", "upgrade", date(2025, 1, 10))]
    change = LoyaltyTierChange.objects.get(customer=cid)
    assert (change.spend_12m, change.orders_12m) == (600, 5)

    # A second Silver purchase a month later lifts Ann straight away, mid-review.
    buy(ann, date(2025, 2, 10), "70.00")
    loyalty_tiers_evaluate(as_of=date(2025, 2, 10))
    assert tier_of(ann) == "Silver"
    assert status_of(ann).review_on == date(2026, 2, 10)
    assert history_of(ann)[-1] == ("Bronze", "Silver", "upgrade", date(2025, 2, 10))


def test_all_thresholds_must_be_met_when_the_tier_says_all():
    make_tiers()
    rich = customer()
    buy(rich, date(2025, 3, 1), "900.00")  # 900 spend but 1 order: not Gold, but Silver
    loyalty_tiers_evaluate(as_of=date(2025, 3, 1))
    assert tier_of(rich) == "Silver"


def test_evaluating_the_same_day_twice_changes_nothing():
    make_tiers()
    ann = customer()
    buy(ann, date(2025, 1, 10), "150.00")
    loyalty_tiers_evaluate(as_of=date(2025, 1, 10))
    again = loyalty_tiers_evaluate(as_of=date(2025, 1, 10))
    assert again.counts == {}
    assert LoyaltyTierChange.objects.count() == 1


def test_orders_outside_the_window_and_not_completed_do_not_count():
    make_tiers()
    ann = customer()
    buy(ann, date(2024, 1, 10), "900.00")  # more than 12 months before
    buy(ann, date(2025, 1, 11), "900.00")  # after the as-of day
    buy(ann, date(2025, 1, 5), "900.00", status="refunded")
    result = loyalty_tiers_evaluate(as_of=date(2025, 1, 10))
    assert result.counts == {}
    assert not LoyaltyStatus.objects.exists()


def _silver_who_stops_buying():
    """Silver from 2025-01-10 (review 2026-01-10); buys nothing after that first order."""
    tiers = make_tiers()
    ann = customer()
    buy(ann, date(2025, 1, 10), "150.00")
    loyalty_tiers_evaluate(as_of=date(2025, 1, 10))
    return tiers, ann


@pytest.mark.parametrize(
    ("policy", "after_grace"),
    [("one_step", "Bronze"), ("supported", None)],
)
def test_downgrade_waits_for_the_review_date_and_grace_period(policy, after_grace):
    configure(grace_days=30, warning_days=30, review_months=12, downgrade_policy=policy)
    _, ann = _silver_who_stops_buying()

    # Her only order leaves the window on 2026-01-10, the review date itself: she keeps
    # Silver through the 30 days of grace and is downgraded on 2026-02-09.
    for day in (date(2025, 6, 1), date(2026, 1, 10), date(2026, 2, 8)):
        with time_machine.travel(day, tick=False):
            loyalty_tiers_evaluate(as_of=day)
        assert tier_of(ann) == "Silver", day

    with time_machine.travel(date(2026, 2, 9), tick=False):
        result = loyalty_tiers_evaluate(as_of=date(2026, 2, 9))
    assert result.downgraded == 1
    status = status_of(ann)
    assert (status.tier and status.tier.name) == after_grace
    assert (status.tier_since, status.review_on) == (date(2026, 2, 9), date(2027, 2, 9))
    assert (status.downgrade_on, status.downgrade_flagged_on) == (None, None)
    assert history_of(ann)[-1] == ("Silver", after_grace, "downgrade", date(2026, 2, 9))


def test_customers_due_for_a_downgrade_within_30_days_are_flagged():
    configure(grace_days=30, warning_days=30)
    _, ann = _silver_who_stops_buying()
    # Downgrade due on 2026-02-09 (review 2026-01-10 + 30 days): flagged from 2026-01-10.
    with time_machine.travel(date(2026, 1, 9), tick=False):
        assert loyalty_tiers_evaluate(as_of=date(2026, 1, 9)).flagged == 0
    assert status_of(ann).downgrade_on is None

    with time_machine.travel(date(2026, 1, 10), tick=False):
        assert loyalty_tiers_evaluate(as_of=date(2026, 1, 10)).flagged == 1
    status = status_of(ann)
    assert (status.downgrade_on, status.downgrade_flagged_on) == (
        date(2026, 2, 9),
        date(2026, 1, 10),
    )
    # Still flagged the next day; the flag keeps the day it first went up.
    loyalty_tiers_evaluate(as_of=date(2026, 1, 20))
    assert status_of(ann).downgrade_flagged_on == date(2026, 1, 10)


def test_requalifying_during_the_grace_period_keeps_the_tier_and_clears_the_flag():
    configure(grace_days=30, warning_days=30)
    _, ann = _silver_who_stops_buying()
    loyalty_tiers_evaluate(as_of=date(2026, 1, 15))
    assert status_of(ann).downgrade_on == date(2026, 2, 9)

    buy(ann, date(2026, 1, 20), "120.00")
    result = loyalty_tiers_evaluate(as_of=date(2026, 1, 20))

    assert result.counts == {"renew": 1}
    status = status_of(ann)
    assert status.tier is not None
    assert status.tier.name == "Silver"
    assert (status.tier_since, status.review_on) == (date(2025, 1, 10), date(2027, 1, 20))
    assert (status.downgrade_on, status.downgrade_flagged_on) == (None, None)
    assert history_of(ann) == [(None, "Silver", "upgrade", date(2025, 1, 10))]


@pytest.mark.parametrize("bulk", [False, True], ids=["plain writes", "bulk writes"])
def test_evaluation_queries_do_not_grow_with_customers(
    bulk, monkeypatch, django_assert_num_queries
):
    # PostgreSQL picks plain or bulk writes by the tables' estimated sizes, which earlier
    # tests and autovacuum leave behind: pin the choice, each way (SQLite always writes
    # plainly).
    monkeypatch.setattr(tier_writes, "table_write_is_bulk", lambda *a, **k: bulk)
    make_tiers()
    configure()  # the settings row exists (its one-time creation is not what is measured)
    for n in range(30):
        who = customer()
        for k in range(n % 6):
            buy(who, date(2025, 1, 1 + k), "60.00")
    # Settings, tiers, the evaluation's temporary table, its counts, the history, the
    # statuses (insert, update), the table dropped, in a savepoint. PostgreSQL sets the
    # transaction's work_mem first; its bulk writes drop and rebuild the history's indexes
    # and rebuild the status table, a fixed number of statements more.
    expected = per_backend(sqlite=12, postgresql=30 if bulk else 13)
    with django_assert_num_queries(expected):
        first = loyalty_tiers_evaluate(as_of=date(2025, 1, 10))
    assert first.upgraded == 25
    for _ in range(30):
        buy(customer(), date(2025, 1, 9), "150.00")
    with django_assert_num_queries(expected):
        second = loyalty_tiers_evaluate(as_of=date(2025, 1, 10))
    assert second.upgraded == 30


def _lifecycle() -> tuple[list[tuple], list[tuple], list[dict[str, int]]]:
    """Upgrades, a warning, a renewal, a cleared flag and downgrades over five evaluations.

    Returns every status, the tier history (without ids and times) and each day's counts.
    """
    configure(grace_days=30, warning_days=30, review_months=12)
    make_tiers()
    stays, fades, returns, late = customer(), customer(), customer(), customer()
    for day in (5, 6, 7, 8, 9):
        buy(stays, date(2025, 1, day), "120.00")
    buy(fades, date(2025, 1, 10), "150.00")
    buy(returns, date(2025, 1, 10), "150.00")
    buy(returns, date(2026, 1, 20), "120.00")
    buy(late, date(2025, 6, 1), "40.00")
    counts = []
    for as_of in (date(2025, 1, 10), date(2025, 6, 1), date(2026, 1, 15), date(2026, 1, 20)):
        counts.append(loyalty_tiers_evaluate(as_of=as_of).counts)
    counts.append(loyalty_tiers_evaluate(as_of=date(2026, 2, 9)).counts)
    statuses = list(
        LoyaltyStatus.objects.order_by("customer_id").values_list(
            "customer__external_id",
            "tier__name",
            "tier_since",
            "review_on",
            "downgrade_on",
            "downgrade_flagged_on",
        )
    )
    history = list(
        LoyaltyTierChange.objects.order_by("customer_id", "effective_on").values_list(
            "customer__external_id",
            "from_tier__name",
            "to_tier__name",
            "reason",
            "effective_on",
            "spend_12m",
            "orders_12m",
        )
    )
    return statuses, history, counts


@pytest.mark.postgres
def test_bulk_writes_give_the_same_statuses_and_history_as_plain_ones(monkeypatch):
    # PostgreSQL writes a large share of changes by rebuilding the status table and
    # building the history's indexes afterwards: both must write exactly what the plain
    # statements write, and leave the tables' indexes as they were.
    from django.db import connection, transaction

    from customers.loyalty import tier_writes

    def indexes() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                "('customers_loyaltystatus', 'customers_loyaltytierchange') ORDER BY 1"
            )
            return cursor.fetchall()

    before = indexes()
    results = {}
    for path, bulk in (("plain", False), ("bulk", True)):
        monkeypatch.setattr(tier_writes, "table_write_is_bulk", lambda *a, bulk=bulk, **k: bulk)
        sid = transaction.savepoint()
        statuses, history, counts = _lifecycle()
        # The builders number customers across runs: compare without the external ids.
        results[path] = (
            [row[1:] for row in statuses],
            [row[1:] for row in history],
            counts,
        )
        assert indexes() == before, path
        transaction.savepoint_rollback(sid)

    assert results["bulk"] == results["plain"]
    statuses, history, counts = results["plain"]
    assert counts == [
        {"upgrade": 3},  # stays Gold, fades and returns Silver
        {"upgrade": 1},  # late Bronze
        {"warn": 3},  # the first three no longer qualify after their review date
        {"warn": 2, "renew": 1},  # returns requalifies; the flags stay as they are
        {"downgrade": 2},  # grace is over: one step down
    ]
    assert statuses == [
        ("Silver", date(2026, 2, 9), date(2027, 2, 9), None, None),
        ("Bronze", date(2026, 2, 9), date(2027, 2, 9), None, None),
        ("Silver", date(2025, 1, 10), date(2027, 1, 20), None, None),
        ("Bronze", date(2025, 6, 1), date(2026, 6, 1), None, None),
    ]
    assert history == [
        (None, "Gold", "upgrade", date(2025, 1, 10), 600, 5),
        ("Gold", "Silver", "downgrade", date(2026, 2, 9), 0, 0),
        (None, "Silver", "upgrade", date(2025, 1, 10), 150, 1),
        ("Silver", "Bronze", "downgrade", date(2026, 2, 9), 0, 0),
        (None, "Silver", "upgrade", date(2025, 1, 10), 150, 1),
        (None, "Bronze", "upgrade", date(2025, 6, 1), 40, 1),
    ]
