"""Concurrent redemptions against one balance, with real threads and connections."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connection, connections
from django.db.models import Sum

from customers.loyalty.ledger import PointsError
from customers.models import Customer, PointsBalance, PointsEntry
from customers.services.loyalty import loyalty_refresh, points_adjust, points_redeem
from tests.customers.loyalty_builders import buy, customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REDEMPTIONS = 100
THREADS = 25  # connections of their own: the server's max_connections is shared


def _redeem_in_own_connection(customer_id: int, points: int, start: threading.Event) -> str:
    """One redemption on this thread's own database connection; the outcome's name."""
    start.wait()
    try:
        points_redeem(customer=Customer(pk=customer_id), points=points, reason="concurrent voucher")
        return "redeemed"
    except PointsError as exc:
        return "refused" if "the balance is only" in str(exc) else f"other error: {exc}"
    finally:
        connections.close_all()  # this thread's connections


def _run(customer_id: int, points: int, extra=None) -> Counter:
    start = threading.Event()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [
            pool.submit(_redeem_in_own_connection, customer_id, points, start)
            for _ in range(REDEMPTIONS)
        ]
        if extra is not None:
            futures.append(pool.submit(extra, start))
        start.set()
        # .result() re-raises whatever a thread raised: a deadlock or any other error fails.
        return Counter(f.result() for f in futures)


def _ledger_sum(who: Customer) -> int:
    return PointsEntry.objects.filter(customer=who).aggregate(s=Sum("points"))["s"]


def test_one_hundred_concurrent_redemptions_leave_an_exact_balance():
    assert connection.vendor == "postgresql"
    ann = customer()
    points_adjust(customer=ann, points=1000, reason="opening balance")

    outcomes = _run(ann.pk, 13)

    # 1000 // 13 = 76 redemptions fit; the other 24 are refused, whatever the interleaving.
    assert outcomes == Counter(redeemed=76, refused=24)
    balance = PointsBalance.objects.get(customer=ann).balance
    assert balance == 1000 - 76 * 13 == 12
    assert _ledger_sum(ann) == balance
    assert PointsEntry.objects.filter(customer=ann, kind="redeem").count() == 76


def test_redemptions_racing_the_points_jobs_keep_balance_and_ledger_equal():
    ann = customer()
    for day in range(1, 21):
        buy(ann, date(2025, 1, day), "50.00")
    points_adjust(customer=ann, points=500, reason="opening balance")

    def jobs(start: threading.Event) -> str:
        start.wait()
        try:
            loyalty_refresh(as_of=date(2025, 1, 31))  # earns 20 x 50 points
        finally:
            connections.close_all()
        return "jobs"

    outcomes = _run(ann.pk, 20, extra=jobs)

    assert outcomes["jobs"] == 1
    assert outcomes["redeemed"] + outcomes["refused"] == REDEMPTIONS
    balance = PointsBalance.objects.get(customer=ann).balance
    assert balance == 1500 - 20 * outcomes["redeemed"] >= 0
    assert _ledger_sum(ann) == balance
    assert PointsEntry.objects.filter(customer=ann, kind="earn").count() == 20
