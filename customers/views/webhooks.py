"""Shop webhooks: signed deliveries from Shopify and WooCommerce (README, "Shop webhooks").

No session, token or CSRF: the signature (base64 HMAC-SHA256 of the raw body with the
connected shop's secret) is the authentication, checked before the body is parsed. A
valid delivery is stored and answered at once; a task imports its order.
"""

import re

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.request import RawPostDataException
from django.views.decorators.csrf import csrf_exempt

from customers.models import Platform
from customers.services.webhooks import webhook_receive

# Each platform's headers: the shop, the signature, the topic, the delivery's id.
HEADERS = {
    Platform.SHOPIFY: (
        "X-Shopify-Shop-Domain",
        "X-Shopify-Hmac-Sha256",
        "X-Shopify-Topic",
        "X-Shopify-Webhook-Id",
    ),
    Platform.WOOCOMMERCE: (
        "X-WC-Webhook-Source",
        "X-WC-Webhook-Signature",
        "X-WC-Webhook-Topic",
        "X-WC-Webhook-Delivery-ID",
    ),
}

# The test delivery WooCommerce sends, unsigned, when a webhook is saved (WC_Webhook::deliver_ping).
WOOCOMMERCE_PING = re.compile(rb"webhook_id=\d{1,20}")


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"errors": [{"field": None, "code": code, "message": message}]}, status=status
    )


def _receive(request: HttpRequest, platform: Platform) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Webhooks are delivered with POST.")
        response["Allow"] = "POST"
        return response
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _error(413, "too_large", f"A webhook's body is at most {limit:,} bytes.")
    try:
        body = request.read(limit + 1)
    except (OSError, RawPostDataException):
        body = b""
    if len(body) > limit:
        return _error(413, "too_large", f"A webhook's body is at most {limit:,} bytes.")
    shop, signature, topic, delivery_id = (request.headers.get(h, "") for h in HEADERS[platform])
    if platform == Platform.WOOCOMMERCE and not signature and WOOCOMMERCE_PING.fullmatch(body):
        # WooCommerce saves a new webhook only if this unsigned test POST gets a 200.
        return JsonResponse({"received": False, "ping": True})
    received = webhook_receive(
        platform=platform,
        domain=shop,
        signature=signature,
        topic=topic,
        delivery_id=delivery_id,
        body=body,
    )
    if not received:
        # The same answer for an unknown or inactive shop and a bad signature.
        return _error(401, "not_authenticated", "The webhook's signature could not be verified.")
    return JsonResponse({"received": True})


@csrf_exempt
def shopify_webhook(request: HttpRequest) -> JsonResponse:
    """``POST /api/v1/webhooks/shopify/``: ``orders/create``, ``orders/updated``,
    ``refunds/create``."""
    return _receive(request, Platform.SHOPIFY)


@csrf_exempt
def woocommerce_webhook(request: HttpRequest) -> JsonResponse:
    """``POST /api/v1/webhooks/woocommerce/``: ``order.created``, ``order.updated``."""
    return _receive(request, Platform.WOOCOMMERCE)
