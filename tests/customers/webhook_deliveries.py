"""Shop webhook deliveries as the platforms send them: the connected shops of the tests,
their secrets, and the headers of a signed delivery."""

from typing import Any

from customers.integrations.signatures import signature_of
from tests.datasets import data_file

SHOPIFY_URL = "/api/v1/webhooks/shopify/"
WOO_URL = "/api/v1/webhooks/woocommerce/"
SHOP = "harbour-roasters.myshopify.com"
WOO_SHOP = "https://shop.example.com"
SECRET = "shpss_0123456789abcdef"
WOO_SECRET = "woo secret: & ünïcode"
NOT_VERIFIED = {
    "errors": [
        {
            "field": None,
            "code": "not_authenticated",
            "message": "The webhook's signature could not be verified.",
        }
    ]
}


def webhook_body(name: str) -> bytes:
    """A webhook fixture of ``tests/data`` (its README lists them), as raw bytes."""
    return data_file(name).read_bytes()


def delivery(
    body: bytes,
    topic: str = "orders/create",
    delivery_id: str = "d-1",
    platform: str = "shopify",
    signature: str | None = None,
    domain: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The URL and headers of ``body`` delivered by the test shop of ``platform``, signed
    with its secret unless ``signature`` says otherwise."""
    if platform == "shopify":
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature or signature_of(SECRET, body),
            "X-Shopify-Shop-Domain": SHOP if domain is None else domain,
            "X-Shopify-Webhook-Id": delivery_id,
        }
        return SHOPIFY_URL, headers
    headers = {
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": signature or signature_of(WOO_SECRET, body),
        "X-WC-Webhook-Source": WOO_SHOP + "/" if domain is None else domain,
        "X-WC-Webhook-Delivery-ID": delivery_id,
    }
    return WOO_URL, headers
