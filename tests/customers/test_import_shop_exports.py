"""Shopify's and WooCommerce's order exports import as they are, through the same checks and
writes as clvcrm's own CSV: each fixture gives exactly the orders, customers, lines and
totals of a hand-written clvcrm file saying the same (tests/data/README.md)."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from customers.models import Customer, Order, OrderImport, OrderLine, Product
from customers.order_import import write_thread
from customers.order_import.errors import ImportFileError, RowReport
from customers.order_import.formats import (
    FORMATS,
    MAPPED_KEY,
    SHOPIFY_KEY,
    WOOCOMMERCE_KEY,
    label_of,
)
from customers.order_import.importer import ImportSummary
from customers.order_import.reader_process import batches_from_child
from customers.order_import.source import inspect_file
from customers.services.order_imports import orders_import, orders_import_records
from tests.datasets import data_file

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SHOPIFY_HEADER = (
    "Name,Email,Financial Status,Accepts Marketing,Currency,Total,Created at,"
    "Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Name,"
    "Billing Country,Cancelled at,Refunded Amount\n"
)
WOO_HEADER = (
    "order_id,order_date,status,order_total,refunded_total,order_currency,customer_id,"
    "billing_first_name,billing_last_name,billing_email,billing_country,item_name,item_sku,"
    "item_quantity,item_total\n"
)


def _stored() -> dict[str, list[tuple]]:
    """Everything the import wrote, as comparable rows."""
    return {
        "customers": list(
            Customer.objects.order_by("external_id").values_list(
                "external_id",
                "email",
                "first_name",
                "last_name",
                "country",
                "marketing_consent",
                "acquired_on",
            )
        ),
        "orders": list(
            Order.objects.order_by("external_id").values_list(
                "external_id",
                "customer__external_id",
                "placed_at",
                "status",
                "total",
                "refunded_amount",
                "currency",
            )
        ),
        "lines": list(
            OrderLine.objects.order_by("order__external_id", "line_number").values_list(
                "order__external_id",
                "line_number",
                "product__sku",
                "product__name",
                "quantity",
                "unit_price",
                "amount",
            )
        ),
    }


def _rejections(summary: ImportSummary) -> list[tuple]:
    return [(r.row, r.column, r.value, r.reason) for r in summary.first_rejections]


@pytest.mark.parametrize(
    ("export", "equivalent"),
    [
        ("shopify_orders_export.csv", "shopify_orders_as_clvcrm.csv"),
        ("woocommerce_orders_export.csv", "woocommerce_orders_as_clvcrm.csv"),
    ],
)
def test_an_export_imports_exactly_as_its_clvcrm_equivalent(export, equivalent):
    # Undone after it is read: each import is then into an empty shop (on PostgreSQL, a
    # first load, whose ALTER TABLE cannot follow deletes in the same transaction).
    with transaction.atomic():
        from_export = orders_import(path=data_file(export))
        stored = _stored()
        transaction.set_rollback(True)
    assert not Order.objects.exists()
    from_clvcrm = orders_import(path=data_file(equivalent))

    assert _stored() == stored
    assert vars(from_export.counts) == vars(from_clvcrm.counts)
    # The order in another currency is rejected in both, on the same row, for the same reason.
    assert [(r.row, r.reason) for r in from_export.first_rejections] == [
        (r.row, r.reason) for r in from_clvcrm.first_rejections
    ]
    c = from_export.counts
    assert (c.rows, c.rows_rejected, c.orders_created, c.customers_created) == (8, 1, 5, 3)
    assert from_clvcrm.file_format is None
    # The summary of clvcrm's own format reads as it always has (the import's page names it).
    assert from_clvcrm.describe().startswith("8 row(s) read; 1 rejected.\n")


def test_the_shopify_export_maps_refunds_cancellations_guests_and_totals():
    summary = orders_import(path=data_file("shopify_orders_export.csv"))

    orders = {o.external_id: o for o in Order.objects.select_related("customer")}
    # Keyed by the order's Id (Shopify's own, as its webhooks name orders), not its Name.
    assert sorted(orders) == [f"555000100{n}" for n in (1, 2, 3, 4, 6)]
    orders = {f"#100{n}": orders[f"555000100{n}"] for n in (1, 2, 3, 4, 6)}
    # The order's Total (with shipping, taxes and discounts), not the sum of its lines.
    assert orders["#1001"].total == Decimal("34.90")
    assert orders["#1001"].lines.count() == 2
    assert orders["#1006"].total == Decimal("8.90")
    # partially_refunded: completed, less what was refunded; voided; refunded.
    assert (orders["#1002"].status, orders["#1002"].refunded_amount) == (
        "completed",
        Decimal("9.90"),
    )
    assert orders["#1003"].status == "cancelled"
    assert orders["#1004"].status == "refunded"
    # Customers are keyed by email (the export has no customer id); Billing Name is split.
    ada = Customer.objects.get(external_id="ada@example.com")
    assert (ada.first_name, ada.last_name, ada.country, ada.marketing_consent) == (
        "Ada",
        "Lovelace",
        "GB",
        True,
    )
    # Created at keeps the file's offset.
    assert orders["#1002"].placed_at.isoformat() == "2025-03-02T14:00:00+00:00"
    # A line without a SKU is known by its product name.
    assert Product.objects.filter(sku="Gift wrap", name="Gift wrap").exists()
    assert _rejections(summary) == [
        (8, "Currency", "EUR", "the shop's currency is USD; convert it first"),
    ]


def test_the_woocommerce_export_keys_guests_by_email_and_customers_by_id():
    orders_import(path=data_file("woocommerce_orders_export.csv"))

    assert sorted(Customer.objects.values_list("external_id", flat=True)) == [
        "7",
        "9",
        "bo@example.com",
    ]
    assert list(
        Order.objects.filter(customer__external_id="bo@example.com")
        .order_by("external_id")
        .values_list("external_id", "status", "total", "refunded_amount")
    ) == [
        ("502", "completed", Decimal("19.80"), Decimal("9.90")),
        ("506", "completed", Decimal("8.90"), Decimal("0.00")),
    ]
    assert Order.objects.get(external_id="501").total == Decimal("34.90")
    assert Order.objects.get(external_id="503").status == "cancelled"


def test_formats_are_recognised_by_their_headers():
    shopify = inspect_file(data_file("shopify_orders_export.csv")).file_format
    woo = inspect_file(data_file("woocommerce_orders_export.csv")).file_format
    assert (shopify.key if shopify else None, woo.key if woo else None) == (
        SHOPIFY_KEY,
        WOOCOMMERCE_KEY,
    )
    assert inspect_file(data_file("shopify_orders_as_clvcrm.csv")).file_format is None


def test_a_clvcrm_file_with_shop_columns_stays_clvcrm_and_ignores_them(write_csv):
    header = "customer_id,order_id,placed_at,amount,Financial Status,Lineitem quantity\n"
    path = write_csv(header + "C1,O1,2025-01-01,9.99,paid,1\n")

    summary = orders_import(path=path)

    assert summary.file_format is None
    assert summary.ignored_columns == ("financial_status", "lineitem_quantity")
    assert "Ignored unknown column(s): financial_status, lineitem_quantity." in (summary.describe())
    assert Order.objects.get().total == Decimal("9.99")


def test_a_near_miss_shopify_header_is_refused_as_a_clvcrm_file(write_csv):
    header = SHOPIFY_HEADER.replace("Lineitem price,", "")

    with pytest.raises(ImportFileError, match="required column"):
        orders_import(path=write_csv(header + "#1,a@example.com\n"))


def test_shopify_rows_are_rejected_with_the_file_column_and_reason(write_csv):
    rows = [
        "#1,a@example.com,pending,no,USD,5.00,2025-03-01 10:00:00 +0100,1,Mug,5.00,M,A B,GB,,",
        "#2,a@example.com,paid,no,USD,5.00,2025-03-01 10:00:00 +0100,two,Mug,5.00,M,A B,GB,,",
        "#3,,paid,no,USD,5.00,2025-03-01 10:00:00 +0100,1,Mug,5.00,M,A B,GB,,",
        "#4,not-an-email,paid,no,USD,5.00,2025-03-01 10:00:00 +0100,1,Mug,5.00,M,A B,GB,,",
        "#5,a@example.com,paid,no,USD,5.00,2025-03-01 10:00:00 +0100,1,Mug,5.00,M,A B,GB,,",
        "#5,,,,,,,1,Cup,x,C,,,,",
        "#6,a@example.com,paid,no,USD,5.00,yesterday,1,Mug,5.00,M,A B,GB,,",
        "#7,a@example.com,paid,no,USD,5.00,2025-03-01 10:00:00 +0100,1,Mug,5.00,M,A B,GB,,",
    ]
    summary = orders_import(path=write_csv(SHOPIFY_HEADER + "\n".join(rows) + "\n"))

    assert _rejections(summary) == [
        (2, "Financial Status", "pending", "not paid yet: import the order once it is"),
        (3, "Lineitem quantity", "two", "not a whole number"),
        (4, "Email", "", "missing: an order without a customer id is keyed by email"),
        (5, "Email", "not-an-email", "not a valid email address"),
        (
            6,
            "Name",  # the file has no Id column: the Name is the order's id
            "#5",
            "row 7 of this order was rejected; an order is imported whole or not at all",
        ),
        (
            7,
            "Lineitem price",
            "x",
            "not a number (use a dot as decimal separator, no currency sign)",
        ),
        (
            8,
            "Created at",
            "yesterday",
            "not a date or date-time (use YYYY-MM-DD or ISO 8601)",
        ),
    ]
    assert list(Order.objects.values_list("external_id", flat=True)) == ["#7"]


def test_woocommerce_rows_are_rejected_with_the_file_column_and_reason(write_csv):
    rows = [
        "1,2025-03-01 10:00:00,on-hold,5.00,0,USD,3,A,B,a@example.com,GB,Mug,M,1,5.00",
        "2,2025-03-01 10:00:00,completed,5.00,0,USD,0,A,B,,GB,Mug,M,1,5.00",
        "3,2025-03-01 10:00:00,completed,5.00,0,USD,3,A,B,a@example.com,GB,Mug,M,1,-5.00",
        "4,2025-03-01 10:00:00,completed,5.00,6.00,USD,3,A,B,a@example.com,GB,Mug,M,1,5.00",
        "5,2025-03-01 10:00:00,shipped,5.00,0,USD,3,A,B,a@example.com,GB,Mug,M,1,5.00",
        "6,2025-03-01 10:00:00,completed,5.00,0,USD,3,A,B,a@example.com,GB,Mug,M,1,5.00",
    ]
    summary = orders_import(path=write_csv(WOO_HEADER + "\n".join(rows) + "\n"))

    assert _rejections(summary) == [
        (2, "status", "on-hold", "not paid yet: import the order once it is"),
        (3, "billing_email", "", "missing: a guest checkout is keyed by its email"),
        (
            4,
            "item_total",
            "-5.00",
            "negative (a refund goes in refunded_amount, or the status refunded)",
        ),
        (
            5,
            "refunded_total",
            "6.00",
            "larger than the order's total 5.00; an order is imported whole or not at all",
        ),
        (
            6,
            "status",
            "shipped",
            "unknown status (expected completed, processing, refunded, cancelled or failed)",
        ),
    ]
    assert list(Order.objects.values_list("external_id", flat=True)) == ["6"]


def test_the_dry_run_of_an_export_counts_what_the_import_does_and_writes_nothing():
    path = data_file("shopify_orders_export.csv")

    dry = orders_import(path=path, dry_run=True)

    assert (Order.objects.count(), Customer.objects.count()) == (0, 0)
    real = orders_import(path=path)
    assert vars(dry.counts) == vars(real.counts)
    again = orders_import(path=path)
    assert again.nothing_new


def test_the_command_says_which_format_it_read():
    out = StringIO()

    call_command("import_orders", str(data_file("woocommerce_orders_export.csv")), stdout=out)

    assert out.getvalue().splitlines()[0] == (
        "Format: WooCommerce order export (one row per line item) (recognised by its header)."
    )
    assert OrderImport.objects.get().file_format == WOOCOMMERCE_KEY


def test_the_upload_page_says_which_format_it_read(
    admin_client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    content = data_file("shopify_orders_export.csv").read_bytes()

    page = admin_client.get("/customers/imports/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/customers/imports/", {"file": SimpleUploadedFile("orders_export.csv", content)}
        )
    after = admin_client.get(response["Location"]).content.decode()

    assert "a Shopify orders export or a WooCommerce order export" in page
    assert "Format: Shopify orders export (recognised by its header)." in after
    assert OrderImport.objects.get().file_format == SHOPIFY_KEY
    assert Order.objects.count() == 5


def test_a_clvcrm_upload_says_its_format_too(
    admin_client, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/customers/imports/",
            {"file": SimpleUploadedFile("o.csv", b"customer_id,order_id,placed_at,amount\n")},
        )

    after = admin_client.get(response["Location"]).content.decode()
    assert "Format: clvcrm CSV (recognised by its header)." in after


def test_the_model_names_each_format_as_the_import_does():
    labels = dict(OrderImport.FileFormat.choices)

    ours = {f.key: f.label for f in FORMATS} | {MAPPED_KEY: label_of(MAPPED_KEY)}
    assert ours == {k: v for k, v in labels.items() if k}


@pytest.mark.parametrize(
    ("name", "orders"),
    [
        ("shopify_orders.csv", ["5550001001", "5550001002"]),
        ("woocommerce_orders.csv", ["501", "502"]),
    ],
)
def test_the_readme_examples_import(name, orders):
    readme = (EXAMPLES.parents[1] / "README.md").read_text()
    example = EXAMPLES / name
    assert example.read_text() in readme.replace("```csv\n", "")

    summary = orders_import(path=example)

    assert summary.file_format is not None
    assert summary.counts.rows_rejected == 0
    assert list(
        Order.objects.order_by("external_id").values_list("external_id", "total", "refunded_amount")
    ) == [
        (orders[0], Decimal("34.90"), Decimal("0.00")),
        (orders[1], Decimal("9.90"), Decimal("4.95")),
    ]
    assert OrderLine.objects.count() == 3


def test_rejections_are_reports_of_the_file(write_csv):
    """A rejection found by the common checks names the export's column, as the report does."""
    row = "#1,a@example.com,paid,no,USD,5.00,2025-03-01 10:00:00 +0100,1,Mug,5.00,M,A B,XX,,\n"
    seen: list[RowReport] = []

    orders_import(path=write_csv(SHOPIFY_HEADER + row), on_rejection=seen.append)

    assert [(r.column, r.value) for r in seen] == [("Billing Country", "XX")]


