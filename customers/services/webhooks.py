"""Services of the shop webhooks: a signed delivery received and stored, then processed
once through the order import."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from clvcrm.core.tasks import enqueue_on_commit
from customers.integrations import shopify, woocommerce
from customers.integrations.payloads import MappedOrder, PayloadError, parse
from customers.integrations.signatures import shop_key, signature_valid
from customers.models import ConnectedShop, Customer, Order, ShopRefund, WebhookEvent
from customers.order_import.rows import cell_text, unreadable
from customers.services.order_imports import orders_import_records

__all__ = [
    "WebhookProcessed",
    "webhook_event_bodies_expire",
    "webhook_event_process",
    "webhook_receive",
]

# The pipeline's task that imports a shop webhook's order and queues what follows it.
WEBHOOK_EVENT_PROCESS_TASK = "clvcrm.pipeline.tasks.webhook_event_process"

# Checked against when the shop is unknown, so that an unknown shop takes as long to
# refuse as a bad signature.
_NO_SHOP_SECRET = "no shop has this secret"
_DELIVERY_ID_LENGTH = WebhookEvent._meta.get_field("delivery_id").max_length or 128
_TOPIC_LENGTH = WebhookEvent._meta.get_field("topic").max_length or 64


def webhook_receive(
    *, platform: str, domain: str, signature: str, topic: str, delivery_id: str, body: bytes
) -> bool:
    """Store a shop's signed delivery and queue its processing; ``False``: refused.

    Refused, with nothing stored, unless ``domain`` is an active connected shop of
    ``platform`` and ``signature`` signs the raw ``body`` with its secret (checked before
    anything reads the body). A delivery id seen before (a platform's retry) stores
    nothing new; its processing is queued again, and does nothing if it already ran. A
    delivery without an id is known by its body's digest.
    """
    shop = (
        ConnectedShop.objects.filter(platform=platform, domain=shop_key(domain), active=True)
        .only("pk", "secret")
        .first()
    )
    valid = signature_valid(shop.secret if shop else _NO_SHOP_SECRET, body, signature)
    if shop is None or not valid:
        return False
    if not 0 < len(delivery_id) <= _DELIVERY_ID_LENGTH or not delivery_id.isprintable():
        delivery_id = f"sha256:{hashlib.sha256(body).hexdigest()}"
    event = WebhookEvent(
        platform=platform,
        shop=shop,
        topic=topic[:_TOPIC_LENGTH],
        delivery_id=delivery_id,
        body=body,
    )
    WebhookEvent.objects.bulk_create([event], ignore_conflicts=True)
    enqueue_on_commit(WEBHOOK_EVENT_PROCESS_TASK, shop.pk, delivery_id)
    return True


@dataclass(frozen=True)
class WebhookProcessed:
    """An event's processing: its outcome, and whether it added or changed an order."""

    outcome: str
    detail: str
    changed: bool
    order_id: str = ""
    order_updated_at: datetime | None = None


def webhook_event_process(*, shop_id: int, delivery_id: str) -> WebhookProcessed | None:
    """Process a stored delivery once, however often the task is delivered (``None``:
    already processed, or no such event).

    The event is claimed, its orders imported through
    :func:`~customers.services.order_imports.orders_import_records` and its outcome stored in
    one transaction. A payload that maps to no order, or an order the import rejects, marks
    the event with the reason; nothing is raised.
    """
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update()
            .filter(shop_id=shop_id, delivery_id=delivery_id, processed_at__isnull=True)
            .first()
        )
        if event is None:
            return None
        try:
            with transaction.atomic():
                processed = _webhook_apply(event)
        except PayloadError as exc:
            processed = WebhookProcessed(WebhookEvent.Outcome.REJECTED, str(exc), False)
        except (DatabaseError, MemoryError):
            raise  # not the payload's fault: the task is delivered again
        except Exception as exc:  # the safety net: a payload never makes the task fail
            processed = WebhookProcessed(WebhookEvent.Outcome.REJECTED, unreadable(exc), False)
        WebhookEvent.objects.filter(pk=event.pk).update(
            processed_at=timezone.now(),
            outcome=processed.outcome,
            detail=processed.detail[:2000],
            order_id=processed.order_id[:64],
            order_updated_at=processed.order_updated_at,
        )
    return processed


def webhook_event_bodies_expire() -> int:
    """Empty the raw body (customer data) of processed events received more than
    ``WEBHOOK_BODY_RETENTION_DAYS`` ago; how many were emptied.

    One UPDATE, whatever the number of events. The row stays with its outcome, detail, order
    id and times: a platform's retry of the delivery still collapses onto it (unique shop
    and delivery id) and is not processed again, and a late delivery of an older state of
    an order still finds the newer one imported (neither reads an old body). Unprocessed
    events keep their body: their processing reads it. Safe to run twice: an emptied body
    is not emptied again.
    """
    now = timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOK_BODY_RETENTION_DAYS)
    expired = WebhookEvent.objects.filter(
        received_at__lt=cutoff, processed_at__isnull=False, body_removed_at__isnull=True
    )
    return expired.update(body=b"", body_removed_at=now)


