"""Shop webhooks: signed deliveries from Shopify and WooCommerce (README, "Shop webhooks").

The fixtures (tests/data/*_webhook_*.json) are written after the platforms' documented
example payloads, with the orders of the CSV export fixtures, so a webhook and a file can be
compared. Celery tasks run in-process here; deliveries queue their task on commit.
"""

import base64
import hashlib
import json
import random
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from customers.integrations.signatures import signature_of, signature_valid
from customers.models import (
    ConnectedShop,
    Customer,
    Order,
    OrderLine,
    Product,
    ShopRefund,
    WebhookEvent,
)
from customers.services.webhooks import WebhookProcessed, webhook_event_process
from tests.customers.webhook_deliveries import (
    NOT_VERIFIED,
    SECRET,
    SHOP,
    SHOPIFY_URL,
    WOO_SECRET,
    WOO_SHOP,
    WOO_URL,
    delivery,
    webhook_body,
)
from tests.datasets import data_file
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db


def _event() -> WebhookEvent:
    return WebhookEvent.objects.get()


# --------------------------------------------------------------------------- signatures


def test_ten_thousand_forged_signatures_are_all_refused(deliver):
    body = webhook_body("shopify_webhook_order.json")
    good = signature_of(SECRET, body)
    rng = random.Random(11)
    forged = [base64.b64encode(rng.randbytes(32)).decode() for _ in range(9_700)]
    # Near misses: one character changed, the wrong secret, another body, not base64.
    forged += [good[:i] + ("A" if good[i] != "A" else "B") + good[i + 1 :] for i in range(40)]
    forged += [signature_of(SECRET + "x", body), signature_of(SECRET, body + b" "), "", "é"]
    forged += [good.lower(), good + "=", " " + good, base64.b16encode(b"x" * 32).decode()]
    assert signature_valid(SECRET, body, good)

    accepted = [s for s in forged if signature_valid(SECRET, body, s)]
    # Through the view too (the test settings' webhook rate throttles none of them).
    statuses = Counter(deliver(body, signature=s or "x").status_code for s in forged[-256:])
    remaining = 10_000 - len(forged)
    statuses.update(
        deliver(body, signature=base64.b64encode(rng.randbytes(32)).decode()).status_code
        for _ in range(remaining)
    )

    assert (len(forged), remaining) == (9_748, 252)
    assert accepted == []
    assert statuses == {401: 256 + 252}
    assert not WebhookEvent.objects.exists()
    assert not Order.objects.exists()


@pytest.mark.parametrize("case", ["unknown shop", "inactive shop", "other platform", "no headers"])
def test_an_unknown_or_inactive_shop_gets_the_same_answer_as_a_bad_signature(deliver, client, case):
    body = webhook_body("shopify_webhook_order.json")
    if case == "inactive shop":
        ConnectedShop.objects.filter(domain=SHOP).update(active=False)
    if case == "no headers":
        response = client.post(SHOPIFY_URL, body, content_type="application/json")
    elif case == "other platform":  # WooCommerce's shop and secret at Shopify's address
        signature = signature_of(WOO_SECRET, body)
        response = deliver(body, domain=WOO_SHOP, signature=signature)
    else:
        response = deliver(body, domain="other.myshopify.com" if case == "unknown shop" else None)

    assert response.status_code == 401
    assert response.json() == NOT_VERIFIED
    assert not WebhookEvent.objects.exists()


