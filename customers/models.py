"""Customers, channels, products, orders and order imports.

Indexes are chosen for a million customers and ten million orders: every list filter and
sort used by the staff pages has an index ending in ``id`` so keyset pagination stays an
index range scan.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField


class AcquisitionChannel(models.Model):
    """Where a customer came from (organic, paid search, referral, ...)."""

    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A shop customer, identified by the shop's own id (``external_id``)."""

    external_id = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254, blank=True, default="")
    first_name = models.CharField(max_length=150, blank=True, default="")
    last_name = models.CharField(max_length=150, blank=True, default="")
    phone = models.CharField(max_length=32, blank=True, default="")
    country = CountryField(blank=True, default="")
    # Indexed by customer_channel_idx (channel, id) below, which also serves the FK.
    acquisition_channel = models.ForeignKey(
        AcquisitionChannel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    acquired_on = models.DateField(
        default=timezone.localdate, help_text="Date of the first order (or of sign-up)."
    )
    marketing_consent = models.BooleanField(default=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    birthday = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="customer_email_unique_ci",
                violation_error_message="Another customer already has this email address.",
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="customer_name_idx"),
            models.Index(fields=["acquired_on", "id"], name="customer_acquired_idx"),
            models.Index(fields=["created_at", "id"], name="customer_created_idx"),
            models.Index(fields=["country", "id"], name="customer_country_idx"),
            models.Index(fields=["acquisition_channel", "id"], name="customer_channel_idx"),
        ]
        permissions = [("export_customer", "Can export customers")]

    def __str__(self) -> str:
        return self.full_name or self.email or self.external_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def can_be_emailed(self) -> bool:
        return bool(self.email) and self.marketing_consent and self.unsubscribed_at is None


class Product(models.Model):
    """A product sold by the shop; ``category`` groups products for cross-selling."""

    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=100, blank=True, default="", db_index=True)

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Order(models.Model):
    """One order of one customer. ``total`` is in the shop currency."""

    class Status(models.TextChoices):
        COMPLETED = "completed", "Completed"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    external_id = models.CharField(max_length=64, unique=True)
    # Indexed by order_customer_placed_idx (customer, placed_at), which also serves the FK.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    placed_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETED)
    total = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            # The customer page and the CLV aggregate read a customer's orders by date.
            models.Index(fields=["customer", "placed_at"], name="order_customer_placed_idx"),
            # Date ranges use a BRIN index on PostgreSQL (migration 0002): orders arrive
            # roughly in date order, and a B-tree here would slow every import.
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="order_total_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["completed", "refunded", "cancelled"]),
                name="order_status_valid",
            ),
        ]
        permissions = [("import_orders", "Can import orders from CSV files")]

    def __str__(self) -> str:
        return self.external_id


class OrderLine(models.Model):
    """A product line of an order; ``amount`` is the line total the shop charged."""

    # Indexed by the (order, line_number) unique constraint.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_number = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="orderline_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_number}"


class OrderImport(models.Model):
    """One run of the order import, from the command line or the upload page.

    The report of every rejected row lives in :class:`ImportRejection`, so a staff user can
    download it later and a worker on another machine can write it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    file_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveBigIntegerField(default=0)
    rows_rejected = models.PositiveBigIntegerField(default=0)
    orders_created = models.PositiveBigIntegerField(default=0)
    orders_updated = models.PositiveBigIntegerField(default=0)
    orders_unchanged = models.PositiveBigIntegerField(default=0)
    customers_created = models.PositiveBigIntegerField(default=0)
    customers_updated = models.PositiveBigIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    ignored_columns = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(100 * self.bytes_done / self.bytes_total) if self.bytes_total else 0


class ImportRejection(models.Model):
    """A row the import rejected: where, which column and why."""

    # Indexed by rejection_import_row_idx (order_import, row).
    order_import = models.ForeignKey(
        OrderImport, on_delete=models.CASCADE, related_name="rejections", db_index=False
    )
    row = models.PositiveBigIntegerField()
    order_id = models.CharField(max_length=64, blank=True, default="")
    column = models.CharField(max_length=64, blank=True, default="")
    value = models.CharField(max_length=200, blank=True, default="")
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["order_import", "row", "id"]
        indexes = [models.Index(fields=["order_import", "row"], name="rejection_import_row_idx")]

    def __str__(self) -> str:
        return f"row {self.row}: {self.column}: {self.reason}"
