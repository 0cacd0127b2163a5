"""The import's batch statements keep plans whose cost grows with the batch, not its square.

Hash and merge joins are off while a batch merges (``staged.STAGE_SETUP``), so a join
between two of the batch's own row sets would be a nested loop over both. These tests read
the plan PostgreSQL chooses for the statement in the middle of a real batch.
"""

from typing import Any

import pytest
from django.db import connection

from customers.models import Customer
from customers.order_import import staged
from customers.order_import.errors import RowReport
from customers.services.order_imports import orders_import_records

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NEW_CUSTOMERS = 300


class _PlansRecorded(dict):
    """The statements, each explained (and run) on the batch's connection when it is
    looked up, just before the batch runs it."""

    plans: list[str]

    def __getitem__(self, key: Any) -> str:
        statement = super().__getitem__(key)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS off) " + statement)
            self.plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return statement


def test_taken_emails_are_found_with_a_hashed_lookup_not_a_scan_per_holder(monkeypatch):
    recorded = _PlansRecorded(staged.EMAIL_CLASHES_SQL)
    recorded.plans = []
    monkeypatch.setattr(staged, "EMAIL_CLASHES_SQL", recorded)
    Customer.objects.bulk_create(
        Customer(external_id=f"OLD{i}", email=f"c{i}@example.com") for i in range(NEW_CUSTOMERS)
    )
    records = [
        {"customer_id": f"NEW{i}", "order_id": f"O{i}", "placed_at": "2026-01-02",
         "amount": "5.00", "email": f"c{i}@example.com"}
        for i in range(NEW_CUSTOMERS)
    ]  # fmt: skip
    warned: list[RowReport] = []

    orders_import_records(records=records, on_warning=warned.append)

    assert len(warned) == NEW_CUSTOMERS  # each new customer's email belongs to an old one
    first = recorded.plans[0]  # the batch's first look, with every claim in it
    assert "CTE Scan on claim (actual time" in first
    assert f"rows={NEW_CUSTOMERS} " in first
    assert "hashed SubPlan" in first
    # The claims are scanned once for the hash, never once per holder found.
    assert f"loops={NEW_CUSTOMERS})" not in first.split("claim moving")[-1].splitlines()[0]
