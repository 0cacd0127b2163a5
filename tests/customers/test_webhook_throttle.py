"""Shop webhooks are throttled per client address before the signature is checked."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from customers.models import WebhookEvent
from tests.customers.webhook_deliveries import delivery, webhook_body

pytestmark = pytest.mark.django_db

BODY = webhook_body("shopify_webhook_order.json")
THROTTLED = "Request was throttled. Expected available in 60 seconds."


def _post(client: Client, body: bytes = BODY, signature: str | None = None, **kwargs) -> int:
    url, headers = delivery(body, delivery_id=f"d-{len(body)}", signature=signature)
    response = client.post(url, body, content_type="application/json", headers=headers, **kwargs)
    return response.status_code


def test_a_client_past_the_rate_gets_a_429_before_its_signature_or_body_is_read(
    settings, client, shops, django_assert_num_queries
):
    settings.WEBHOOK_CLIENT_IP_THROTTLE_RATE = "3/minute"
    settings.WEBHOOK_MAX_BODY_BYTES = 10_000
    url, headers = delivery(BODY)
    with time_machine.travel(datetime(2026, 4, 2, 12, 0, tzinfo=UTC), tick=False):
        forged = [_post(client, signature="forged") for _ in range(3)]
        # Past the rate, even a signed delivery (and one too large to read) costs no query.
        with django_assert_num_queries(0):
            signed = client.post(url, BODY, content_type="application/json", headers=headers)
            too_large = _post(client, b"{" + b" " * 20_000 + b"}")

    assert forged == [401, 401, 401]
    assert (signed.status_code, too_large) == (429, 429)
    assert signed.json() == {"errors": [{"field": None, "code": "throttled", "message": THROTTLED}]}
    assert signed["Retry-After"] == "60"
    assert not WebhookEvent.objects.exists()


def test_each_client_address_has_its_own_count_behind_the_trusted_proxies(settings, shops):
    settings.WEBHOOK_CLIENT_IP_THROTTLE_RATE = "2/minute"
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")

    def post(address: str, forged: str) -> int:
        # A forged left-hand entry, different every time, does not make a new client.
        return _post(proxy, HTTP_X_FORWARDED_FOR=f"{forged}, {address}")

    assert [post("198.51.100.1", f"6.6.6.{i}") for i in range(3)] == [200, 200, 429]
    assert post("198.51.100.2", "6.6.6.6") == 200
    assert WebhookEvent.objects.count() == 1  # one delivery, retried


def test_webhooks_and_the_api_are_counted_apart(settings, shops, make_staff):
    settings.WEBHOOK_CLIENT_IP_THROTTLE_RATE = "1/minute"
    client = APIClient()
    client.force_login(make_staff("Analyst"))

    assert [_post(client) for _ in range(2)] == [200, 429]
    assert client.get("/api/v1/customers/").status_code == 200
