"""Customers, channels, products and orders.

Indexes are chosen for a million customers and ten million orders: every list filter and
sort used by the staff pages has an index ending in ``id`` so keyset pagination stays an
index range scan.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.expressions import CombinedExpression
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


class NpsCategory(models.TextChoices):
    """A customer's latest NPS answer: promoters score 9–10, passives 7–8, detractors 0–6.

    The feedback app writes it (its ``ScoreCategory`` has the same values; a test keeps
    them equal): the customers app knows the categories, not the surveys.
    """

    PROMOTER = "promoter", "Promoter"
    PASSIVE = "passive", "Passive"
    DETRACTOR = "detractor", "Detractor"


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
    # The language of the pages and emails the customer sees; empty: the shop's. The
    # database default serves the set-based import's INSERTs.
    language = models.CharField(
        max_length=8, blank=True, default="", db_default="", choices=settings.LANGUAGES
    )
    birthday = models.DateField(null=True, blank=True)
    # The category of the customer's latest NPS answer (empty: never answered) and when
    # they gave it; custom segment rules and so campaigns can target it. The database
    # default keeps the column cheap to add and serves the set-based import's INSERTs (no
    # CHECK: validating one would scan every customer under an exclusive lock; the answer
    # service writes only the three values).
    nps_category = models.CharField(
        max_length=10, choices=NpsCategory.choices, blank=True, default="", db_default=""
    )
    nps_answered_at = models.DateTimeField(null=True, blank=True)
    # When a privacy request erased the customer's personal data (clvcrm.workspace.privacy):
    # their orders and figures stay, nothing is ever sent to them again, and on the database
    # a trigger keeps the personal columns empty whatever writes the row later (an import of
    # the shop's old rows, a webhook, the API).
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
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
            # The few erased customers: the senders' and the trigger step's exclusion reads
            # them as one small hashed set.
            models.Index(
                fields=["id"],
                name="customer_erased_idx",
                condition=models.Q(erased_at__isnull=False),
            ),
        ]
        permissions = [
            ("export_customer", "Can export customers"),
            ("export_customer_data", "Can export all of one customer's data (privacy request)"),
            ("erase_customer", "Can erase a customer's personal data (privacy request)"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.external_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def can_be_emailed(self) -> bool:
        return (
            bool(self.email)
            and self.marketing_consent
            and self.unsubscribed_at is None
            and self.erased_at is None
        )

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


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
    """One order of one customer. ``total`` is in the shop currency.

    Revenue counts completed orders only, net of what was refunded of them:
    ``total - refunded_amount`` (see :func:`net_revenue`). A refunded or cancelled order
    counts nothing, whatever its ``refunded_amount``.
    """

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
    # What the shop has refunded of this order so far (partial returns), as its latest export,
    # API call or webhook says; the database default serves the set-based import's INSERTs.
    refunded_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Amount refunded of this order so far (a partial return); at most the total.",
    )
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            # The customer page and the CLV aggregate read a customer's orders by date; a
            # campaign's results read each assigned customer's orders around the assignment
            # from the index alone (PostgreSQL's covering columns), never the table.
            models.Index(
                fields=["customer", "placed_at"],
                name="order_customer_placed_idx",
                include=["status", "total", "refunded_amount"],
            ),
            # The few partly refunded orders: the CLV aggregate scans totals and reads the
            # refunds through this, so a shop's nightly scan costs what it did before refunds.
            models.Index(
                fields=["customer", "placed_at"],
                name="order_refunded_idx",
                condition=models.Q(refunded_amount__gt=0),
            ),
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
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("total")),
                name="order_refunded_within_total",
                violation_error_message="The refunded amount must lie between 0 and the total.",
            ),
        ]
        permissions = [("import_orders", "Can import orders from CSV files")]

    def __str__(self) -> str:
        return self.external_id

    @property
    def net_total(self) -> Decimal:
        """What this order brings in: the total less refunds, nothing unless completed."""
        if self.status != self.Status.COMPLETED:
            return Decimal("0.00")
        return self.total - self.refunded_amount


def net_revenue() -> CombinedExpression:
    """An order's revenue net of partial refunds, for sums over completed orders only.

    Every figure of value (historical and predicted CLV, RFM, spend windows, loyalty tiers and
    points) sums this over ``status = 'completed'``; in raw SQL it is
    ``o.total - o.refunded_amount``.
    """
    return F("total") - F("refunded_amount")


class OrderLine(models.Model):
    """A product line of an order; ``amount`` is the line total the shop charged.

    Unit prices take up to 4 decimals (wholesale prices such as 0.001); ``amount`` is
    ``quantity × unit_price`` rounded half-up to cents, as the shop charged it.
    """

    # Indexed by the (order, line_number) unique constraint.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_number = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="orderline_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_number}"