def _webhook_apply(event: WebhookEvent) -> WebhookProcessed:
    if event.topic in shopify.ORDER_TOPICS and event.platform == "shopify":
        payload = parse(bytes(event.body))
        if shopify.is_test_order(payload):
            # The admin's "Send test notification" or a test payment: never a real order.
            detail = f"order {cell_text(payload.get('id'))} is a test order: not imported"
            return WebhookProcessed(WebhookEvent.Outcome.IGNORED, detail, False)
        return _webhook_order(event, shopify.order_records(payload))
    if event.topic in woocommerce.TOPICS and event.platform == "woocommerce":
        return _webhook_order(event, woocommerce.order_records(parse(bytes(event.body))))
    if event.topic == shopify.REFUND_TOPIC and event.platform == "shopify":
        return _webhook_refund(event, *shopify.refund_of(parse(bytes(event.body))))
    detail = f"topic {event.topic!r} is not processed"
    return WebhookProcessed(WebhookEvent.Outcome.IGNORED, detail, False)


def _webhook_order(event: WebhookEvent, order: MappedOrder) -> WebhookProcessed:
    """Import the order, unless a newer state of it came first (the platforms do not
    deliver in order): then the event is not processed, and says so."""
    if order.updated_at is not None:
        newer = WebhookEvent.objects.filter(
            shop_id=event.shop_id,
            order_id=order.order_id,
            outcome=WebhookEvent.Outcome.IMPORTED,
            order_updated_at__gt=order.updated_at,
        ).exists()
        if newer:
            detail = f"order {order.order_id}: a newer update was imported already"
            return WebhookProcessed(WebhookEvent.Outcome.IGNORED, detail, False)
    rejections: list[str] = []
    summary = orders_import_records(
        records=order.records,
        on_rejection=lambda r: rejections.append(f"{r.column or 'row'} {r.value!r}: {r.reason}"),
    )
    if rejections:
        raise PayloadError(f"order {order.order_id} rejected: " + "; ".join(rejections))
    ShopRefund.objects.bulk_create(
        [
            ShopRefund(
                shop_id=event.shop_id, refund_id=refund_id, order_id=order.order_id, amount=amount
            )
            for refund_id, amount in order.refunds.items()
        ],
        ignore_conflicts=True,
    )
    changed = not summary.nothing_new
    outcome = WebhookEvent.Outcome.IMPORTED
    return WebhookProcessed(outcome, "", changed, order.order_id, order.updated_at)


def _webhook_refund(
    event: WebhookEvent, refund_id: str, order_id: str, amount: Decimal
) -> WebhookProcessed:
    """A refund adds to its order's refunded amount, once: an ``orders/updated`` listing it
    may have counted it already.

    The order's row is locked first, so two refunds of one order processed at once add up;
    the refund's row is the claim, so the same refund processed twice at once counts once
    (the second waits for the first's commit, then finds it).
    """
    order = Order.objects.select_for_update().filter(external_id=order_id).first()
    if order is None:
        detail = f"order {order_id} not yet known: its next orders/updated counts the refund"
        return WebhookProcessed(WebhookEvent.Outcome.WAITING, detail, False)
    try:
        with transaction.atomic():
            ShopRefund.objects.create(
                shop_id=event.shop_id, refund_id=refund_id, order_id=order_id, amount=amount
            )
    except IntegrityError:
        detail = f"refund {refund_id} already counted"
        return WebhookProcessed(WebhookEvent.Outcome.IMPORTED, detail, False)
    customer_id = Customer.objects.values_list("external_id", flat=True).get(pk=order.customer_id)
    # The order as stored, with only its refunded amount changed: the import's update.
    order_record = {
        "customer_id": customer_id,
        "order_id": order.external_id,
        "placed_at": order.placed_at.isoformat(),
        "refunded_amount": str(order.refunded_amount + amount),
        "currency": order.currency,
        "status": order.status,
    }
    lines = order.lines.select_related("product").order_by("line_number")
    records = [
        {
            **order_record,
            "amount": str(line.amount),
            "order_total": str(order.total),
            "sku": line.product.sku,
            "product_name": line.product.name,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
        }
        for line in lines
    ] or [{**order_record, "amount": str(order.total)}]
    return _webhook_order(event, MappedOrder(order_id, records, {refund_id: amount}))
