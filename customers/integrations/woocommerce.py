"""WooCommerce's order webhooks (``order.created``, ``order.updated``).

Sources: WooCommerce's webhook documentation (REST API, "Webhooks": topics, the secret's
HMAC-SHA256, headers ``X-WC-Webhook-Topic``, ``X-WC-Webhook-Signature``,
``X-WC-Webhook-Source``, ``X-WC-Webhook-Delivery-ID``) and its Order resource (the REST
API's example order). The order maps as the WooCommerce CSV export maps
(``customers.order_import.formats.woocommerce``): the same status map, and a guest
checkout (``customer_id`` 0) keyed by its billing email, lower case.
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
from customers.order_import.formats.woocommerce import STATUSES
from customers.order_import.rows import cell_text

TOPICS = frozenset({"order.created", "order.updated"})


def order_records(payload: dict[str, Any]) -> MappedOrder:
    """An ``order.*`` payload as clvcrm records; :class:`PayloadError` says why not."""
    order_id = cell_text(payload.get("id"))
    if not order_id:
        raise PayloadError("the order has no id")
    billing = mapping(payload.get("billing"))
    email = cell_text(billing.get("email"))
    customer_id = cell_text(payload.get("customer_id"))
    if customer_id in ("", "0"):  # a guest checkout
        if not email:
            raise PayloadError("no billing email: a guest checkout is keyed by its email")
        customer_id = email.lower()
    status_text = cell_text(payload.get("status"))
    key = status_text.lower().removeprefix("wc-")
    if key not in STATUSES:
        raise PayloadError(f"unknown status {status_text[:40]!r}")
    status = STATUSES[key]
    if status is None:
        raise PayloadError(f"status {status_text!r}: not paid yet")
    total = cell_text(payload.get("total"))
    if not total:
        raise PayloadError("the order has no total")
    # WooCommerce lists a refund's total as a negative amount.
    refunded = sum(
        (abs(decimal(r.get("total"))) for r in items(payload.get("refunds"))), Decimal(0)
    )
    placed = cell_text(payload.get("date_created_gmt"))
    order = {
        "customer_id": customer_id,
        "order_id": order_id,
        # date_created_gmt is UTC without a zone; date_created is the shop's local time.
        "placed_at": f"{placed}+00:00" if placed else cell_text(payload.get("date_created")),
        "order_total": total,
        "refunded_amount": str(refunded.quantize(Decimal("0.01"))),
        "email": email,
        "first_name": cell_text(billing.get("first_name")),
        "last_name": cell_text(billing.get("last_name")),
        "country": cell_text(billing.get("country")),
        "currency": cell_text(payload.get("currency")),
        "status": status,
    }
    # date_modified_gmt is UTC without a zone.
    updated = moment(payload.get("date_modified_gmt"), "+00:00")
    lines = items(payload.get("line_items"))
    if not lines:
        # A one-row order: its amount is its total (the import wants no order_total then).
        one_row = {k: v for k, v in order.items() if k != "order_total"}
        return MappedOrder(order_id, [{**one_row, "amount": total}], {}, updated)
    records = []
    for line in lines:
        name = cell_text(line.get("name"))
        records.append(
            {
                **order,
                # The line's total after discounts, as the export's item_total.
                "amount": cell_text(line.get("total")),
                "sku": cell_text(line.get("sku")) or name,
                "product_name": name,
                "quantity": cell_text(line.get("quantity")),
            }
        )
    return MappedOrder(order_id, records, {}, updated)