def test_woocommerce_s_unsigned_ping_on_saving_a_webhook_gets_a_200_and_stores_nothing(client):
    response = client.post(
        WOO_URL, b"webhook_id=12", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert response.json() == {"received": False, "ping": True}
    # Signed, or anything else unsigned, is no ping; Shopify sends none.
    for url, body in ((WOO_URL, b"webhook_id=12&x=1"), (SHOPIFY_URL, b"webhook_id=12")):
        assert client.post(url, body, content_type="text/plain").status_code == 401
    signed = {"X-WC-Webhook-Signature": "forged"}
    assert (
        client.post(WOO_URL, b"webhook_id=1", content_type="text/plain", headers=signed).status_code
        == 401
    )
    assert not WebhookEvent.objects.exists()


def test_the_shop_domain_is_matched_as_the_admin_stores_it(deliver):
    body = webhook_body("shopify_webhook_order.json")
    assert deliver(body, domain=" Harbour-Roasters.MyShopify.com ").status_code == 200


def test_only_post_and_a_capped_body(client, deliver, settings):
    assert client.get(SHOPIFY_URL).status_code == 405
    assert client.get(WOO_URL)["Allow"] == "POST"
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    response = deliver(b"{" + b" " * 200 + b"}")
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "too_large"
    assert not WebhookEvent.objects.exists()


# --------------------------------------------------------------------------- deliveries


def test_a_delivery_retried_three_times_is_one_event_and_one_order(deliver):
    body = webhook_body("shopify_webhook_order.json")

    responses = [deliver(body, delivery_id="b54557e4-bdd9-4b37") for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert responses[0].json() == {"received": True}
    event = _event()
    assert (event.topic, event.delivery_id, event.outcome, event.detail) == (
        "orders/create",
        "b54557e4-bdd9-4b37",
        "imported",
        "",
    )
    assert bytes(event.body) == body
    assert event.processed_at is not None
    order = Order.objects.get()
    assert (order.external_id, order.total, order.currency, order.status) == (
        "5550001001",
        Decimal("34.90"),
        "USD",
        "completed",
    )
    assert order.placed_at.isoformat() == "2025-03-01T09:15:00+00:00"
    assert sorted(OrderLine.objects.values_list("product__sku", "quantity", "unit_price")) == [
        ("COF-1", 2, Decimal("12.5000")),
        ("MUG-1", 1, Decimal("4.9000")),
    ]
    customer = Customer.objects.get()
    assert (customer.external_id, customer.email, customer.first_name, customer.country) == (
        "ada@example.com",
        "ada@example.com",
        "Ada",
        "GB",
    )


def test_the_same_order_under_another_delivery_id_changes_nothing(deliver):
    body = webhook_body("shopify_webhook_order.json")
    deliver(body, delivery_id="1")
    deliver(body, topic="orders/updated", delivery_id="2")

    assert WebhookEvent.objects.count() == 2
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 2


def test_an_updated_order_with_a_refund_sets_its_refunded_amount(deliver):
    paid = json.loads(webhook_body("shopify_webhook_order_refunded.json"))
    paid |= {"financial_status": "paid", "refunds": []}
    deliver(json.dumps(paid).encode(), delivery_id="1")

    deliver(webhook_body("shopify_webhook_order_refunded.json"), "orders/updated", delivery_id="2")

    order = Order.objects.get()
    assert (order.external_id, order.total, order.refunded_amount, order.status) == (
        "5550001002",
        Decimal("19.80"),
        Decimal("9.90"),
        "completed",
    )


def test_a_refund_adds_to_its_order_once_whoever_announces_it(deliver):
    deliver(webhook_body("shopify_webhook_order.json"), delivery_id="1")
    refund = webhook_body("shopify_webhook_refund.json")

    deliver(refund, "refunds/create", delivery_id="2")
    deliver(refund, "refunds/create", delivery_id="3")  # the same refund, another delivery
    updated = json.loads(webhook_body("shopify_webhook_order.json"))
    updated |= {"financial_status": "partially_refunded", "refunds": [json.loads(refund)]}
    deliver(json.dumps(updated).encode(), "orders/updated", delivery_id="4")

    order = Order.objects.get()
    assert order.refunded_amount == Decimal("4.90")
    assert list(WebhookEvent.objects.order_by("delivery_id").values_list("outcome", "detail")) == [
        ("imported", ""),
        ("imported", ""),
        ("imported", "refund 509562970 already counted"),
        ("imported", ""),
    ]


def test_an_updated_order_that_counted_a_refund_first_is_not_added_to_again(deliver):
    refund = json.loads(webhook_body("shopify_webhook_refund.json"))
    updated = json.loads(webhook_body("shopify_webhook_order.json"))
    updated |= {"financial_status": "partially_refunded", "refunds": [refund]}
    deliver(json.dumps(updated).encode(), "orders/updated", delivery_id="1")

    deliver(json.dumps(refund).encode(), "refunds/create", delivery_id="2")

    assert Order.objects.get().refunded_amount == Decimal("4.90")


@pytest.mark.parametrize(
    ("platform", "fixture", "topic", "updated_key", "newer"),
    [
        ("shopify", "shopify_webhook_order.json", "orders/updated", "updated_at",
         "2025-03-06T10:00:00+01:00"),
        ("woocommerce", "woocommerce_webhook_order.json", "order.updated", "date_modified_gmt",
         "2025-03-06T09:00:00"),
    ],
)  # fmt: skip
def test_a_late_delivery_of_an_older_state_is_not_imported_over_a_newer_one(
    deliver, platform, fixture, topic, updated_key, newer
):
    older = webhook_body(fixture)
    cancelled = json.loads(older) | {updated_key: newer, "status": "cancelled"}
    cancelled |= {"cancelled_at": "2025-03-06T10:00:00+01:00"}
    deliver(json.dumps(cancelled).encode(), topic, "newer", platform=platform)

    deliver(older, topic, "older", platform=platform)

    assert Order.objects.get().status == "cancelled"
    older_event = WebhookEvent.objects.get(delivery_id="older")
    assert (older_event.outcome, older_event.detail) == (
        "ignored",
        f"order {Order.objects.get().external_id}: a newer update was imported already",
    )
    newer_event = WebhookEvent.objects.get(delivery_id="newer")
    assert newer_event.order_updated_at is not None
    assert newer_event.order_id == Order.objects.get().external_id


def test_a_refund_of_an_order_not_yet_known_waits_for_the_order(deliver):
    response = deliver(webhook_body("shopify_webhook_refund.json"), "refunds/create")

    assert response.status_code == 200
    event = _event()
    assert (event.outcome, event.detail) == (
        "waiting",
        "order 5550001001 not yet known: its next orders/updated counts the refund",
    )
    assert not Order.objects.exists()


def test_a_woocommerce_guest_checkout_is_keyed_by_its_billing_email(deliver):
    body = webhook_body("woocommerce_webhook_order.json")

    response = deliver(body, "order.created", "wc-1", platform="woocommerce")

    assert response.status_code == 200
    assert _event().outcome == "imported"
    customer = Customer.objects.get()
    assert (customer.external_id, customer.email, customer.first_name, customer.country) == (
        "cy.guest@example.com",
        "Cy.Guest@example.com",
        "Cy",
        "FR",
    )
    order = Order.objects.get()
    assert (order.external_id, order.total, order.refunded_amount) == (
        "727",
        Decimal("34.90"),
        Decimal("4.90"),
    )
    assert order.placed_at.isoformat() == "2025-03-01T10:15:00+00:00"
    assert OrderLine.objects.count() == 2


def test_a_woocommerce_registered_customer_is_keyed_by_id_and_updates_collapse(deliver):
    payload = json.loads(webhook_body("woocommerce_webhook_order.json")) | {"customer_id": 7}
    body = json.dumps(payload).encode()
    deliver(body, "order.created", "wc-1", platform="woocommerce")
    cancelled = json.dumps(payload | {"status": "cancelled"}).encode()

    deliver(cancelled, "order.updated", "wc-2", platform="woocommerce")

    assert Customer.objects.get().external_id == "7"
    assert Order.objects.get().status == "cancelled"


@pytest.mark.parametrize(
    ("platform", "fixture", "topic"),
    [
        ("shopify", "shopify_webhook_order.json", "orders/create"),
        ("woocommerce", "woocommerce_webhook_order.json", "order.created"),
    ],
)
def test_an_order_without_line_items_is_one_row_of_its_total(deliver, platform, fixture, topic):
    payload = json.loads(webhook_body(fixture)) | {"line_items": []}

    deliver(json.dumps(payload).encode(), topic, platform=platform)

    assert _event().outcome == "imported"
    assert Order.objects.get().total == Decimal("34.90")
    assert not OrderLine.objects.exists()


def test_an_order_by_csv_export_and_by_webhook_is_one_order(deliver):
    call_command("import_orders", str(data_file("shopify_orders_export.csv")), stdout=StringIO())
    before = (Order.objects.count(), Customer.objects.count(), OrderLine.objects.count())

    deliver(webhook_body("shopify_webhook_order.json"), "orders/updated")
    deliver(webhook_body("shopify_webhook_order_refunded.json"), "orders/updated", delivery_id="2")

    assert [e.outcome for e in WebhookEvent.objects.all()] == ["imported", "imported"]
    assert (Order.objects.count(), Customer.objects.count(), OrderLine.objects.count()) == before
    order = Order.objects.get(external_id="5550001002")
    assert order.refunded_amount == Decimal("9.90")
    assert order.customer.external_id == "bo@example.com"


# --------------------------------------------------------------------------- test orders

TEST_ORDER_DETAIL = "order 820982911946154508 is a test order: not imported"


@pytest.mark.parametrize("topic", ["orders/create", "orders/updated"])
def test_shopify_s_test_notification_is_recorded_as_ignored_and_never_imported(deliver, topic):
    body = webhook_body("shopify_webhook_test_notification.json")

    # As the admin's "Send test notification" button sends it: signed, with its header.
    response = deliver(body, topic, "test-1", extra_headers={"X-Shopify-Test": "true"})

    assert response.status_code == 200
    assert response.json() == {"received": True}
    event = _event()
    assert (event.topic, event.outcome, event.detail, event.order_id, event.order_updated_at) == (
        topic,
        "ignored",
        TEST_ORDER_DETAIL,
        "",
        None,
    )
    assert bytes(event.body) == body
    assert event.processed_at is not None
    for model in (Order, OrderLine, Customer, Product, ShopRefund):
        assert not model.objects.exists(), model


def test_a_test_order_changes_nothing_so_nothing_follows_it(shops):
    body = webhook_body("shopify_webhook_test_notification.json")
    shop = shops[0]
    WebhookEvent.objects.create(
        platform="shopify", shop=shop, topic="orders/create", delivery_id="t", body=body
    )

    processed = webhook_event_process(shop_id=shop.pk, delivery_id="t")

    # changed=False: the pipeline queues no loyalty refresh after it.
    assert processed == WebhookProcessed("ignored", TEST_ORDER_DETAIL, False)
    assert webhook_event_process(shop_id=shop.pk, delivery_id="t") is None


def test_only_the_signed_test_mark_keeps_an_order_out(deliver):
    sample = json.loads(webhook_body("shopify_webhook_test_notification.json"))
    real = json.loads(webhook_body("shopify_webhook_order.json"))

    # A real order marked as a test (a test gateway's payment) is not imported either...
    deliver(json.dumps(real | {"test": True}).encode(), delivery_id="1")
    # ...the header alone is not signed, so it does not keep a real order out...
    deliver(webhook_body("shopify_webhook_order.json"), delivery_id="2",
            extra_headers={"X-Shopify-Test": "true"})  # fmt: skip
    # ...and the sample order without its mark (or with anything but true) would go in.
    deliver(json.dumps(sample | {"test": False}).encode(), delivery_id="3")
    deliver(json.dumps(sample | {"test": "true", "id": 7}).encode(), delivery_id="4")

    outcomes = WebhookEvent.objects.order_by("delivery_id").values_list("outcome", "detail")
    assert list(outcomes) == [
        ("ignored", "order 5550001001 is a test order: not imported"),
        ("imported", ""),
        ("imported", ""),
        ("imported", ""),
    ]
    assert sorted(Order.objects.values_list("external_id", flat=True)) == [
        "5550001001",
        "7",
        "820982911946154508",
    ]


# --------------------------------------------------------------------------- bad payloads


def test_a_malformed_body_with_a_valid_signature_is_stored_and_marked(deliver):
    response = deliver(b'{"id": 1, "email": ')

    assert response.status_code == 200
    event = _event()
    assert event.outcome == "rejected"
    assert event.detail.startswith("the body is not JSON (")
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"financial_status": "pending"}, "financial_status 'pending': not paid yet"),
        ({"financial_status": "weird"}, "unknown financial_status 'weird'"),
        (
            {"email": None, "contact_email": None, "customer": None},
            "no email: an order without a customer id is keyed by email",
        ),
        ({"id": None}, "the order has no id"),
        ({"total_price": "lots"}, "order 5550001001 rejected: "),
        ({"created_at": "yesterday"}, "order 5550001001 rejected: placed_at 'yesterday': "),
        ({"line_items": [{"name": "x", "quantity": "two", "price": "1"}]}, "order 5550001001"),
        ({"refunds": [{"id": 1, "transactions": [{"kind": "refund", "amount": "NaN"}]}]},
         "not an amount: 'NaN'"),
    ],
)  # fmt: skip
def test_a_payload_that_maps_to_no_order_marks_its_event_with_the_reason(deliver, change, detail):
    payload = json.loads(webhook_body("shopify_webhook_order.json")) | change

    response = deliver(json.dumps(payload).encode())

    assert response.status_code == 200
    event = _event()
    assert event.outcome == "rejected"
    assert event.detail.startswith(detail), event.detail
    assert not Order.objects.exists()
    assert not Customer.objects.exists()


