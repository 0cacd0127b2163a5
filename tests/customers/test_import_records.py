"""Orders given as records (the coming REST API and webhooks) take the file's path."""

from decimal import Decimal

import pytest

from customers.models import Customer, ImportRejection, Order, OrderImport, OrderLine
from customers.order_import.errors import RowReport
from customers.services.order_imports import orders_import_records

pytestmark = pytest.mark.django_db


def test_records_are_validated_and_written_like_file_rows():
    order_import = OrderImport.objects.create(file_name="webhook")
    records: list[dict[str, object]] = [
        {"customer_id": "C1", "order_id": "O1", "placed_at": "2025-01-01", "amount": "10.00",
         "email": "ada@example.com", "refunded_amount": 2.5},
        {"customer_id": "C1", "order_id": "O2", "placed_at": "2025-01-02", "amount": "3.00",
         "sku": "A", "quantity": 3, "unit_price": "1.0000"},
        {"customer_id": "C2", "order_id": "O3", "placed_at": "0001-01-01T00:00:00+05:00",
         "amount": "1.00"},
        {"customer_id": "C2", "order_id": "O4", "placed_at": "2025-01-03", "amount": None},
    ]  # fmt: skip
    rejected: list[RowReport] = []

    summary = orders_import_records(
        records=records, order_import=order_import, on_rejection=rejected.append
    )

    assert sorted(Order.objects.values_list("external_id", "total", "refunded_amount")) == [
        ("O1", Decimal("10.00"), Decimal("2.50")),
        ("O2", Decimal("3.00"), Decimal("0.00")),
    ]
    assert OrderLine.objects.get().unit_price == Decimal("1.0000")
    assert Customer.objects.get().email == "ada@example.com"
    assert [(r.row, r.column, r.reason) for r in rejected] == [
        (3, "placed_at", "outside the supported dates (1900-01-01 to 2999-12-31)"),
        (4, "amount", "missing"),
    ]
    assert ImportRejection.objects.count() == 2
    assert (summary.counts.rows, summary.counts.rows_rejected) == (4, 2)

    again = orders_import_records(records=records[:2])

    assert (again.counts.orders_created, again.counts.orders_unchanged) == (0, 2)
