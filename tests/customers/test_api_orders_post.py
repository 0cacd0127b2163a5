"""POST /api/v1/orders/: orders in as the import takes them, each item judged alone, once."""

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from clvcrm.core.api_shapes import NUL_REFUSED
from clvcrm.core.api_tokens import api_token_create
from clvcrm.core.idempotency import idempotency_keys_expire
from clvcrm.core.models import IdempotencyKey
from clvcrm.pipeline import tasks as pipeline_tasks
from customers.models import ClvRun, Customer, CustomerScore, Order, OrderLine, PointsBalance
from tests.factories import score_of
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


def order(external_id: str = "O1", **changes: Any) -> dict[str, Any]:
    """An order as the contract writes it, with two lines."""
    return {
        "external_id": external_id,
        "customer": {
            "external_id": "C1",
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "country": "GB",
            "marketing_consent": True,
        },
        "placed_at": "2026-11-02T10:30:00+01:00",
        "total": "25.00",
        "currency": "USD",
        "status": "completed",
        "lines": [
            {"sku": "TEA", "product_name": "Tea", "category": "Drinks", "quantity": 2,
             "unit_price": "7.50"},
            {"sku": "MUG", "product_name": "Mug", "category": "Kitchen", "quantity": 1,
             "unit_price": 10},
        ],
        **changes,
    }  # fmt: skip


def client_of(user: User) -> APIClient:
    client = APIClient()
    _, token = api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def post(client: APIClient, body: Any, **headers: str) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def support(make_staff) -> APIClient:
    return client_of(make_staff("Support"))


def test_an_order_goes_in_as_the_import_writes_it(support):
    response = post(support, order())

    assert response.status_code == 201
    assert response.json() == {
        "orders": [{"index": 0, "external_id": "O1", "outcome": "created"}],
        "errors": [],
        "warnings": [],
    }
    stored = Order.objects.select_related("customer").get()
    assert (stored.total, stored.status, stored.currency) == (Decimal("25.00"), "completed", "USD")
    assert stored.placed_at.isoformat() == "2026-11-02T09:30:00+00:00"
    assert (stored.customer.external_id, stored.customer.email) == ("C1", "ada@example.com")
    assert (str(stored.customer.country), stored.customer.marketing_consent) == ("GB", True)
    lines = OrderLine.objects.order_by("line_number").values_list(
        "product__sku", "quantity", "unit_price", "amount"
    )
    assert list(lines) == [
        ("TEA", 2, Decimal("7.5000"), Decimal("15.00")),
        ("MUG", 1, Decimal("10.0000"), Decimal("10.00")),
    ]
    listed = support.get("/api/v1/customers/C1/orders/").json()["results"]
    assert [(o["external_id"], o["total"]) for o in listed] == [("O1", "25.00")]


def test_an_order_without_lines_is_one_amount(support):
    response = post(support, [order(lines=[], total=12.5), order("O2", lines=None)])

    assert response.status_code == 201
    assert dict(Order.objects.values_list("external_id", "total")) == {
        "O1": Decimal("12.50"),
        "O2": Decimal("25.00"),
    }
    assert not OrderLine.objects.exists()


def test_the_same_order_again_is_unchanged_and_a_refund_updates_it(support):
    post(support, order())

    again = post(support, order())
    refunded = post(support, order(status="refunded", refunded_amount="25.00"))

    assert again.status_code == refunded.status_code == 200
    assert again.json()["orders"] == [{"index": 0, "external_id": "O1", "outcome": "unchanged"}]
    assert refunded.json()["orders"] == [{"index": 0, "external_id": "O1", "outcome": "updated"}]
    stored = Order.objects.get()
    assert (stored.status, stored.refunded_amount) == ("refunded", Decimal("25.00"))
    assert OrderLine.objects.count() == 2


def test_each_invalid_order_gets_its_own_errors_and_the_valid_ones_go_in(support):
    bad_email = order("O2", customer={"external_id": "C2", "email": "not-an-address"})
    bad_line = order("O3")
    bad_line["lines"][1]["quantity"] = "two"
    response = post(support, [order(), bad_email, bad_line, order("O4", placed_at="yesterday")])

    assert response.status_code == 201
    body = response.json()
    assert body["orders"] == [
        {"index": 0, "external_id": "O1", "outcome": "created"},
        {"index": 1, "external_id": "O2", "outcome": "rejected"},
        {"index": 2, "external_id": "O3", "outcome": "rejected"},
        {"index": 3, "external_id": "O4", "outcome": "rejected"},
    ]
    assert body["errors"] == [
        {"index": 1, "field": "customer.email", "code": "invalid",
         "message": "not a valid email address"},
        {"index": 2, "field": "lines.1.quantity", "code": "invalid",
         "message": "not a whole number"},
        {"index": 3, "field": "placed_at", "code": "invalid",
         "message": "not a date or date-time (use YYYY-MM-DD or ISO 8601)"},
    ]  # fmt: skip
    assert list(Order.objects.values_list("external_id", flat=True)) == ["O1"]
    assert not Customer.objects.filter(external_id="C2").exists()