@pytest.mark.parametrize("body", [b"[]", b"null", b"\xff\xfe", b"", b'"text"'])
def test_json_that_is_no_object_is_rejected_on_its_event(deliver, body):
    assert deliver(body).status_code == 200
    assert _event().outcome == "rejected"


def test_whatever_goes_wrong_mapping_a_payload_marks_its_event(deliver, monkeypatch):
    def broken(payload):
        raise KeyError("surprise")

    monkeypatch.setattr("customers.integrations.shopify.order_records", broken)

    assert deliver(webhook_body("shopify_webhook_order.json")).status_code == 200
    event = _event()
    assert (event.outcome, event.detail) == ("rejected", "could not be read (KeyError: 'surprise')")


@pytest.mark.parametrize("delivery_id", ["", "x" * 129, "a\tb"])
def test_a_delivery_without_a_usable_id_is_known_by_its_body(deliver, delivery_id):
    body = webhook_body("shopify_webhook_order.json")

    for _ in range(2):
        assert deliver(body, delivery_id=delivery_id).status_code == 200

    assert _event().delivery_id == f"sha256:{hashlib.sha256(body).hexdigest()}"
    assert Order.objects.count() == 1


def test_an_unsupported_topic_is_stored_and_acknowledged_but_not_processed(deliver):
    response = deliver(b'{"id": 1}', topic="products/update")

    assert response.status_code == 200
    event = _event()
    assert (event.outcome, event.detail) == ("ignored", "topic 'products/update' is not processed")


