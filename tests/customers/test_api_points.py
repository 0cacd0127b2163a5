"""API v1 points: a customer's balance and ledger, redemptions and adjustments by role."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from customers.api.shared import ByIdCursor
from customers.models import Customer, PointsBalance, PointsEntry

pytestmark = pytest.mark.django_db


def _client(make_staff: Callable[..., User], role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_staff(role))
    return client


def _with_points(balance: int = 100, lines: int = 1) -> Customer:
    customer = Customer.objects.create(external_id="C1")
    PointsBalance.objects.create(customer=customer, balance=balance)
    now = timezone.now()
    PointsEntry.objects.bulk_create(
        PointsEntry(
            customer=customer,
            kind=PointsEntry.Kind.ADJUST,
            points=balance // lines,
            reason=f"line {i}",
            created_at=now + timedelta(seconds=i),
        )
        for i in range(lines)
    )
    return customer


def test_the_balance_and_ledger_read_newest_first(make_staff, monkeypatch) -> None:
    monkeypatch.setattr(ByIdCursor, "page_size", 2)
    _with_points(balance=90, lines=3)
    client = _client(make_staff, "Analyst")

    first = client.get("/api/v1/customers/C1/points/").json()
    second = client.get(first["next"]).json()

    assert first["balance"] == 90
    assert [e["reason"] for e in first["results"]] == ["line 2", "line 1"]
    assert [e["reason"] for e in second["results"]] == ["line 0"]
    assert set(first["results"][0]) == {
        "id",
        "kind",
        "points",
        "order",
        "reason",
        "created_at",
        "expires_at",
    }


def test_a_customer_without_points_has_a_zero_balance(make_staff) -> None:
    Customer.objects.create(external_id="C1")

    page = _client(make_staff, "Analyst").get("/api/v1/customers/C1/points/").json()

    assert (page["balance"], page["results"]) == (0, [])


def test_an_unknown_customer_has_no_points(make_staff) -> None:
    client = _client(make_staff, "Support")

    assert client.get("/api/v1/customers/NOBODY/points/").status_code == 404
    redeem = {"action": "redeem", "points": 1, "reason": "x"}
    assert client.post("/api/v1/customers/NOBODY/points/", redeem, format="json").status_code == 404


def test_support_redeems_and_adjusts(make_staff) -> None:
    _with_points(balance=100)
    client = _client(make_staff, "Support")

    redeemed = client.post(
        "/api/v1/customers/C1/points/",
        {"action": "redeem", "points": 30, "reason": "Voucher"},
        format="json",
    )
    adjusted = client.post(
        "/api/v1/customers/C1/points/",
        {"action": "adjust", "points": -5, "reason": "Correction"},
        format="json",
    )

    assert redeemed.status_code == 201
    assert redeemed.json()["balance"] == 70
    assert {k: redeemed.json()["entry"][k] for k in ("kind", "points", "reason")} == {
        "kind": "redeem",
        "points": -30,
        "reason": "Voucher",
    }
    assert adjusted.json()["balance"] == 65
    assert PointsBalance.objects.get().balance == 65
    assert PointsEntry.objects.filter(staff__username="support").count() == 2


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"action": "redeem", "points": 101, "reason": "x"}, None),
        ({"action": "redeem", "points": 0, "reason": "x"}, None),
        ({"action": "redeem", "points": -3, "reason": "x"}, None),
        ({"action": "adjust", "points": 0, "reason": "x"}, None),
        ({"action": "adjust", "points": 10**18, "reason": "x"}, None),
        ({"action": "adjust", "points": "1e3", "reason": "x"}, None),
        ({"action": "adjust", "points": 5, "reason": ""}, "reason"),
        ({"action": "adjust", "points": 5, "reason": "a\x00b"}, "reason"),
        ({"action": "adjust", "points": 5, "reason": "x" * 201}, "reason"),
        ({"action": "spend", "points": 5, "reason": "x"}, "action"),
    ],
)
def test_a_change_that_cannot_be_made_is_a_400_naming_the_field(
    make_staff, payload, message
) -> None:
    _with_points(balance=100)

    response = _client(make_staff, "Support").post(
        "/api/v1/customers/C1/points/", payload, format="json"
    )

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {message or "points"}
    assert PointsBalance.objects.get().balance == 100


@pytest.mark.parametrize("role", ["Analyst", "Marketing"])
def test_roles_without_the_points_rights_cannot_change_them(make_staff, role) -> None:
    _with_points(balance=100)
    client = _client(make_staff, role)

    for action in ("redeem", "adjust"):
        response = client.post(
            "/api/v1/customers/C1/points/",
            {"action": action, "points": 5, "reason": "x"},
            format="json",
        )
        assert response.status_code == 403
    assert client.get("/api/v1/customers/C1/points/").status_code == 200
    assert PointsBalance.objects.get().balance == 100


@pytest.mark.parametrize("size", [3, 30])
def test_the_ledger_costs_the_same_queries_at_any_size(
    make_staff: Callable[..., User], django_assert_num_queries, size: int
) -> None:
    client = APIClient()
    client.force_login(make_staff("Analyst"))
    _with_points(balance=size * 10, lines=size)

    # Session, user, permissions (2), the customer with its balance, the page of lines.
    with django_assert_num_queries(6):
        page = client.get("/api/v1/customers/C1/points/").json()

    assert len(page["results"]) == size
