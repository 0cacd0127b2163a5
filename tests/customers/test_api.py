"""API v1 customers and orders: the JSON contract, filters, roles, cursor pagination, queries."""

import base64
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from customers.api.shared import ByIdCursor
from customers.models import (
    AcquisitionChannel,
    ClvRun,
    Customer,
    LoyaltyTier,
    Order,
    OrderLine,
    Product,
)
from tests.factories import orders_with_lines, score_and_place

pytestmark = pytest.mark.django_db


def test_api_refuses_anonymous_and_users_without_a_role(make_staff):
    client = APIClient()
    assert client.get("/api/v1/customers/").status_code in (401, 403)
    user = make_staff("Analyst")
    user.groups.clear()
    client.force_authenticate(user)
    assert client.get("/api/v1/customers/").status_code == 403


def test_a_user_without_the_permission_cannot_tell_which_customers_exist(make_staff):
    Customer.objects.create(external_id="C1")
    user = make_staff("Analyst")
    user.groups.clear()
    client = APIClient()
    client.force_authenticate(user)

    known = client.get("/api/v1/customers/C1/orders/")
    unknown = client.get("/api/v1/customers/NOBODY/orders/")

    assert (known.status_code, unknown.status_code) == (403, 403)
    assert known.json() == unknown.json()


def test_an_unknown_customer_has_no_orders_page(make_staff):
    client = APIClient()
    client.force_authenticate(make_staff("Analyst"))

    assert client.get("/api/v1/customers/NOBODY/orders/").status_code == 404


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

    listing = client.get("/api/v1/customers/").json()
    detail = client.get("/api/v1/customers/C0/").json()
    orders = client.get("/api/v1/customers/C0/orders/").json()

    assert [c["external_id"] for c in listing["results"]] == ["C2", "C1", "C0"]
    assert detail["email"] == "c0@example.com"
    assert [(o["external_id"], o["total"], o["lines"]) for o in orders["results"]] == [
        ("O1", "12.30", [])
    ]
    assert client.post("/api/v1/customers/", {}).status_code == 403  # read-only role


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
@pytest.mark.parametrize("url", ["/api/v1/customers/", "/api/v1/customers/C0/orders/"])
def test_a_cursor_the_api_did_not_make_is_a_400_naming_it(
    api_client: APIClient, url: str, cursor: str, reason: str
) -> None:
    Customer.objects.create(external_id="C0")

    response = api_client.get(url, {"cursor": cursor})

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"field": "cursor", "code": "invalid", "message": INVALID.format(reason)}]
    }


# ---------------------------------------------------------------- the contract


@pytest.fixture
def scored(db: Any) -> dict[str, Customer]:
    """Three customers: two scored (one Gold, with points), one not yet scored."""
    run = ClvRun.objects.create(as_of=date(2025, 6, 30), status=ClvRun.Status.SUCCEEDED)
    gold = LoyaltyTier.objects.create(name="Gold", rank=2, min_orders=3)
    web = AcquisitionChannel.objects.create(name="Web")
    made = {
        "rich": Customer.objects.create(
            external_id="C-RICH",
            email="rich@example.com",
            first_name="Ada",
            last_name="Lovelace",
            country="GB",
            acquisition_channel=web,
            marketing_consent=True,
        ),
        "modest": Customer.objects.create(external_id="C-MODEST", country="DE"),
        "new": Customer.objects.create(external_id="C-NEW", country="DE"),
    }
    score_and_place(made["rich"], run, clv="912.40", p_alive=0.93, tier=gold, points=1200)
    score_and_place(made["modest"], run, clv="35.10", p_alive=0.2, segment="at_risk")
    return made


def test_a_customer_reads_with_its_scores_segment_tier_and_points(api_client, scored) -> None:
    rich = api_client.get("/api/v1/customers/C-RICH/").json()
    new = api_client.get("/api/v1/customers/C-NEW/").json()

    assert {key: rich[key] for key in CUSTOMER_CONTRACT} == {
        "external_id": "C-RICH",
        "email": "rich@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "country": "GB",
        "channel": "Web",
        "marketing_consent": True,
        "unsubscribed_at": None,
        "segment": "high_value",
        "tier": "Gold",
        "points_balance": 1200,
        "historical_clv": "160.00",
        "predicted_clv": "912.40",
        "p_alive": 0.93,
        "expected_purchases_90d": 0.75,
        "rfm_score": "435",
    }
    assert {key: new[key] for key in CUSTOMER_CONTRACT[8:]} == {
        "segment": None,
        "tier": None,
        "points_balance": 0,
        "historical_clv": None,
        "predicted_clv": None,
        "p_alive": None,
        "expected_purchases_90d": None,
        "rfm_score": None,
    }
    assert "id" not in rich