# --------------------------------------------------------------------------- query counts


def test_a_delivery_costs_two_queries_and_a_refused_one_one(
    client, shops, django_assert_num_queries, django_capture_on_commit_callbacks
):
    body = webhook_body("shopify_webhook_order.json")
    _, headers = delivery(body, delivery_id="1")

    # The shop, then INSERT ... ON CONFLICT DO NOTHING; the task waits for the commit.
    with django_capture_on_commit_callbacks() as queued, django_assert_num_queries(2):
        response = client.post(SHOPIFY_URL, body, content_type="application/json", headers=headers)
    assert response.status_code == 200
    assert len(queued) == 1
    with django_capture_on_commit_callbacks() as queued, django_assert_num_queries(1):
        forged = {**headers, "X-Shopify-Hmac-Sha256": signature_of("guess", body)}
        response = client.post(SHOPIFY_URL, body, content_type="application/json", headers=forged)
    assert response.status_code == 401
    assert queued == []


def test_processing_an_order_event_costs_a_fixed_number_of_queries(
    deliver, django_assert_num_queries
):
    # One order in first, so this one goes into a shop with orders.
    deliver(webhook_body("shopify_webhook_order_refunded.json"), delivery_id="first")

    # The claim, whether a newer state of the order came first, the import of an order of
    # two lines, the outcome, whether a loyalty programme or a campaign's results follow;
    # PostgreSQL one more: the import's lock. (Records are never a first load, nor refresh
    # the tables' statistics as a growing file does.) Then the dashboard's aggregates: their
    # step asked for (2), and here, with tasks run at once, the refresh itself (12: the step
    # started, one statement over the orders, three tables replaced, the run, the record).
    with django_assert_num_queries(per_backend(sqlite=40, postgresql=41)):
        deliver(webhook_body("shopify_webhook_order.json"))
    assert WebhookEvent.objects.get(delivery_id="d-1").outcome == "imported"
