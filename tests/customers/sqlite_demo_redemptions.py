"""Twenty staff redemptions at once on the demo's SQLite file, through the points page.

Run by ``test_loyalty_sqlite_demo.py`` in a process of its own, as the demo runs: the local
settings and an SQLite *file* named by ``DATABASE_URL`` (WAL, busy timeout and transaction
mode exactly as ``clvcrm/settings/base.py`` sets them), migrated here. Prints one JSON line:
the outcome of each request and the balance and ledger afterwards.

    python -m tests.customers.sqlite_demo_redemptions
"""

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import django
from django.test import Client

REDEMPTIONS = 20
OPENING_BALANCE = 1000
POINTS_EACH = 70  # 14 redemptions fit into 1000, whatever the order: 6 are refused


def _redeem(client: Client, customer_id: int, start: threading.Barrier) -> str:
    """One redemption through the page on this thread's own connection; the outcome's name."""
    from django.db import connections

    start.wait()
    try:
        response = client.post(
            f"/customers/{customer_id}/points/",
            {"action": "redeem", "points": str(POINTS_EACH), "reason": "voucher"},
            follow=True,
        )
        page = response.content.decode()
        if f"Redeemed {POINTS_EACH} points." in page:
            return "redeemed"
        if "the balance is only" in page:
            return "refused"
        return f"status {response.redirect_chain or response.status_code}"
    except Exception as exc:  # anything else that goes wrong: report it, never hide it
        return f"error: {type(exc).__name__}: {exc}"
    finally:
        connections.close_all()


def main() -> None:
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection, connections
    from django.db.models import Sum

    from customers.models import Customer, PointsBalance, PointsEntry
    from customers.services.loyalty import points_adjust

    call_command("migrate", verbosity=0)
    ann = Customer.objects.create(external_id="ANN")
    points_adjust(customer=ann, points=OPENING_BALANCE, reason="opening balance")
    staff = User.objects.create_user("support", password="unused-password-123", is_staff=True)
    staff.groups.add(Group.objects.get(name="Support"))
    # A 500 comes back as the thread's own response: the test client's exception signal is
    # process-wide and would blame every thread for one thread's error.
    clients = [Client(raise_request_exception=False) for _ in range(REDEMPTIONS)]
    for client in clients:  # logged in one after the other: only the redemptions race
        client.force_login(staff)
    connections.close_all()

    start = threading.Barrier(REDEMPTIONS)
    with ThreadPoolExecutor(max_workers=REDEMPTIONS) as pool:
        futures = [pool.submit(_redeem, client, ann.pk, start) for client in clients]
        outcomes = Counter(future.result() for future in futures)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = cursor.fetchone()[0]
    ledger = PointsEntry.objects.filter(customer=ann)
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "journal_mode": journal_mode,
                "outcomes": dict(outcomes),
                "balance": PointsBalance.objects.get(customer=ann).balance,
                "ledger_sum": ledger.aggregate(s=Sum("points"))["s"],
                "redemptions": ledger.filter(kind="redeem").count(),
            }
        )
    )


if __name__ == "__main__":
    main()