def test_clvcrm_order_total_sets_an_order_with_lines_apart_from_their_sum(write_csv):
    header = "customer_id,order_id,placed_at,amount,order_total,refunded_amount,sku,quantity\n"
    rows = [
        "C1,O1,2025-01-01,10.00,12.50,,A,1",  # shipping on top of the lines
        "C1,O1,2025-01-01,5.00,12.50,,B,1",
        "C1,O2,2025-01-01,9.00,9.00,,,",  # no sku: a one-row order's amount is its total
        "C1,O3,2025-01-01,4.00,6.00,,A,1",
        "C1,O3,2025-01-01,4.00,7.00,,B,1",
        "C1,O4,2025-01-01,4.00,3.00,3.50,A,1",
    ]
    summary = orders_import(path=write_csv(header + "\n".join(rows) + "\n"))

    assert Order.objects.get().total == Decimal("12.50")
    assert [(r.row, r.column, r.reason) for r in summary.first_rejections] == [
        (4, "order_total", "given without a sku (a one-row order's amount is its total)"),
        (
            5,
            "order_total",
            "rows of this order disagree on order_total (row 5 and row 6); an order is "
            "imported whole or not at all",
        ),
        (
            6,
            "order_total",
            "rows of this order disagree on order_total (row 5 and row 6); an order is "
            "imported whole or not at all",
        ),
        (
            7,
            "refunded_amount",
            "larger than the order's total 3.00; an order is imported whole or not at all",
        ),
    ]


