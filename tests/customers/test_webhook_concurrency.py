"""Refund webhooks of one order processed at the same moment on PostgreSQL: they add up,
and the same refund counts once (the order's row lock and the refund's unique row)."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from customers.models import ConnectedShop, Order, WebhookEvent
from customers.services.webhooks import webhook_event_process
from tests.datasets import data_file

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _process_in_own_connection(shop_id: int, delivery_id: str, start: threading.Event) -> str:
    try:
        start.wait()
        processed = webhook_event_process(shop_id=shop_id, delivery_id=delivery_id)
        return processed.detail if processed else "none"
    finally:
        connections.close_all()  # this thread's connections


def test_refunds_processed_at_once_add_up_and_a_repeated_one_counts_once():
    shop = ConnectedShop.objects.create(platform="shopify", domain="c.myshopify.com", secret="s")
    order_body = data_file("shopify_webhook_order.json").read_bytes()
    WebhookEvent.objects.create(
        platform="shopify", shop=shop, topic="orders/create", delivery_id="o", body=order_body
    )
    webhook_event_process(shop_id=shop.pk, delivery_id="o")
    refunds = {"r1": (1, "1.00"), "r2": (2, "2.50"), "r3": (3, "0.40")}
    deliveries = [*refunds, "r1-again", "r2-again"]
    for delivery_id in deliveries:
        refund_id, amount = refunds[delivery_id.removesuffix("-again")]
        body = {
            "id": refund_id,
            "order_id": 5550001001,
            "transactions": [{"kind": "refund", "status": "success", "amount": amount}],
        }
        WebhookEvent.objects.create(
            platform="shopify",
            shop=shop,
            topic="refunds/create",
            delivery_id=delivery_id,
            body=json.dumps(body).encode(),
        )
    start = threading.Event()

    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        futures = [pool.submit(_process_in_own_connection, shop.pk, d, start) for d in deliveries]
        start.set()
        details = sorted(f.result(timeout=60) for f in futures)

    assert Order.objects.get().refunded_amount == Decimal("3.90")
    assert details == ["", "", "", "refund 1 already counted", "refund 2 already counted"]
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()