def test_a_request_where_every_order_is_refused_is_a_400(support):
    response = post(support, [order(total="-3", lines=[]), "not an order"])

    assert response.status_code == 400
    assert response.json() == {
        "orders": [
            {"index": 0, "external_id": "O1", "outcome": "rejected"},
            {"index": 1, "external_id": None, "outcome": "rejected"},
        ],
        "errors": [
            {
                "index": 0,
                "field": "total",
                "code": "invalid",
                "message": "negative (a refund goes in refunded_amount, or the status refunded)",
            },
            {"index": 1, "field": None, "code": "invalid", "message": "Expected an object."},
        ],
        "warnings": [],
    }
    assert not Order.objects.exists()


def test_shape_problems_are_named_by_their_path_without_stopping_the_others(support):
    no_customer = order("O2")
    del no_customer["customer"]
    lines_not_a_list = order("O3", lines={"sku": "TEA"})
    cell_is_an_object = order("O4", total={"amount": 3})
    line_without_sku = order("O5")
    del line_without_sku["lines"][0]["sku"]

    body = post(
        support, [order(), no_customer, lines_not_a_list, cell_is_an_object, line_without_sku]
    ).json()

    assert [o["outcome"] for o in body["orders"]] == ["created"] + ["rejected"] * 4
    assert body["errors"] == [
        {"index": 1, "field": "customer", "code": "required",
         "message": "This field is required."},
        {"index": 2, "field": "lines", "code": "not_a_list",
         "message": "Expected a list of objects."},
        {"index": 3, "field": "total", "code": "invalid",
         "message": "Expected a string, a number or null."},
        {"index": 4, "field": "lines.0.sku", "code": "required",
         "message": "This field is required."},
    ]  # fmt: skip


def test_a_null_character_refuses_that_order_alone_not_the_request(support):
    # PostgreSQL's text cannot hold one (SQLite's can): refused by name on both.
    nul_id = order("O\x00")
    nul_name = order("O3", customer={"external_id": "C3", "first_name": "A\x00da"})

    body = post(support, [order(), nul_id, nul_name], **{"Idempotency-Key": "nul-1"}).json()

    assert [o["outcome"] for o in body["orders"]] == ["created", "rejected", "rejected"]
    assert [o["external_id"] for o in body["orders"]] == ["O1", None, "O3"]
    assert [(e["index"], e["field"], e["message"]) for e in body["errors"]] == [
        (1, "external_id", NUL_REFUSED),
        (2, "customer.first_name", NUL_REFUSED),
    ]
    assert list(Order.objects.values_list("external_id", flat=True)) == ["O1"]


def test_an_order_id_twice_in_one_request_is_refused_the_second_time(support):
    body = post(support, [order(), order(total="99.00", lines=[])]).json()

    assert body["errors"] == [
        {
            "index": 1,
            "field": "external_id",
            "code": "duplicate",
            "message": "the same order id as the order at index 0",
        }
    ]
    assert Order.objects.get().total == Decimal("25.00")


def test_a_text_too_long_is_cut_and_said_as_a_warning(support):
    body = post(support, order(customer={"external_id": "C1", "first_name": "A" * 300})).json()

    assert body["orders"][0]["outcome"] == "created"
    [warning] = body["warnings"]
    assert (warning["index"], warning["field"], warning["code"]) == (
        0,
        "customer.first_name",
        "warning",
    )
    assert warning["message"].startswith("longer than")


def test_protected_fields_in_the_payload_change_nothing(support):
    customer = Customer.objects.create(external_id="C1", email="ada@example.com")
    run = ClvRun.objects.create(as_of=date(2026, 11, 1), status=ClvRun.Status.SUCCEEDED)
    score_of(customer, run, predicted_clv=Decimal("10.00"))
    tampered = order(id=999_999, lines=[], total="5.00")
    tampered["customer"].update(
        id=999_999, predicted_clv="1000000", segment="high_value", points_balance=5000, tier="Gold"
    )

    assert post(support, tampered).status_code == 201

    stored = Order.objects.get()
    assert stored.pk != 999_999
    assert stored.customer_id == customer.pk
    assert CustomerScore.objects.get(customer=customer).predicted_clv == Decimal("10.00")
    assert not PointsBalance.objects.exists()
    detail = support.get("/api/v1/customers/C1/").json()
    assert (detail["segment"], detail["tier"], detail["points_balance"]) == (None, None, 0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "Send one order object or a list of 1 to 1,000 of them."),
        ("an order", "Send one order object or a list of 1 to 1,000 of them."),
        ([{}] * 1001, "Send one order object or a list of 1 to 1,000 of them."),
    ],
)
def test_a_body_that_is_no_order_or_too_many_is_a_400(support, body, message):
    response = post(support, body)

    assert response.status_code == 400
    assert response.json() == {"errors": [{"field": None, "code": "invalid", "message": message}]}
    assert not Order.objects.exists()


