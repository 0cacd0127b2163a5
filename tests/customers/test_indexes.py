"""The customer search, the import's lookups and the CLV aggregate's refunds use indexes on
PostgreSQL (query plans)."""

from datetime import date, datetime

import pytest
from django.db import connection
from django.utils import timezone

from customers.clv_runs.aggregate import refunds_sql
from customers.models import Customer, Order
from customers.selectors import CustomerFilters, customer_search

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def customers() -> None:
    Customer.objects.bulk_create(
        Customer(
            external_id=f"C-{i:06}",
            email=f"person{i}@example.com",
            first_name=f"Name{i}",
            last_name=f"Family{i % 997}",
        )
        for i in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")


@pytest.mark.parametrize(
    ("query", "indexes"),
    [
        (
            "family996",
            {
                "customer_last_name_prefix",
                "customer_first_name_prefix",
                "customer_email_prefix",
                "customers_customer_external_id_key",
            },
        ),
        ("person7@example.com", {"customer_email_unique_ci"}),
    ],
)
def test_search_uses_indexes(customers, query: str, indexes: set[str]) -> None:
    plan = customer_search(CustomerFilters(q=query)).explain()
    assert "Seq Scan on customers_customer" not in plan
    assert all(index in plan for index in indexes), plan


def test_orders_and_customers_have_no_pattern_index_on_ids() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'customers_order'")
        names = sorted(name for (name,) in cursor.fetchall())
    assert names == [
        "customers_order_external_id_key",
        "customers_order_pkey",
        "order_customer_placed_idx",
        "order_placed_brin",
        "order_refunded_idx",
    ]


def test_the_clv_aggregate_reads_refunds_through_their_partial_index() -> None:
    owner = Customer.objects.create(external_id="C")
    placed = timezone.make_aware(datetime(2025, 1, 1))
    Order.objects.bulk_create(
        Order(
            external_id=f"O{i}",
            customer=owner,
            placed_at=placed,
            total="10.00",
            refunded_amount="1.00" if i % 1000 == 0 else "0.00",
            currency="USD",
        )
        for i in range(20_000)
    )
    sql, params = refunds_sql(date(2025, 1, 31))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_order")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert "order_refunded_idx" in plan, plan
    assert "Seq Scan" not in plan, plan
