"""The read API: login and the view permission required, cursor pagination."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Customer, Order

pytestmark = pytest.mark.django_db


def test_api_refuses_anonymous_and_users_without_a_role(make_staff):
    client = APIClient()
    assert client.get("/api/customers/").status_code in (401, 403)
    user = make_staff("Analyst")
    user.groups.clear()
    client.force_authenticate(user)
    assert client.get("/api/customers/").status_code == 403


def test_api_lists_customers_and_their_orders(make_staff):
    customers = [
        Customer.objects.create(external_id=f"C{i}", email=f"c{i}@example.com") for i in range(3)
    ]
    Order.objects.create(
        external_id="O1",
        customer=customers[0],
        placed_at=timezone.now(),
        total=Decimal("12.30"),
        currency="USD",
    )
    client = APIClient()
    client.force_authenticate(make_staff("Analyst"))

    listing = client.get("/api/customers/").json()
    detail = client.get("/api/customers/C0/").json()
    orders = client.get("/api/customers/C0/orders/").json()

    assert [c["external_id"] for c in listing["results"]] == ["C2", "C1", "C0"]
    assert detail["email"] == "c0@example.com"
    assert [(o["external_id"], o["total"], o["lines"]) for o in orders["results"]] == [
        ("O1", "12.30", [])
    ]
    assert client.post("/api/customers/", {}).status_code == 403  # read-only role