def test_whatever_goes_wrong_mapping_a_row_rejects_that_row_only(write_csv, monkeypatch):
    def boom(text: str) -> str:
        if text.startswith("2025-03-02"):
            raise RuntimeError("boom")
        return text.replace(" +0100", "+01:00").replace(" ", "T")

    monkeypatch.setattr("customers.order_import.formats.shopify._moment", boom)
    rows = [
        "#1,a@example.com,paid,no,USD,5.00,2025-03-01 10:00:00 +0100,1,Mug,5.00,M,A B,GB,,",
        "#2,a@example.com,paid,no,USD,5.00,2025-03-02 10:00:00 +0100,1,Mug,5.00,M,A B,GB,,",
    ]

    summary = orders_import(path=write_csv(SHOPIFY_HEADER + "\n".join(rows) + "\n"))

    assert _rejections(summary) == [(3, "", "", "could not be read (RuntimeError: boom)")]
    assert list(Order.objects.values_list("external_id", flat=True)) == ["#1"]


def test_records_given_in_code_name_no_format():
    record = {"customer_id": "C1", "order_id": "O1", "placed_at": "2025-01-01", "amount": "1"}

    summary = orders_import_records(records=[record])

    assert summary.describe().startswith("1 row(s) read; 0 rejected.")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_export_read_by_the_forked_reader_imports_the_same(monkeypatch):
    """On PostgreSQL the command reads in a child process; the mapping happens there."""
    forked = []

    def child(read, on_progress):
        forked.append(True)
        return batches_from_child(read, on_progress)

    monkeypatch.setattr(write_thread, "fork_is_safe", lambda: True)
    monkeypatch.setattr(write_thread, "batches_from_child", child)

    call_command(
        "import_orders",
        str(data_file("shopify_orders_export.csv")),
        "--batch-rows",
        "2",
        stdout=StringIO(),
    )

    assert forked == [True]
    run = OrderImport.objects.get()
    assert (run.status, run.file_format, run.rows_total, run.rows_rejected) == (
        "succeeded",
        SHOPIFY_KEY,
        8,
        1,
    )
    assert list(run.rejections.values_list("row", "column", "value")) == [(8, "Currency", "EUR")]
    assert Order.objects.count() == 5
    assert OrderLine.objects.count() == 7
