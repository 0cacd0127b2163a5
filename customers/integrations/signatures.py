"""Webhook signatures: base64 HMAC-SHA256 of the raw body with the shop's secret.

Shopify sends it in ``X-Shopify-Hmac-Sha256``, WooCommerce in ``X-WC-Webhook-Signature``
(the same scheme). The comparison takes the same time whatever the signature sent.
"""

import base64
import hashlib
import hmac


def signature_of(secret: str, body: bytes) -> str:
    """The signature a platform sends with ``body`` signed by ``secret``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_valid(secret: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` (as sent, base64) signs ``body`` with ``secret``: compared in
    constant time, over the raw bytes, before anything parses them."""
    expected = signature_of(secret, body).encode("ascii")
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def shop_key(domain: str) -> str:
    """A shop's address as stored and looked up: lower case, without spaces or a final
    ``/`` (``Example.myshopify.com`` and ``https://shop.example.com/`` as sent)."""
    return domain.strip().lower().rstrip("/")
