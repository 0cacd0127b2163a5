"""Connected shops and the webhook deliveries they send (``customers.integrations``)."""

from django.db import models
from django.utils import timezone


class Platform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"


class ConnectedShop(models.Model):
    """A shop whose webhooks are accepted: its platform, its address and its signing secret.

    ``domain`` is how the shop names itself in its deliveries: Shopify's
    ``X-Shopify-Shop-Domain`` (``example.myshopify.com``), WooCommerce's
    ``X-WC-Webhook-Source`` (the site's URL, ``https://shop.example.com/``), kept as
    :func:`customers.integrations.signatures.shop_key` normalises it. The secret signs
    every delivery (HMAC-SHA256); the admin writes it and never shows it back.
    """

    platform = models.CharField(max_length=16, choices=Platform.choices)
    domain = models.CharField(
        max_length=255,
        help_text="Shopify: the shop's myshopify.com domain. WooCommerce: the site's URL.",
    )
    secret = models.CharField(max_length=255)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "domain"], name="connected_shop_platform_domain_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()}: {self.domain}"


class WebhookEvent(models.Model):
    """One signed delivery from a connected shop, stored before it is acted on.

    A platform retries a delivery it thinks failed with the same delivery id: the unique
    constraint collapses the retries to this one row. ``processed_at`` is set, with the
    ``outcome``, in the transaction that imports the payload's orders. The body holds
    customer data: ``WEBHOOK_BODY_RETENTION_DAYS`` after a processed event arrived it is
    emptied (``body_removed_at``); the row stays, so retries still collapse onto it.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        IMPORTED = "imported", "Imported"
        REJECTED = "rejected", "Rejected"
        WAITING = "waiting", "Order not yet known"
        IGNORED = "ignored", "Not processed"

    platform = models.CharField(max_length=16, choices=Platform.choices)
    shop = models.ForeignKey(ConnectedShop, on_delete=models.PROTECT, related_name="events")
    topic = models.CharField(max_length=64)
    delivery_id = models.CharField(max_length=128)
    body = models.BinaryField()
    body_removed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the retention emptied the body."
    )
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    # The order it imported, and when the shop last changed it: a later delivery of an
    # older state of the order is not imported over a newer one.
    order_id = models.CharField(max_length=64, blank=True, default="")
    order_updated_at = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(
        blank=True, default="", help_text="Why it was rejected or not processed."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "delivery_id"], name="webhook_event_shop_delivery_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["received_at"], name="webhook_event_received_idx"),
            models.Index(fields=["shop", "order_id"], name="webhook_event_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.delivery_id}"


class ShopRefund(models.Model):
    """A shop's refund already counted in its order's ``refunded_amount``.

    Shopify announces a refund twice: in ``refunds/create`` and in the order's refunds list
    of the ``orders/updated`` that follows (in either order). The first to arrive counts
    it; the unique constraint makes the other a no-op.
    """

    shop = models.ForeignKey(ConnectedShop, on_delete=models.PROTECT, related_name="refunds")
    refund_id = models.CharField(max_length=64)
    order_id = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "refund_id"], name="shop_refund_uniq")
        ]

    def __str__(self) -> str:
        return f"refund {self.refund_id} of order {self.order_id}"
