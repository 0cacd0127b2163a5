"""The customer search and the import's lookups use indexes on PostgreSQL (query plans)."""

import pytest
from django.db import connection

from customers.models import Customer
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
    ]
