"""A dry run reports exactly what the import would do, however many batches the file has."""

from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import Customer, ImportRejection, Order, OrderImport
from customers.order_import.importer import ImportSummary
from customers.services.order_imports import orders_import

HEADER = "customer_id,order_id,placed_at,amount,email,country,status\n"
# Customers come back in every batch; one claims another's email in a later batch; an
# order id comes back in a later batch (once the same, once different); statuses change.
ROWS = [
    "C1,O01,2025-01-01,1.00,c1@example.com,DE,completed",
    "C2,O02,2025-01-02,2.00,c2@example.com,FR,completed",
    "C3,O03,2025-01-03,3.00,,GB,completed",
    "C1,O04,2025-01-04,4.00,c1@example.com,AT,completed",
    "C2,O05,2025-01-05,5.00,,FR,completed",
    "C4,O06,2025-01-06,6.00,c1@example.com,,completed",
    "C3,O07,2025-01-07,bad,,GB,completed",
    "C1,O01,2025-01-01,1.00,c1@example.com,DE,completed",
    "C2,O02,2025-01-02,2.50,c2@example.com,FR,completed",
    "C5,O08,2025-01-08,8.00,c5@example.com,SE,completed",
    "C1,O09,2025-01-09,9.00,c1@example.com,DE,refunded",
    "C5,O10,2025-01-10,1.00,c5@example.com,NO,completed",
]
STORED = HEADER + "C2,O02,2025-01-02,2.00,c2@example.com,FR,completed\n"
STORED += "C1,O09,2025-01-09,9.00,c1@example.com,DE,completed\nC6,O99,2025-01-01,1.00,,,\n"


def _counts(summary: ImportSummary) -> dict:
    return vars(summary.counts)


def _dry_run_then_import(write_csv, batch_rows: int, stored: bool) -> tuple[dict, dict]:
    if stored:
        orders_import(path=write_csv(STORED, "stored.csv"))
    path = write_csv(HEADER + "\n".join(ROWS) + "\n")
    before = (Customer.objects.count(), Order.objects.count())

    dry = orders_import(path=path, dry_run=True, batch_rows=batch_rows)

    assert (Customer.objects.count(), Order.objects.count()) == before
    real = orders_import(path=path, batch_rows=batch_rows)
    return _counts(dry), _counts(real)


@pytest.mark.django_db
@pytest.mark.parametrize("stored", [False, True])
def test_dry_run_counts_equal_the_import_counts_over_many_batches(write_csv, stored):
    dry, real = _dry_run_then_import(write_csv, batch_rows=2, stored=stored)

    assert dry == real
    assert real["customers_created"] == (3 if stored else 5)
    assert (real["rows"], real["rows_rejected"], real["rows_warned"]) == (12, 2, 1)
    assert (real["orders_unchanged"], real["orders_updated"]) == ((2, 1) if stored else (1, 0))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stored", [False, True])
def test_dry_run_counts_equal_the_import_counts_on_postgres_committed(write_csv, stored):
    # Committed, as the command runs: the writer thread's session is the dry run's
    # rolled-back transaction; the real import into an empty shop is a first load.
    dry, real = _dry_run_then_import(write_csv, batch_rows=2, stored=stored)

    assert dry == real
    assert real["customers_created"] == (3 if stored else 5)


@pytest.mark.django_db
def test_an_upload_dry_run_keeps_its_report_and_counts_and_writes_nothing(write_csv):
    path = write_csv(HEADER + "\n".join(ROWS) + "\n")
    order_import = OrderImport.objects.create(file_name="orders.csv", dry_run=True)

    summary = orders_import(path=path, dry_run=True, order_import=order_import, batch_rows=3)

    order_import.refresh_from_db()
    assert (Customer.objects.count(), Order.objects.count()) == (0, 0)
    assert (order_import.rows_total, order_import.rows_rejected) == (12, 2)
    assert (order_import.rows_warned, order_import.customers_created) == (1, 5)
    assert summary.counts.customers_created == 5
    assert sorted(ImportRejection.objects.values_list("row", "kind", "column")) == [
        (7, "warning", "email"),
        (8, "rejected", "amount"),
        (10, "rejected", "order_id"),
    ]


@pytest.mark.django_db
def test_the_command_dry_run_says_what_the_import_says(write_csv):
    path = write_csv(HEADER + "\n".join(ROWS) + "\n")
    dry, real = StringIO(), StringIO()

    call_command("import_orders", str(path), "--dry-run", "--batch-rows", "2", stdout=dry)
    call_command("import_orders", str(path), "--batch-rows", "2", stdout=real)

    dry_lines = dry.getvalue().splitlines()
    assert dry_lines[:3] == real.getvalue().splitlines()[:3]
    assert dry_lines[2] == "Customers: 5 new, 0 updated."
    assert "Dry run: nothing was written." in dry_lines
