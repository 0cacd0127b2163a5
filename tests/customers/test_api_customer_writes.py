"""API v1 customer create and update: explicit fields, checked values, protected fields, roles."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import (
    AcquisitionChannel,
    ClvRun,
    Customer,
    CustomerSegment,
    LoyaltyStatus,
    LoyaltyTier,
    PointsBalance,
    Segment,
    SegmentReason,
)
from customers.services import customers as customer_services
from tests.customers.test_api import CUSTOMER_CONTRACT
from tests.factories import score_of

pytestmark = pytest.mark.django_db


def _client(make_staff: Callable[..., User], role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_staff(role))
    return client


@pytest.fixture
def admin_client(make_staff: Callable[..., User]) -> APIClient:
    return _client(make_staff, "Admin")


NEW = {
    "external_id": "C-NEW",
    "email": "new@example.com",
    "first_name": "Grace",
    "last_name": "Hopper",
    "phone": "+1 555 0100",
    "country": "us",
    "channel": "Podcast",
    "marketing_consent": True,
    "birthday": "1990-12-09",
}


def test_an_admin_creates_a_customer_and_reads_it_back(admin_client) -> None:
    response = admin_client.post("/api/v1/customers/", NEW, format="json")

    assert response.status_code == 201
    body = response.json()
    assert list(body)[:16] == CUSTOMER_CONTRACT
    assert {k: body[k] for k in ("external_id", "email", "country", "channel", "birthday")} == {
        "external_id": "C-NEW",
        "email": "new@example.com",
        "country": "US",
        "channel": "Podcast",
        "birthday": "1990-12-09",
    }
    customer = Customer.objects.get(external_id="C-NEW")
    assert (customer.phone, customer.marketing_consent) == ("+1 555 0100", True)
    assert customer.acquisition_channel == AcquisitionChannel.objects.get(name="Podcast")
    assert admin_client.get("/api/v1/customers/C-NEW/").json() == body


def test_only_the_external_id_is_needed(admin_client) -> None:
    response = admin_client.post("/api/v1/customers/", {"external_id": "C1"}, format="json")

    assert response.status_code == 201
    assert response.json()["email"] == ""
    assert response.json()["channel"] is None


def _errors(response: Any) -> list[dict[str, Any]]:
    return response.json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "external_id"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x" * 65}, "external_id"),
        ({"external_id": "a\x00b"}, "external_id"),
        ({"external_id": "C1", "email": "not an email"}, "email"),
        ({"external_id": "C1", "email": "a\x00@example.com"}, "email"),
        ({"external_id": "C1", "first_name": "x" * 151}, "first_name"),
        ({"external_id": "C1", "last_name": "a\x00b"}, "last_name"),
        ({"external_id": "C1", "phone": "1" * 33}, "phone"),
        ({"external_id": "C1", "country": "XX"}, "country"),
        ({"external_id": "C1", "country": "DEU"}, "country"),
        ({"external_id": "C1", "channel": "x" * 101}, "channel"),
        ({"external_id": "C1", "marketing_consent": "maybe"}, "marketing_consent"),
        ({"external_id": "C1", "birthday": "1990-02-30"}, "birthday"),
        ({"external_id": "C1", "birthday": "0001-01-01"}, "birthday"),
    ],
)
def test_a_value_its_column_cannot_hold_is_a_400_naming_the_field(
    admin_client, payload, field
) -> None:
    response = admin_client.post("/api/v1/customers/", payload, format="json")

    assert response.status_code == 400
    assert {e["field"] for e in _errors(response)} == {field}
    assert not Customer.objects.exists()


def test_an_id_or_email_another_customer_has_is_a_400_naming_it(admin_client) -> None:
    Customer.objects.create(external_id="C1", email="taken@example.com")
    Customer.objects.create(external_id="C2", email="mine@example.com")

    same_id = admin_client.post("/api/v1/customers/", {"external_id": "C1"}, format="json")
    same_email = admin_client.post(
        "/api/v1/customers/", {"external_id": "C3", "email": "TAKEN@example.com"}, format="json"
    )
    changed_to_taken = admin_client.patch(
        "/api/v1/customers/C2/", {"email": "Taken@Example.com"}, format="json"
    )
    own_email = admin_client.patch(
        "/api/v1/customers/C2/", {"email": "MINE@example.com"}, format="json"
    )

    assert (same_id.status_code, _errors(same_id)[0]["field"]) == (400, "external_id")
    assert _errors(same_email) == [
        {
            "field": "email",
            "code": "invalid",
            "message": "Another customer already has this email address.",
        }
    ]
    assert (changed_to_taken.status_code, _errors(changed_to_taken)[0]["field"]) == (400, "email")
    assert own_email.status_code == 200
    assert Customer.objects.count() == 2


def test_patch_changes_only_what_it_sends(make_staff) -> None:
    Customer.objects.create(
        external_id="C1", email="a@example.com", first_name="Ada", country="GB", phone="1"
    )
    client = _client(make_staff, "Support")

    response = client.patch(
        "/api/v1/customers/C1/",
        {"last_name": "Lovelace", "channel": "Web", "country": "de"},
        format="json",
    )
    cleared = client.patch("/api/v1/customers/C1/", {"channel": None}, format="json")

    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("first_name", "last_name", "country", "channel")} == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "country": "DE",
        "channel": "Web",
    }
    assert cleared.json()["channel"] is None
    customer = Customer.objects.get()
    assert (customer.email, customer.phone, customer.acquisition_channel) == (
        "a@example.com",
        "1",
        None,
    )


def test_put_is_not_offered(admin_client) -> None:
    Customer.objects.create(external_id="C1")

    response = admin_client.put("/api/v1/customers/C1/", {"email": "x@example.com"}, format="json")

    assert response.status_code == 405


def test_an_unknown_customer_cannot_be_patched(admin_client) -> None:
    response = admin_client.patch("/api/v1/customers/NOBODY/", {"email": ""}, format="json")

    assert response.status_code == 404


PROTECTED = {
    "id": 999_999,
    "predicted_clv": "123456.00",
    "historical_clv": "99999.00",
    "p_alive": 0.01,
    "expected_purchases_90d": 42.0,
    "rfm_score": "111",
    "segment": "at_risk",
    "tier": "Platinum",
    "points_balance": 1_000_000,
    "unsubscribed_at": "2025-01-01T00:00:00Z",
    "created_at": "2000-01-01T00:00:00Z",
    "acquired_on": "2000-01-01",
}


def _scored_customer() -> Customer:
    customer = Customer.objects.create(external_id="C1", email="c1@example.com")
    run = ClvRun.objects.create(as_of=date(2025, 6, 30), status=ClvRun.Status.SUCCEEDED)
    score_of(customer, run)
    CustomerSegment.objects.create(
        customer=customer,
        segment=Segment.objects.get(code="high_value"),
        reason=SegmentReason.HIGH_VALUE,
        run=run,
        since=timezone.now(),
    )
    gold = LoyaltyTier.objects.create(name="Gold", rank=2, min_orders=3)
    LoyaltyStatus.objects.create(
        customer=customer, tier=gold, tier_since=date(2025, 1, 1), review_on=date(2026, 1, 1)
    )
    PointsBalance.objects.create(customer=customer, balance=50)
    return customer


def _state(customer: Customer) -> tuple[Any, ...]:
    customer = Customer.objects.select_related(
        "score", "segment_assignment__segment", "loyalty__tier", "points_balance"
    ).get(pk=customer.pk)
    score = customer.score
    return (
        customer.pk,
        customer.external_id,
        customer.unsubscribed_at,
        customer.created_at,
        customer.acquired_on,
        score.predicted_clv,
        score.historical_clv,
        score.p_alive,
        score.expected_purchases_90d,
        score.rfm_score,
        customer.segment_assignment.segment.code,
        customer.loyalty.tier.name if customer.loyalty.tier else None,
        customer.points_balance.balance,
    )


def test_protected_fields_sent_change_nothing(admin_client) -> None:
    customer = _scored_customer()
    before = _state(customer)

    patched = admin_client.patch(
        "/api/v1/customers/C1/",
        {**PROTECTED, "external_id": "C-OTHER", "first_name": "Ada"},
        format="json",
    )
    created = admin_client.post(
        "/api/v1/customers/", {**PROTECTED, "external_id": "C2"}, format="json"
    )

    assert patched.status_code == 200
    assert _state(customer) == before
    assert Customer.objects.get(pk=customer.pk).first_name == "Ada"
    assert created.status_code == 201
    new = Customer.objects.get(external_id="C2")
    assert new.pk != PROTECTED["id"]
    assert new.unsubscribed_at is None
    assert new.acquired_on != date(2000, 1, 1)
    assert {k: created.json()[k] for k in CUSTOMER_CONTRACT[8:]} == {
        "segment": None,
        "tier": None,
        "points_balance": 0,
        "historical_clv": None,
        "predicted_clv": None,
        "p_alive": None,
        "expected_purchases_90d": None,
        "rfm_score": None,
    }


@pytest.mark.parametrize(
    ("role", "create", "update"),
    [("Analyst", 403, 403), ("Marketing", 403, 403), ("Support", 403, 200), ("Admin", 201, 200)],
)
def test_writes_follow_the_roles(make_staff, role, create, update) -> None:
    Customer.objects.create(external_id="C1")
    client = _client(make_staff, role)

    created = client.post("/api/v1/customers/", {"external_id": "C2"}, format="json")
    updated = client.patch("/api/v1/customers/C1/", {"first_name": "Bo"}, format="json")

    assert (created.status_code, updated.status_code) == (create, update)
    assert Customer.objects.filter(external_id="C2").exists() == (create == 201)
    assert (Customer.objects.get(external_id="C1").first_name == "Bo") == (update == 200)


def test_a_conflict_met_only_at_the_write_is_still_a_400_naming_the_field(
    admin_client, monkeypatch
) -> None:
    # As when another request writes the same email between the check and the insert.
    Customer.objects.create(external_id="C1", email="taken@example.com")
    calls: list[Customer] = []
    original = customer_services._customer_conflict

    def missed_once(customer: Customer) -> customer_services.CustomerConflictError | None:
        calls.append(customer)
        return None if len(calls) == 1 else original(customer)

    monkeypatch.setattr(customer_services, "_customer_conflict", missed_once)

    response = admin_client.post(
        "/api/v1/customers/", {"external_id": "C2", "email": "Taken@example.com"}, format="json"
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["email"]
    assert Customer.objects.count() == 1
    assert len(calls) == 2  # checked, the insert refused, checked again