def test_a_body_past_the_size_limit_is_refused_before_it_is_read(support, settings):
    settings.ORDERS_API_MAX_BODY_BYTES = 100

    response = post(support, order())

    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "too_large"
    assert not Order.objects.exists()


def test_a_malformed_content_length_is_a_400_not_a_500(support):
    response = support.post(
        URL, json.dumps(order()), content_type="application/json", CONTENT_LENGTH="many"
    )

    # Django reads no body then: an empty order, missing what an order needs.
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        (name, "required") for name in ("external_id", "customer", "placed_at", "total")
    ]
    assert not Order.objects.exists()


@pytest.mark.parametrize("role", ["Analyst", "Marketing"])
def test_roles_that_do_not_import_orders_cannot_post_them(make_staff, role):
    response = post(client_of(make_staff(role)), order())

    assert response.status_code == 403
    assert not Order.objects.exists()


def test_options_describes_an_order(support):
    response = support.options(URL)

    assert response.status_code == 200
    assert list(response.json()["actions"]["POST"]) == [
        "external_id", "customer", "placed_at", "total", "refunded_amount", "currency",
        "status", "lines",
    ]  # fmt: skip


def test_without_a_token_a_post_is_a_401():
    response = post(APIClient(), order())

    assert response.status_code == 401
    assert not Order.objects.exists()


def test_an_admin_may_post_orders(make_staff):
    assert post(client_of(make_staff("Admin")), order()).status_code == 201


def test_orders_that_change_something_queue_the_pipeline_after_commit(
    support, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[tuple] = []
    monkeypatch.setattr(pipeline_tasks.orders_received, "delay", lambda *a: queued.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        post(support, order())
    with django_capture_on_commit_callbacks(execute=True):
        post(support, order())  # unchanged: nothing follows

    assert queued == [()]


# --------------------------------------------------------------------------- idempotency


def test_a_replay_with_the_same_key_returns_the_first_answer_and_writes_nothing(support):
    first = post(support, order(), **{"Idempotency-Key": "k-1"})
    Order.objects.update(status="cancelled")  # what the first answer said stays what is replayed

    replay = post(support, order(), **{"Idempotency-Key": "k-1"})

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Order.objects.get().status == "cancelled"
    assert IdempotencyKey.objects.get().status_code == 201


def test_the_same_key_with_another_body_is_a_422(support):
    post(support, order(), **{"Idempotency-Key": "k-1"})

    response = post(support, order("O2"), **{"Idempotency-Key": "k-1"})

    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "field": "Idempotency-Key",
                "code": "idempotency_key_reused",
                "message": "this Idempotency-Key was sent with a different request; "
                "send a new key with every new request",
            }
        ]
    }
    assert list(Order.objects.values_list("external_id", flat=True)) == ["O1"]


def test_the_same_body_with_other_spacing_and_key_order_is_the_same_request(support):
    body = order()
    first = post(support, body, **{"Idempotency-Key": "k-1"})
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)

    replay = support.post(
        URL, reordered, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )

    assert replay.status_code == 201
    assert replay.json() == first.json()


def test_keys_belong_to_their_user(support, make_staff):
    post(support, order(), **{"Idempotency-Key": "shared"})

    other = post(client_of(make_staff("Admin")), order("O2"), **{"Idempotency-Key": "shared"})

    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other.headers
    assert Order.objects.count() == 2


@pytest.mark.parametrize("key", ["", "with space", "é", "x" * 256])
def test_a_malformed_key_is_a_400_naming_the_header(support, key):
    response = post(support, order(), **{"Idempotency-Key": key})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_a_refused_request_is_stored_and_replayed_too(support):
    first = post(support, order(total="-1", lines=[]), **{"Idempotency-Key": "k-1"})
    replay = post(support, order(total="-1", lines=[]), **{"Idempotency-Key": "k-1"})

    assert first.status_code == replay.status_code == 400
    assert replay.json() == first.json()


def test_keys_past_their_hours_are_deleted(support, settings):
    post(support, order(), **{"Idempotency-Key": "old"})
    post(support, order("O2"), **{"Idempotency-Key": "new"})
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS, seconds=1)
    )

    assert idempotency_keys_expire() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


# --------------------------------------------------------------------------- queries


def test_a_batch_costs_the_same_queries_whatever_its_size(support, django_assert_num_queries):
    post(support, order("WARM"))  # the products and the customer exist
    small = [order(f"S{i}") for i in range(3)]
    large = [order(f"L{i}") for i in range(300)]

    # Authentication (3), savepoints (2 × 4), the orders' stored states (1: none were stored,
    # so none is read again after), the import's batch (the rest); PostgreSQL adds the
    # import's lock (before the states and at the batch) and the synchronous commit.
    with django_assert_num_queries(per_backend(sqlite=19, postgresql=22)):
        post(support, small)
    with django_assert_num_queries(per_backend(sqlite=19, postgresql=22)):
        post(support, large)
