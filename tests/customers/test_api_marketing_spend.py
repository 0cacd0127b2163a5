"""API v1 marketing spend: the list (filters checked, cursor pages, roles) and the upsert
(all or nothing; each bad item named by index and field)."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from customers.models import AcquisitionChannel, MarketingSpend

pytestmark = pytest.mark.django_db

URL = "/api/v1/marketing-spend/"


@pytest.fixture
def channels() -> dict[str, AcquisitionChannel]:
    return {
        name: AcquisitionChannel.objects.create(name=name) for name in ("Paid search", "Referral")
    }


def _client(make_staff, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_staff(role))
    return client


def _spend(channels) -> None:
    rows = [
        (date(2024, 12, 1), "Paid search", "500.00"),
        (date(2025, 1, 1), "Paid search", "1000.00"),
        (date(2025, 1, 1), "Referral", "200.00"),
        (date(2025, 2, 1), "Referral", "0.00"),
        (date(2025, 3, 1), "Paid search", "1200.50"),
    ]
    MarketingSpend.objects.bulk_create(
        MarketingSpend(month=m, channel=channels[c], amount=Decimal(a)) for m, c, a in rows
    )


def _listed(body) -> list[tuple[str, str, str]]:
    return [(row["month"], row["channel"], row["amount"]) for row in body["results"]]


def test_the_list_filters_by_months_and_channel(make_staff, channels, django_assert_num_queries):
    _spend(channels)
    client = _client(make_staff, "Analyst")

    # The user's permissions (2), the page of rows with their channel and editor.
    with django_assert_num_queries(3):
        everything = client.get(URL)
    first_quarter = client.get(URL, {"start": "2025-01", "end": "2025-02"})
    referral = client.get(URL, {"channel": "Referral", "start": "2025-02"})

    assert everything.status_code == 200
    assert _listed(everything.json()) == [
        ("2024-12", "Paid search", "500.00"),
        ("2025-01", "Paid search", "1000.00"),
        ("2025-01", "Referral", "200.00"),
        ("2025-02", "Referral", "0.00"),
        ("2025-03", "Paid search", "1200.50"),
    ]
    assert everything.json()["results"][0]["updated_by"] is None
    assert _listed(first_quarter.json()) == [
        ("2025-01", "Paid search", "1000.00"),
        ("2025-01", "Referral", "200.00"),
        ("2025-02", "Referral", "0.00"),
    ]
    assert _listed(referral.json()) == [("2025-02", "Referral", "0.00")]


def test_the_list_pages_by_cursor(make_staff, channels):
    _spend(channels)
    client = _client(make_staff, "Support")

    first = client.get(URL, {"page_size": 2})
    second = client.get(first.json()["next"])
    third = client.get(second.json()["next"])

    assert _listed(first.json()) + _listed(second.json()) + _listed(third.json()) == _listed(
        client.get(URL).json()
    )
    assert third.json()["next"] is None


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {"start": "2025-1"},
            [
                {
                    "field": "start",
                    "code": "invalid",
                    "message": "not a month (use YYYY-MM, like 2025-03)",
                }
            ],
        ),
        (
            {"start": "2025-03", "end": "2025-01"},
            [{"field": "end", "code": "invalid", "message": "before the start"}],
        ),
        (
            {"end": "0001-01", "channel": "x" * 101},
            [
                {
                    "field": "end",
                    "code": "invalid",
                    "message": "outside the supported dates (1900-01-01 to 2999-12-31)",
                },
                {
                    "field": "channel",
                    "code": "invalid",
                    "message": "longer than 100 characters",
                },
            ],
        ),
    ],
)
def test_a_filter_that_cannot_be_used_is_a_400_naming_it(make_staff, params, errors):
    response = _client(make_staff, "Analyst").get(URL, params)

    assert response.status_code == 400
    assert response.json() == {"errors": errors}


def test_posting_upserts_the_list(make_staff, channels):
    _spend(channels)
    client = _client(make_staff, "Marketing")
    items = [
        {"month": "2025-01", "channel": "Referral", "amount": "200.00"},  # unchanged
        {"month": "2025-03", "channel": "paid search", "amount": 1300},  # changed
        {"month": "2025-04", "channel": "Referral", "amount": 12.5},  # new
    ]

    response = client.post(URL, items, format="json")
    again = client.post(URL, items, format="json")

    assert response.status_code == 201
    assert response.json() == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "results": [
            {"month": "2025-01", "channel": "Referral", "amount": "200.00"},
            {"month": "2025-03", "channel": "Paid search", "amount": "1300.00"},
            {"month": "2025-04", "channel": "Referral", "amount": "12.50"},
        ],
    }
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (
        0,
        0,
        3,
    )
    stored = MarketingSpend.objects.get(month=date(2025, 3, 1), channel=channels["Paid search"])
    assert stored.amount == Decimal("1300.00")
    assert stored.updated_by == User.objects.get(username="marketing")


def test_a_bad_item_refuses_the_whole_list_naming_each_item_and_field(make_staff, channels):
    client = _client(make_staff, "Admin")
    items = [
        {"month": "2025-01", "channel": "Referral", "amount": "10"},
        {"month": "2025-13", "channel": "Googel", "amount": "-1"},
        {"month": 202501, "channel": "Referral", "amount": True},
        {"channel": "Referral", "amount": "1.001"},
        "not an object",
        {"month": "2025-01", "channel": "referral", "amount": "11"},
    ]

    response = client.post(URL, items, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "index": 1,
                "field": "month",
                "code": "invalid",
                "message": "not a month (use YYYY-MM, like 2025-03)",
            },
            {
                "index": 1,
                "field": "channel",
                "code": "invalid",
                "message": "no acquisition channel has this name (check the spelling, or add "
                "the channel)",
            },
            {"index": 1, "field": "amount", "code": "invalid", "message": "negative"},
            {"index": 2, "field": "month", "code": "invalid", "message": "Expected a string."},
            {
                "index": 2,
                "field": "amount",
                "code": "invalid",
                "message": "Expected a number or a string like 1200.50.",
            },
            {"index": 3, "field": "month", "code": "invalid", "message": "This field is required."},
            {
                "index": 3,
                "field": "amount",
                "code": "invalid",
                "message": "more than 2 decimal places",
            },
            {
                "index": 4,
                "field": None,
                "code": "invalid",
                "message": "Expected an object {month, channel, amount}.",
            },
            {
                "index": 5,
                "field": "month",
                "code": "invalid",
                "message": "the same month and channel as item 0: one amount each",
            },
        ]
    }
    assert MarketingSpend.objects.count() == 0


@pytest.mark.parametrize("body", [{"month": "2025-01"}, [], [{}] * 1001, "text"])
def test_a_body_that_is_not_a_list_of_items_is_a_400(make_staff, channels, body):
    response = _client(make_staff, "Marketing").post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "field": None,
                "code": "invalid",
                "message": "Send a list of 1 to 1,000 objects {month, channel, amount}.",
            }
        ]
    }


@pytest.mark.parametrize(
    ("role", "get", "post"),
    [
        ("Analyst", 200, 403),
        ("Support", 200, 403),
        ("Marketing", 200, 201),
        ("Admin", 200, 201),
    ],
)
def test_roles(make_staff, channels, role, get, post):
    client = _client(make_staff, role)
    item = [{"month": "2025-01", "channel": "Referral", "amount": "1"}]

    assert client.get(URL).status_code == get
    assert client.post(URL, item, format="json").status_code == post


def test_staff_without_a_role_get_nothing(db):
    client = APIClient()
    client.force_authenticate(User.objects.create_user("nobody", is_staff=True))

    assert client.get(URL).status_code == 403
