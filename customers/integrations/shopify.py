"""Shopify's order webhooks (``orders/create``, ``orders/updated``, ``refunds/create``).

Sources: Shopify's webhook documentation (headers ``X-Shopify-Topic``,
``X-Shopify-Hmac-Sha256``, ``X-Shopify-Shop-Domain``, ``X-Shopify-Webhook-Id``) and its
Order and Refund resources (the REST Admin API's example payloads). The order maps as the
Shopify CSV export maps (``customers.order_import.formats.shopify``): the order's key is
Shopify's numeric ``id``, the status comes from ``financial_status`` through the same map
(``cancelled_at`` makes it cancelled), and the customer is keyed by the order's email,
lower case, as the standard export (which has no customer id) keys it.

Test orders are not imported: Shopify marks an order ``"test": true`` when it is the fixed
sample order (id ``820982911946154508``) that the admin's "Send test notification" button
sends, correctly signed, and when it was paid through a test gateway.
"""

from decimal import Decimal
from typing import Any

from customers.integrations.payloads import (
    MappedOrder,
    PayloadError,
    decimal,
    items,
    mapping,
    moment,
)
from customers.order_import.formats.shopify import STATUSES
from customers.order_import.rows import cell_text, line_amount_text

ORDER_TOPICS = frozenset({"orders/create", "orders/updated"})
REFUND_TOPIC = "refunds/create"
TOPICS = ORDER_TOPICS | {REFUND_TOPIC}


def is_test_order(payload: dict[str, Any]) -> bool:
    """Whether Shopify marks the order as a test (its Order resource's ``test`` attribute).

    The mark is read from the signed body only: the ``X-Shopify-Test`` header the test
    button also sends is not covered by the signature.
    """
    return payload.get("test") is True


def order_records(payload: dict[str, Any]) -> MappedOrder:
    """An ``orders/*`` payload as clvcrm records; :class:`PayloadError` says why not."""
    order_id = cell_text(payload.get("id"))
    if not order_id:
        raise PayloadError("the order has no id")
    customer = mapping(payload.get("customer"))
    billing = mapping(payload.get("billing_address"))
    email = cell_text(payload.get("email")) or cell_text(payload.get("contact_email"))
    email = email or cell_text(customer.get("email"))
    if not email:
        raise PayloadError("no email: an order without a customer id is keyed by email")
    status = _status(payload)
    total = cell_text(payload.get("total_price"))
    if not total:
        raise PayloadError("the order has no total_price")
    refunds = {
        cell_text(refund.get("id")): refund_amount(refund)
        for refund in items(payload.get("refunds"))
        if cell_text(refund.get("id"))
    }
    first_name = cell_text(customer.get("first_name")) or cell_text(billing.get("first_name"))
    last_name = cell_text(customer.get("last_name")) or cell_text(billing.get("last_name"))
    order = {
        "customer_id": email.lower(),
        "order_id": order_id,
        "placed_at": cell_text(payload.get("created_at")),
        "order_total": total,
        "refunded_amount": str(sum(refunds.values(), Decimal("0.00"))),
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "country": cell_text(billing.get("country_code")),
        "marketing_consent": cell_text(payload.get("buyer_accepts_marketing")),
        "currency": cell_text(payload.get("currency")),
        "status": status,
    }
    updated = moment(payload.get("updated_at"))
    lines = items(payload.get("line_items"))
    if not lines:
        # A one-row order: its amount is its total (the import wants no order_total then).
        one_row = {k: v for k, v in order.items() if k != "order_total"}
        return MappedOrder(order_id, [{**one_row, "amount": total}], refunds, updated)
    records = []
    for line in lines:
        name = cell_text(line.get("name")) or cell_text(line.get("title"))
        quantity, price = line.get("quantity"), line.get("price")
        records.append(
            {
                **order,
                "amount": line_amount_text(quantity, price),
                # A product without a SKU is known by its name, as in the export.
                "sku": cell_text(line.get("sku")) or name,
                "product_name": name,
                "quantity": cell_text(quantity),
                "unit_price": cell_text(price),
            }
        )
    return MappedOrder(order_id, records, refunds, updated)


def _status(payload: dict[str, Any]) -> str:
    if cell_text(payload.get("cancelled_at")):
        return "cancelled"
    financial = cell_text(payload.get("financial_status"))
    key = financial.lower().replace(" ", "_")
    if key not in STATUSES:
        raise PayloadError(f"unknown financial_status {financial[:40]!r}")
    status = STATUSES[key]
    if status is None:
        raise PayloadError(f"financial_status {financial!r}: not paid yet")
    return status


def refund_amount(refund: dict[str, Any]) -> Decimal:
    """What a refund gave back: its successful refund transactions, or (a refund without
    transactions) its refunded line items' subtotals."""
    transactions = [
        t
        for t in items(refund.get("transactions"))
        if cell_text(t.get("kind")) == "refund" and cell_text(t.get("status")) in ("success", "")
    ]
    if transactions:
        return sum((decimal(t.get("amount")) for t in transactions), Decimal("0.00"))
    return sum(
        (decimal(line.get("subtotal")) for line in items(refund.get("refund_line_items"))),
        Decimal("0.00"),
    )


def refund_of(payload: dict[str, Any]) -> tuple[str, str, Decimal]:
    """A ``refunds/create`` payload's refund id, order id and amount."""
    refund_id, order_id = cell_text(payload.get("id")), cell_text(payload.get("order_id"))
    if not refund_id or not order_id:
        raise PayloadError("the refund has no id or no order_id")
    return refund_id, order_id, refund_amount(payload)
