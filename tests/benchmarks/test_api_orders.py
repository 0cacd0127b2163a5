"""The API benchmark's orders: the generated file's parts, and the same orders as JSON."""

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from benchmarks.orders_csv import HEADER, csv_split, generate_csv, orders_of
from clvcrm.core.api_tokens import api_token_create
from customers.models import Customer, Order
from customers.services.order_imports import orders_import


def test_the_parts_are_the_files_rows_in_order_each_with_the_header(tmp_path: Path) -> None:
    whole = generate_csv(tmp_path / "orders.csv", 30, 8, seed=2)
    rows = whole.path.read_text().splitlines(keepends=True)[1:]

    parts = csv_split(whole, [12, 10, 5], tmp_path)

    assert [p.read_text() for p in parts] == [
        HEADER + "".join(rows[:12]),
        HEADER + "".join(rows[12:22]),
        HEADER + "".join(rows[22:27]),
    ]


def _stored() -> list[tuple[object, ...]]:
    """Every order and its customer's attributes, as stored."""
    return sorted(
        Order.objects.values_list(
            "external_id",
            "customer__external_id",
            "placed_at",
            "total",
            "currency",
            "status",
            "customer__email",
            "customer__country",
            "customer__acquisition_channel__name",
            "customer__marketing_consent",
            "customer__acquired_on",
        )
    )


# Committed: the import of the emptied tables is a first load, whose ALTER TABLEs refuse to
# run in the transaction that deleted their rows (foreign key checks still pending).
@pytest.mark.django_db(transaction=True)
def test_the_orders_posted_are_stored_as_the_csv_import_stores_them(tmp_path, make_staff) -> None:
    whole = generate_csv(tmp_path / "orders.csv", 40, 10, seed=4)
    client = APIClient()
    _, token = api_token_create(user=make_staff("Support"))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    orders = list(orders_of(whole.path))

    posted = client.post("/api/v1/orders/", json.dumps(orders), content_type="application/json")
    through_api = _stored()
    Order.objects.all().delete()
    Customer.objects.all().delete()
    imported = orders_import(path=whole.path)

    assert posted.status_code == 201
    assert (posted.json()["errors"], posted.json()["warnings"]) == ([], [])
    assert [o["outcome"] for o in posted.json()["orders"]] == ["created"] * 40
    assert (imported.counts.rows_rejected, imported.counts.orders_created) == (0, 40)
    assert len(through_api) == 40
    assert _stored() == through_api
