"""The read API: login and the view permission required, cursor pagination."""

import base64
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from customers.api import ByIdCursor
from customers.models import AcquisitionChannel, Customer, Order, OrderLine, Product

pytestmark = pytest.mark.django_db


def test_api_refuses_anonymous_and_users_without_a_role(make_staff):
    client = APIClient()
    assert client.get("/api/customers/").status_code in (401, 403)
    user = make_staff("Analyst")
    user.groups.clear()
    client.force_authenticate(user)
    assert client.get("/api/customers/").status_code == 403


def test_a_user_without_the_permission_cannot_tell_which_customers_exist(make_staff):
    Customer.objects.create(external_id="C1")
    user = make_staff("Analyst")
    user.groups.clear()
    client = APIClient()
    client.force_authenticate(user)

    known = client.get("/api/customers/C1/orders/")
    unknown = client.get("/api/customers/NOBODY/orders/")

    assert (known.status_code, unknown.status_code) == (403, 403)
    assert known.json() == unknown.json()


def test_an_unknown_customer_has_no_orders_page(make_staff):
    client = APIClient()
    client.force_authenticate(make_staff("Analyst"))

    assert client.get("/api/customers/NOBODY/orders/").status_code == 404


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


@pytest.fixture
def api_client(make_staff: Callable[..., User]) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_staff("Analyst"))
    return client


INVALID = "Invalid cursor ({}); start again from the first page, without it."


@pytest.mark.parametrize(
    ("cursor", "reason"),
    [
        # "p=1e999": DRF compared the position with the id column (a 500).
        ("cD0xZTk5OQ==", "position: not a whole number"),
        (
            base64.b64encode(b"p=9223372036854775808").decode(),
            "position: must be at most 9223372036854775807",
        ),
        (base64.b64encode("p=١٢٣".encode()).decode(), "not a cursor of this list"),
        (base64.b64encode(b"p=%00").decode(), "position: not a whole number"),
        (base64.b64encode(b"o=-1").decode(), "not a cursor of this list"),
        (base64.b64encode(b"r=x").decode(), "not a cursor of this list"),
        ("!!!", "not a cursor of this list"),
        ("١٢٣", "not a cursor of this list"),
    ],
)
@pytest.mark.parametrize("url", ["/api/customers/", "/api/customers/C0/orders/"])
def test_a_cursor_the_api_did_not_make_is_a_400_naming_it(
    api_client: APIClient, url: str, cursor: str, reason: str
) -> None:
    Customer.objects.create(external_id="C0")

    response = api_client.get(url, {"cursor": cursor})

    assert response.status_code == 400
    assert response.json() == {"cursor": [INVALID.format(reason)]}


def test_the_api_still_pages_with_its_own_cursors(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ByIdCursor, "page_size", 2)
    Customer.objects.bulk_create(Customer(external_id=f"C{i}") for i in range(5))

    first = api_client.get("/api/customers/").json()
    second = api_client.get(first["next"]).json()
    back = api_client.get(second["previous"]).json()

    assert [c["external_id"] for c in first["results"]] == ["C4", "C3"]
    assert [c["external_id"] for c in second["results"]] == ["C2", "C1"]
    assert back["results"] == first["results"]


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("size", [3, 30])
def test_every_endpoint_costs_the_same_queries_at_any_size(
    make_staff: Callable[..., User], django_assert_num_queries, size: int
) -> None:
    # Logged in by session, as a browser is: each request loads its user and permissions
    # afresh (force_authenticate would keep one user object with its permissions cached).
    client = APIClient()
    client.force_login(make_staff("Analyst"))
    channel = AcquisitionChannel.objects.create(name="Referral")
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"C{i}", acquisition_channel=channel) for i in range(size)
    )
    product = Product.objects.create(sku="TEA-1", name="Green tea", category="Tea")
    orders = Order.objects.bulk_create(
        Order(
            external_id=f"O{i}",
            customer=customers[0],
            placed_at=timezone.now(),
            total=Decimal("10.00"),
            currency="USD",
        )
        for i in range(size)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_number=line,
            product=product,
            quantity=1,
            unit_price=Decimal("5.00"),
            amount=Decimal("5.00"),
        )
        for order in orders
        for line in (1, 2)
    )

    # Session, user, permissions (2), the page of customers with their channels (a cursor
    # page needs no count).
    with django_assert_num_queries(5):
        listing = client.get("/api/customers/").json()
    # Session, user, permissions (2), the customer with their channel.
    with django_assert_num_queries(5):
        detail = client.get("/api/customers/C0/").json()
    # Session, user, permissions (2), the customer exists, the page of orders, their lines
    # with products.
    with django_assert_num_queries(7):
        placed = client.get("/api/customers/C0/orders/").json()

    assert len(listing["results"]) == size
    assert detail["acquisition_channel"] == "Referral"
    assert len(placed["results"]) == size
    assert all(len(order["lines"]) == 2 for order in placed["results"])
