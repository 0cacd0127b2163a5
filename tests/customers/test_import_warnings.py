"""Rows imported with a warning: what the import changed or chose, said row by row.

Warnings are stored with the import (``ImportRejection`` rows of kind ``warning``), counted
(``OrderImport.rows_warned`` and the summary), listed on the import page and written to the
report next to the rejections, whose ``kind`` column tells them apart.
"""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from customers.models import Customer, ImportRejection, Order, OrderImport, OrderLine, Product
from tests.responses import streamed_text

pytestmark = pytest.mark.django_db


def _report(kind: str) -> list[tuple]:
    return list(
        ImportRejection.objects.filter(kind=kind)
        .order_by("row", "id")
        .values_list("row", "order_id", "column", "value", "reason")
    )


def test_names_longer_than_their_column_are_cut_with_a_warning(write_csv):
    long_first, long_last, long_channel = "F" * 151, "L" * 300, "C" * 101
    text = "customer_id,order_id,placed_at,amount,first_name,last_name,channel\n"
    text += f"C1,O1,2025-01-01,1.00,{long_first},{long_last},{long_channel}\n"
    text += "C2,O2,2025-01-01,2.00,Bo,Berg,Referral\n"
    out = StringIO()

    call_command("import_orders", str(write_csv(text)), stdout=out)

    ada = Customer.objects.get(external_id="C1")
    assert (ada.first_name, ada.last_name) == ("F" * 150, "L" * 150)
    assert ada.acquisition_channel is not None
    assert ada.acquisition_channel.name == "C" * 100
    assert Order.objects.count() == 2
    assert _report("warning") == [
        (2, "O1", "first_name", long_first, "longer than 150 characters: cut to the first 150"),
        (2, "O1", "last_name", "L" * 200, "longer than 150 characters: cut to the first 150"),
        (2, "O1", "channel", long_channel, "longer than 100 characters: cut to the first 100"),
    ]
    assert _report("rejected") == []
    assert OrderImport.objects.get().rows_warned == 1
    assert "1 row(s) imported with a warning." in out.getvalue()
    assert "  row 2: first_name 'FFF" in out.getvalue()


def test_product_texts_longer_than_their_column_are_cut_with_a_warning(write_csv):
    name, category = "N" * 201, "K" * 101
    text = "customer_id,order_id,placed_at,amount,sku,product_name,category,quantity\n"
    text += f"C1,O1,2025-01-01,1.00,SKU-1,{name},{category},1\n"

    call_command("import_orders", str(write_csv(text)), stdout=StringIO())

    assert Product.objects.values_list("name", "category").get() == ("N" * 200, "K" * 100)
    assert [(row, column, reason) for row, _, column, _, reason in _report("warning")] == [
        (2, "product_name", "longer than 200 characters: cut to the first 200"),
        (2, "category", "longer than 100 characters: cut to the first 100"),
    ]


def test_a_warned_row_whose_order_is_rejected_reports_the_rejection_only(write_csv):
    text = "customer_id,order_id,placed_at,amount,first_name,sku,quantity\n"
    text += f"C1,O1,2025-01-01,1.00,{'B' * 151},A,1\nC1,O1,2025-01-01,x,B,B,1\n"

    call_command("import_orders", str(write_csv(text)), stdout=StringIO())

    assert _report("warning") == []
    assert [(row, column) for row, _, column, _, _ in _report("rejected")] == [
        (2, "order_id"),
        (3, "amount"),
    ]
    assert OrderImport.objects.get().rows_warned == 0


