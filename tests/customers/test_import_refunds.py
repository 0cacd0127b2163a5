"""Partial refunds: the ``refunded_amount`` column, and re-imports that change only it.

On PostgreSQL one-row orders go through the staged merge and orders with lines through
the row-by-row writer; on SQLite both through the latter: the tests run on both.
"""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import ImportRejection, Order

pytestmark = pytest.mark.django_db

HEADER = "customer_id,order_id,placed_at,amount,status,refunded_amount\n"
LINES = "customer_id,order_id,placed_at,amount,status,refunded_amount,sku,quantity\n"


def _import(write_csv, text: str, name: str = "orders.csv") -> str:
    out = StringIO()
    call_command("import_orders", str(write_csv(text, name)), stdout=out)
    return out.getvalue()


def _orders() -> list[tuple]:
    return list(
        Order.objects.order_by("external_id").values_list(
            "external_id", "status", "total", "refunded_amount"
        )
    )


def _rejections() -> list[tuple]:
    return list(
        ImportRejection.objects.order_by("row").values_list("row", "column", "value", "reason")
    )


def test_refunds_are_imported_and_an_empty_cell_means_none_so_far(write_csv):
    text = HEADER + (
        "C1,O1,2025-01-01,10.00,completed,2.50\n"
        "C1,O2,2025-01-02,10.00,completed,\n"
        "C1,O3,2025-01-03,10.00,refunded,10\n"
    )

    out = _import(write_csv, text)

    assert _orders() == [
        ("O1", "completed", Decimal("10.00"), Decimal("2.50")),
        ("O2", "completed", Decimal("10.00"), Decimal("0.00")),
        ("O3", "refunded", Decimal("10.00"), Decimal("10.00")),
    ]
    assert "Ignored unknown column" not in out


def test_a_re_import_that_changes_only_refunds_or_statuses_updates_the_orders(write_csv):
    _import(write_csv, HEADER + (
        "C1,O1,2025-01-01,10.00,completed,\n"
        "C1,O2,2025-01-02,10.00,completed,1.00\n"
        "C1,O3,2025-01-03,10.00,completed,1.00\n"
        "C1,O4,2025-01-04,10.00,completed,1.00\n"
    ), "first.csv")  # fmt: skip
    later = HEADER + (
        "C1,O1,2025-01-01,10.00,completed,4.00\n"  # a partial refund
        "C1,O2,2025-01-02,10.00,refunded,10.00\n"  # refunded whole
        "C1,O3,2025-01-03,10.00,completed,\n"  # the file does not say: stays 1.00
        "C1,O4,2025-01-04,10.00,completed,1.00\n"  # unchanged
    )

    out = _import(write_csv, later, "later.csv")

    assert _orders() == [
        ("O1", "completed", Decimal("10.00"), Decimal("4.00")),
        ("O2", "refunded", Decimal("10.00"), Decimal("10.00")),
        ("O3", "completed", Decimal("10.00"), Decimal("1.00")),
        ("O4", "completed", Decimal("10.00"), Decimal("1.00")),
    ]
    assert "Orders: 0 new, 2 updated (status or refund), 2 already imported" in out
    assert "Orders: 0 new, 0 updated (status or refund), 4 already" in _import(
        write_csv, later, "again.csv"
    )


def test_a_file_without_the_column_keeps_the_stored_refunds(write_csv):
    _import(write_csv, HEADER + "C1,O1,2025-01-01,10.00,completed,3.00\n", "first.csv")

    out = _import(write_csv, "customer_id,order_id,placed_at,amount\nC1,O1,2025-01-01,10\n")

    assert _orders() == [("O1", "completed", Decimal("10.00"), Decimal("3.00"))]
    assert "0 updated (status or refund), 1 already imported" in out


def test_refunds_the_order_cannot_hold_are_rejected(write_csv):
    text = HEADER + (
        "C1,O1,2025-01-01,10.00,completed,10.01\n"
        "C1,O2,2025-01-01,10.00,completed,-1\n"
        "C1,O3,2025-01-01,10.00,completed,1.005\n"
        "C1,O4,2025-01-01,10.00,completed,٣\n"
        "C1,O5,2025-01-01,10.00,completed,10.00\n"
    )

    _import(write_csv, text)

    assert [o[0] for o in _orders()] == ["O5"]
    assert _rejections() == [
        (2, "refunded_amount", "10.01", "larger than the order's amount 10.00"),
        (3, "refunded_amount", "-1", "negative"),
        (4, "refunded_amount", "1.005", "more than 2 decimal places"),
        (5, "refunded_amount", "٣",
         "not a number (use a dot as decimal separator, no currency sign)"),
    ]  # fmt: skip


def test_line_rows_repeat_the_orders_refund_and_must_agree(write_csv):
    text = LINES + (
        "C1,O1,2025-01-01,6.00,completed,5.00,A,1\n"
        "C1,O1,2025-01-01,4.00,completed,5.00,B,1\n"
        "C1,O2,2025-01-01,6.00,completed,1.00,A,1\n"
        "C1,O2,2025-01-01,4.00,completed,2.00,B,1\n"
        "C1,O3,2025-01-01,6.00,completed,10.50,A,1\n"
        "C1,O3,2025-01-01,4.00,completed,10.50,B,1\n"
    )

    _import(write_csv, text)

    assert _orders() == [("O1", "completed", Decimal("10.00"), Decimal("5.00"))]
    disagree = (
        "rows of this order disagree on refunded_amount (row 4 and row 5); "
        "an order is imported whole or not at all"
    )
    too_much = "larger than the order's total 10.00; an order is imported whole or not at all"
    assert _rejections() == [
        (4, "refunded_amount", "1.00", disagree),
        (5, "refunded_amount", "2.00", disagree),
        (6, "refunded_amount", "10.50", too_much),
        (7, "refunded_amount", "10.50", too_much),
    ]


def test_a_refund_of_an_order_with_lines_changes_on_re_import(write_csv):
    first = LINES + "C1,O1,2025-01-01,6.00,completed,,A,1\nC1,O1,2025-01-01,4.00,completed,,B,1\n"
    _import(write_csv, first, "first.csv")
    later = first.replace("completed,,", "completed,2.50,")

    out = _import(write_csv, later, "later.csv")

    assert _orders() == [("O1", "completed", Decimal("10.00"), Decimal("2.50"))]
    assert "Orders: 0 new, 1 updated (status or refund), 0 already imported" in out
