"""The first import of a shop: one transaction that drops and rebuilds indexes and keys.

Committed transactions, as the command has them in production (on PostgreSQL the batches
are written by a second thread there, inside the first load's transaction).
"""

from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from customers.models import Customer, ImportRejection, Order, OrderImport
from customers.order_import.first_load import TABLES
from customers.services.order_imports import order_import_run, orders_import

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HEADER = "customer_id,order_id,placed_at,amount,email\n"


def _schema() -> list[tuple]:
    """Every index and constraint of the customers and orders tables, as created."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
            WHERE indrelid = ANY(%(tables)s::regclass[])
            UNION ALL
            SELECT conname, pg_get_constraintdef(oid) || ' valid=' || convalidated
            FROM pg_constraint WHERE conrelid = ANY(%(tables)s::regclass[])
            ORDER BY 1, 2
            """,
            {"tables": list(TABLES)},
        )
        return cursor.fetchall()


def _file(write_csv, orders: int, bad: tuple[int, ...] = ()):
    """``orders`` one-row orders of 7 customers; the orders numbered in ``bad`` are rejected."""
    rows = [
        f"C{i % 7},O{i:05d},2025-01-{1 + i % 28:02d},{i}.50,"
        + ("not-an-email" if i in bad else f"c{i % 7}@example.com")
        for i in range(1, orders + 1)
    ]
    return write_csv(HEADER + "\n".join(rows) + "\n")


def test_first_import_restores_every_index_and_key_and_reports_exactly(write_csv):
    before = _schema()
    assert any(name == "order_customer_placed_idx" for name, _ in before)
    out = StringIO()

    path = _file(write_csv, 250, bad=(100, 200))
    call_command("import_orders", str(path), "--batch-rows", "40", stdout=out)

    assert _schema() == before
    assert out.getvalue().splitlines()[:3] == [
        "250 row(s) read; 2 rejected.",
        "Orders: 248 new, 0 updated (status or refund), 0 already imported (unchanged).",
        "Customers: 7 new, 0 updated.",
    ]
    assert Order.objects.count() == 248
    assert set(Order.objects.values_list("customer__external_id", flat=True)) == {
        f"C{i}" for i in range(7)
    }
    run = OrderImport.objects.get()
    assert (run.status, run.rows_total, run.rows_rejected, run.orders_created) == (
        "succeeded",
        250,
        2,
        248,
    )
    assert run.customers_created == 7
    assert sorted(ImportRejection.objects.values_list("row", "column")) == [
        (101, "email"),
        (201, "email"),
    ]

    again = StringIO()
    call_command("import_orders", str(_file(write_csv, 250, bad=(100, 200))), stdout=again)

    assert "Orders: 0 new, 0 updated (status or refund), 248 already imported" in again.getvalue()
    assert _schema() == before


def test_a_failed_first_import_leaves_neither_rows_nor_a_changed_schema(write_csv):
    before = _schema()
    path = _file(write_csv, 300, bad=(2,))

    def fail(rejection) -> None:
        raise RuntimeError(f"report full at row {rejection.row}")

    # Raised on the reading thread while the writer thread still has batches to write.
    with pytest.raises(RuntimeError, match="report full at row 3"):
        orders_import(path=path, batch_rows=20, on_rejection=fail)

    assert _schema() == before
    assert (Order.objects.count(), Customer.objects.count()) == (0, 0)
    # The re-run is again a first import, and complete.
    summary = orders_import(path=path, batch_rows=20)
    assert (summary.counts.orders_created, summary.counts.rows_rejected) == (299, 1)
    assert Order.objects.count() == 299
    assert _schema() == before


def test_an_import_into_a_shop_with_orders_leaves_indexes_and_keys_alone(write_csv):
    call_command("import_orders", str(_file(write_csv, 10)), stdout=StringIO())
    before = _schema_objects()
    path = write_csv(HEADER + "C1,P1,2025-02-01,1.00,c1@example.com\n", "more.csv")

    summary = orders_import(path=path)

    assert summary.counts.orders_created == 1
    assert _schema_objects() == before  # neither dropped nor created again


def _schema_objects() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, indexrelid FROM pg_index "
            "WHERE indrelid = ANY(%(tables)s::regclass[]) "
            "UNION ALL SELECT conname, oid FROM pg_constraint "
            "WHERE conrelid = ANY(%(tables)s::regclass[]) ORDER BY 1, 2",
            {"tables": list(TABLES)},
        )
        return cursor.fetchall()


def test_an_upload_shows_progress_while_its_first_load_runs(write_csv, settings, tmp_path):
    # More rows than a batch: the reading thread updates the import's progress while the
    # first load's transaction is open, which must not wait for that transaction.
    settings.MEDIA_ROOT = tmp_path
    rows = 25_000
    path = _file(write_csv, rows, bad=(7,))
    order_import = OrderImport.objects.create(file_name="orders.csv")
    order_import.file.save("orders.csv", ContentFile(path.read_bytes()))

    done = order_import_run(order_import_id=order_import.pk)
    assert done is not None

    assert (done.status, done.rows_total, done.rows_rejected) == ("succeeded", rows, 1)
    assert (done.orders_created, done.customers_created) == (rows - 1, 7)
    assert done.bytes_done == done.bytes_total == path.stat().st_size
    assert list(done.rejections.values_list("row", "column")) == [(8, "email")]


def test_a_first_load_out_of_time_order_builds_the_lookup_index_early_and_once(write_csv):
    # Later batches hold older orders whose rows disagree with the stored details: the
    # latest-row rule needs the customers' latest stored orders, through the index the
    # first load would otherwise build at its end.
    before = _schema()
    header = "customer_id,order_id,placed_at,amount,country\n"
    rows = [
        "C1,O5,2025-01-05,1.00,GB",
        "C2,O6,2025-01-06,1.00,SE",
        "C1,O1,2025-01-01,1.00,DE",
        "C2,O2,2025-01-02,1.00,NO",
        "C1,O7,2025-01-07,1.00,IE",
    ]
    path = write_csv(header + "\n".join(rows) + "\n")
    out = StringIO()

    call_command("import_orders", str(path), "--batch-rows", "2", stdout=out)

    assert _schema() == before
    countries = dict(Customer.objects.values_list("external_id", "country"))
    assert countries == {"C1": "IE", "C2": "SE"}
    assert "Customers: 2 new, 0 updated." in out.getvalue()
    again = StringIO()
    call_command("import_orders", str(path), "--batch-rows", "2", stdout=again)
    assert "Customers: 0 new, 0 updated." in again.getvalue()
    assert dict(Customer.objects.values_list("external_id", "country")) == countries