def test_an_address_another_customer_has_is_not_taken_and_the_rows_are_warned(write_csv):
    text = "customer_id,order_id,placed_at,amount,email\n"
    text += "C1,O1,2025-01-01,1.00,ada@example.com\n"
    text += "C2,O2,2025-01-02,1.00,ADA@example.com\nC2,O3,2025-01-03,1.00,bo@example.com\n"
    text += "C3,O4,2025-01-04,1.00,ada@example.com\n"
    out = StringIO()

    call_command("import_orders", str(write_csv(text)), stdout=out)

    assert Order.objects.count() == 4
    assert dict(Customer.objects.values_list("external_id", "email")) == {
        "C1": "ada@example.com",
        "C2": "bo@example.com",  # its latest order's address; the older one was never taken
        "C3": "",
    }
    assert _report("warning") == [
        (5, "O4", "email", "ada@example.com",
         "email already belongs to customer C1; the customer keeps their address"),
    ]  # fmt: skip
    assert "1 row(s) imported with a warning." in out.getvalue()


LINES_APART = """\
customer_id,order_id,placed_at,amount,sku,quantity,unit_price
C1,O1,2025-03-01 10:16,2.00,A,1,2.00
C1,O1,2025-03-01 10:15,3.00,B,1,3.00
C1,O1,2025-03-01T10:15:30,4.00,C,1,4.00
C1,O2,2025-03-02 09:00,1.00,A,1,1.00
"""


def test_lines_stamped_apart_take_the_earliest_time_with_a_warning(
    admin_client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("orders.csv", LINES_APART.encode())

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/customers/imports/", {"file": upload})

    order = Order.objects.get(external_id="O1")
    assert order.placed_at == datetime(2025, 3, 1, 10, 15, tzinfo=UTC)
    assert order.total == Decimal("9.00")
    assert OrderLine.objects.filter(order=order).count() == 3
    reason = (
        "the lines of this order have different times; the earliest, 2025-03-01 10:15 "
        "(row 3), is used"
    )
    assert _report("warning") == [
        (2, "O1", "placed_at", "2025-03-01 10:16", reason),
        (4, "O1", "placed_at", "2025-03-01T10:15:30", reason),
    ]
    order_import = OrderImport.objects.get()
    assert (order_import.rows_warned, order_import.rows_rejected) == (2, 0)

    page = admin_client.get(response["Location"]).content.decode()
    assert 'id="warnings"' in page
    assert "2025-03-01T10:15:30" in page
    assert '<dt>Imported with a warning</dt><dd id="rows-warned">2</dd>' in page

    report = admin_client.get(f"/customers/imports/{order_import.pk}/rejected-rows.csv")
    body = streamed_text(report)
    assert list(csv.reader(io.StringIO(body))) == [
        ["row", "kind", "order_id", "column", "value", "reason"],
        ["2", "warning", "O1", "placed_at", "2025-03-01 10:16", reason],
        ["4", "warning", "O1", "placed_at", "2025-03-01T10:15:30", reason],
    ]


def test_the_summary_counts_warnings_and_the_report_says_which_is_which(write_csv, tmp_path):
    text = LINES_APART + "C2,O3,2025-03-03,x,A,1,1.00\n"
    report = tmp_path / "report.csv"
    out = StringIO()

    call_command("import_orders", str(write_csv(text)), "--report", str(report), stdout=out)

    assert "5 row(s) read; 1 rejected." in out.getvalue()
    assert "2 row(s) imported with a warning." in out.getvalue()
    with report.open(newline="") as f:
        kinds = [(row[0], row[1]) for row in csv.reader(f)]
    assert kinds == [("row", "kind"), ("2", "warning"), ("4", "warning"), ("6", "rejected")]


def test_a_rejection_shows_the_date_as_the_file_wrote_it(write_csv):
    header = "customer_id,order_id,placed_at,amount\n"
    call_command(
        "import_orders", str(write_csv(header + "C1,O1,2025-03-01T10:14,1.00\n", "a.csv")),
        stdout=StringIO(),
    )  # fmt: skip

    call_command(
        "import_orders", str(write_csv(header + "C1,O1,2025-03-01 10:15,1.00\n", "b.csv")),
        stdout=StringIO(),
    )  # fmt: skip

    assert _report("rejected") == [
        (
            2,
            "O1",
            "order_id",
            "O1",
            "duplicate order id with different content (placed_at 2025-03-01 10:15 in the "
            "file, 2025-03-01T10:14:00+00:00 in the database)",
        )
    ]