# The customer JSON contract of API v1 (issue 11): clients rely on these keys; never rename.
CUSTOMER_CONTRACT = [
    "external_id",
    "email",
    "first_name",
    "last_name",
    "country",
    "channel",
    "marketing_consent",
    "unsubscribed_at",
    "segment",
    "tier",
    "points_balance",
    "historical_clv",
    "predicted_clv",
    "p_alive",
    "expected_purchases_90d",
    "rfm_score",
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["C-NEW", "C-MODEST", "C-RICH"]),
        ({"segment": "high_value"}, ["C-RICH"]),
        ({"segment": "nobody"}, []),
        ({"tier": "Gold"}, ["C-RICH"]),
        ({"predicted_clv_min": "100"}, ["C-RICH"]),
        ({"predicted_clv_max": "100"}, ["C-MODEST"]),
        ({"predicted_clv_min": "30", "predicted_clv_max": "1000"}, ["C-MODEST", "C-RICH"]),
        ({"p_alive_min": "0.5"}, ["C-RICH"]),
        ({"country": "de"}, ["C-NEW", "C-MODEST"]),
        ({"channel": "Web"}, ["C-RICH"]),
        ({"country": "DE", "p_alive_min": "0.1"}, ["C-MODEST"]),
        ({"segment": ""}, ["C-NEW", "C-MODEST", "C-RICH"]),  # empty: any
    ],
)
def test_the_customer_list_filters(api_client, scored, query, expected) -> None:
    response = api_client.get("/api/v1/customers/", query)

    assert response.status_code == 200
    assert [c["external_id"] for c in response.json()["results"]] == expected


def test_page_size_is_chosen_and_capped(api_client) -> None:
    Customer.objects.bulk_create(Customer(external_id=f"C{i}") for i in range(503))

    two = api_client.get("/api/v1/customers/", {"page_size": "2"}).json()
    capped = api_client.get("/api/v1/customers/", {"page_size": "100000"}).json()
    following = api_client.get(two["next"]).json()

    assert [c["external_id"] for c in two["results"]] == ["C502", "C501"]
    assert len(capped["results"]) == 500
    assert [c["external_id"] for c in following["results"]] == ["C500", "C499"]


def test_an_order_reads_with_its_customer_and_lines(api_client) -> None:
    customer = Customer.objects.create(
        external_id="C1", email="c1@example.com", first_name="Bo", last_name="Ek"
    )
    order = Order.objects.create(
        external_id="O1",
        customer=customer,
        placed_at=timezone.now(),
        total=Decimal("12.50"),
        refunded_amount=Decimal("2.50"),
        currency="USD",
    )
    product = Product.objects.create(sku="TEA-1", name="Green tea", category="Tea")
    OrderLine.objects.create(
        order=order,
        line_number=1,
        product=product,
        quantity=2,
        unit_price=Decimal("6.25"),
        amount=Decimal("12.50"),
    )

    [read] = api_client.get("/api/v1/customers/C1/orders/").json()["results"]

    assert read == {
        "external_id": "O1",
        "customer": {
            "external_id": "C1",
            "email": "c1@example.com",
            "first_name": "Bo",
            "last_name": "Ek",
        },
        "placed_at": read["placed_at"],
        "total": "12.50",
        "refunded_amount": "2.50",
        "currency": "USD",
        "status": "completed",
        "lines": [
            {
                "sku": "TEA-1",
                "product_name": "Green tea",
                "category": "Tea",
                "quantity": 2,
                "unit_price": "6.2500",
                "line_number": 1,
                "amount": "12.50",
            }
        ],
    }


def test_the_api_still_pages_with_its_own_cursors(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ByIdCursor, "page_size", 2)
    Customer.objects.bulk_create(Customer(external_id=f"C{i}") for i in range(5))

    first = api_client.get("/api/v1/customers/").json()
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
    run = ClvRun.objects.create(as_of=date(2025, 6, 30), status=ClvRun.Status.SUCCEEDED)
    gold = LoyaltyTier.objects.create(name="Gold", rank=2, min_orders=3)
    for customer in customers:
        score_and_place(customer, run, clv="10.00", p_alive=0.5, tier=gold, points=5)
    orders_with_lines(customers[0], size)

    # Session, user, permissions (2), the page of customers with their channels, scores,
    # segments, tiers and points balances (one query; a cursor page needs no count).
    with django_assert_num_queries(5):
        listing = client.get("/api/v1/customers/").json()
    # Session, user, permissions (2), the customer with all of the above.
    with django_assert_num_queries(5):
        detail = client.get("/api/v1/customers/C0/").json()
    # Session, user, permissions (2), the customer exists, the page of orders with their
    # customer, their lines with products.
    with django_assert_num_queries(7):
        placed = client.get("/api/v1/customers/C0/orders/").json()

    assert len(listing["results"]) == size
    assert (detail["channel"], detail["tier"], detail["points_balance"]) == ("Referral", "Gold", 5)
    assert all(c["segment"] == "high_value" for c in listing["results"])
    assert len(placed["results"]) == size
    assert all(len(order["lines"]) == 2 for order in placed["results"])
