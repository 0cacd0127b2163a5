"""Loyalty tiers, the programme's settings, each customer's tier status and the points ledger.

The balance of a customer's points lives in :class:`PointsBalance`, a row kept in step with
the ledger in the same transaction as every ledger write, with a ``CHECK (balance >= 0)``:
the database itself refuses a balance below zero, whatever the application does.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.models.shop import Customer, Order


class LoyaltyTier(models.Model):
    """A tier of the loyalty programme; a higher ``rank`` is a better tier.

    A customer qualifies on their completed orders of the trailing 12 months: spend of at
    least ``min_spend`` and/or at least ``min_orders`` orders, as ``qualify_on`` says. A
    blank threshold is not a criterion; at least one must be set.
    """

    class QualifyOn(models.TextChoices):
        ANY = "any", "Any threshold met"
        ALL = "all", "All thresholds met"

    name = models.CharField(max_length=50, unique=True)
    rank = models.PositiveSmallIntegerField(
        unique=True, help_text="Higher is better; tiers are climbed in rank order."
    )
    min_spend = models.DecimalField(
        "minimum 12-month spend",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Completed orders of the trailing 12 months, in the shop currency.",
    )
    min_orders = models.PositiveIntegerField(
        "minimum 12-month orders",
        null=True,
        blank=True,
        help_text="Completed orders in the trailing 12 months.",
    )
    qualify_on = models.CharField(max_length=3, choices=QualifyOn.choices, default=QualifyOn.ANY)
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    free_shipping = models.BooleanField(default=False)
    early_access = models.BooleanField(default=False)
    birthday_gift = models.BooleanField(default=False)
    points_multiplier = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Points per order are the base rate times this.",
    )
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_spend__isnull=False) | Q(min_orders__isnull=False),
                name="loyaltytier_has_threshold",
                violation_error_message="Set a minimum spend, a minimum order count, or both.",
            ),
            models.CheckConstraint(
                condition=Q(min_spend__isnull=True) | Q(min_spend__gte=0),
                name="loyaltytier_min_spend_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="loyaltytier_discount_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(points_multiplier__gte=0), name="loyaltytier_multiplier_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(qualify_on__in=["any", "all"]), name="loyaltytier_qualify_on_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def multiplier_text(self) -> str:
        """The multiplier without trailing zeros: ``1.25``, ``2``."""
        return _plain(self.points_multiplier)

    @property
    def discount_text(self) -> str:
        return _plain(self.discount_percent)

    def qualifies(self, spend: Decimal, orders: int) -> bool:
        """Whether 12-month ``spend`` and ``orders`` meet this tier (as the SQL decides)."""
        met = [
            *([spend >= self.min_spend] if self.min_spend is not None else []),
            *([orders >= self.min_orders] if self.min_orders is not None else []),
        ]
        return bool(met) and (all(met) if self.qualify_on == self.QualifyOn.ALL else any(met))


def _plain(number: Decimal) -> str:
    return format(Decimal(number).normalize(), "f")


class LoyaltySettings(models.Model):
    """The programme's settings: one row (id 1), edited in the admin."""

    class DowngradePolicy(models.TextChoices):
        ONE_STEP = "one_step", "One tier down"
        SUPPORTED = "supported", "To the tier their spend supports"

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    points_per_currency_unit = models.DecimalField(
        max_digits=8,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Base points earned per unit of the shop currency spent (rounded down).",
    )
    points_expiry_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1)],
        help_text="Earned points expire this many months after the order, oldest first.",
    )
    downgrade_policy = models.CharField(
        max_length=10, choices=DowngradePolicy.choices, default=DowngradePolicy.ONE_STEP
    )
    review_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1)],
        help_text="A tier is reviewed this many months after it was reached (or last kept).",
    )
    grace_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="Days after the review date to requalify before the downgrade happens.",
    )
    warning_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="Customers due for a downgrade within this many days are flagged for a "
        "warning campaign.",
    )
    points_expired_through = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Earnings expiring before this instant have been expired (the expiry "
        "job's watermark).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "loyalty settings"
        verbose_name_plural = "loyalty settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="loyaltysettings_single_row"),
            models.CheckConstraint(
                condition=Q(downgrade_policy__in=["one_step", "supported"]),
                name="loyaltysettings_policy_valid",
            ),
        ]

    def __str__(self) -> str:
        return "Loyalty settings"

    @classmethod
    def load(cls) -> "LoyaltySettings":
        """The settings row, created with the defaults on first use."""
        return cls.objects.get_or_create(pk=1)[0]


class LoyaltyStatus(models.Model):
    """A customer's place in the programme; a row exists once they first reached a tier.

    ``tier`` is empty after a downgrade below the lowest tier. While the customer no longer
    qualifies and their downgrade is due within the warning window, ``downgrade_on`` says
    when it will happen and ``downgrade_flagged_on`` when the flag was first raised (what a
    warning campaign selects on); both clear when they requalify or the downgrade happens.
    Only changes are written, so a nightly run touches few rows; the 12-month figures
    behind each change are in the tier history.
    """

    # No database-level foreign keys here or in the tier history: both are written only by
    # the set-based evaluation, with customer ids read from the orders and tier ids from the
    # tier table, and a deferred constraint trigger per row cost more than the evaluation
    # itself at a million customers (benchmarks/loyalty_tiers.py). Django still applies
    # on_delete: deleting a customer deletes these rows, a tier in use cannot be deleted.
    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="loyalty",
        db_constraint=False,
    )
    # Indexed by loyaltystatus_tier_idx (tier, customer).
    tier = models.ForeignKey(
        LoyaltyTier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    tier_since = models.DateField()
    review_on = models.DateField(help_text="When the tier is next reviewed.")
    downgrade_on = models.DateField(null=True, blank=True)
    downgrade_flagged_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "loyalty status"
        verbose_name_plural = "loyalty statuses"
        indexes = [
            models.Index(fields=["tier", "customer"], name="loyaltystatus_tier_idx"),
            # The warning campaign reads the flagged customers only.
            models.Index(
                fields=["downgrade_on", "customer"],
                name="loyaltystatus_downgrade_idx",
                condition=Q(downgrade_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.tier or 'no tier'}"


class LoyaltyTierChange(models.Model):
    """One change of a customer's tier: the tier history."""

    class Reason(models.TextChoices):
        UPGRADE = "upgrade", "Upgrade"
        DOWNGRADE = "downgrade", "Downgrade"

    # Indexed by loyaltytierchange_customer_idx (customer, effective_on).
    # Foreign keys without database constraints: see LoyaltyStatus.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="tier_changes",
        db_index=False,
        db_constraint=False,
    )
    from_tier = models.ForeignKey(
        LoyaltyTier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    to_tier = models.ForeignKey(
        LoyaltyTier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    effective_on = models.DateField()
    spend_12m = models.DecimalField(max_digits=14, decimal_places=2)
    orders_12m = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["customer", "effective_on"], name="loyaltytierchange_customer_idx"
            ),
            models.Index(fields=["effective_on", "id"], name="loyaltytierchange_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=["upgrade", "downgrade"]),
                name="loyaltytierchange_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier} → {self.to_tier} ({self.effective_on})"


class PointsEntry(models.Model):
    """One line of the points ledger; a customer's balance is the sum of their lines.

    Earning and reversing are at most once per order (partial unique constraints), and an
    earning expires at most once (unique ``expired_entry``), so every batch job can be run
    again without writing anything twice.
    """

    class Kind(models.TextChoices):
        EARN = "earn", "Earned"
        REVERSE = "reverse", "Reversed"
        REDEEM = "redeem", "Redeemed"
        ADJUST = "adjust", "Adjusted"
        EXPIRE = "expire", "Expired"

    # Indexed by pointsentry_customer_idx (customer, created_at, id).
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="points_entries", db_index=False
    )
    kind = models.CharField(max_length=7, choices=Kind.choices)
    points = models.IntegerField(help_text="Signed: positive adds to the balance.")
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    expired_entry = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    reason = models.CharField(max_length=200, blank=True, default="")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "points ledger entry"
        verbose_name_plural = "points ledger"
        permissions = [
            ("redeem_points", "Can redeem a customer's points"),
            ("adjust_points", "Can adjust a customer's points"),
        ]
        indexes = [
            models.Index(fields=["customer", "created_at", "id"], name="pointsentry_customer_idx"),
            # The expiry job reads earnings that are due and not yet expired.
            models.Index(
                fields=["expires_at"], name="pointsentry_expires_idx", condition=Q(kind="earn")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="earn"), name="pointsentry_earn_once"
            ),
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="reverse"), name="pointsentry_reverse_once"
            ),
            models.UniqueConstraint(
                fields=["expired_entry"],
                condition=Q(kind="expire"),
                name="pointsentry_expire_once",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["earn", "reverse", "redeem", "adjust", "expire"]),
                name="pointsentry_kind_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="earn", points__gt=0)
                    | Q(kind="reverse", points__lte=0)
                    | Q(kind__in=["redeem", "expire"], points__lt=0)
                    | (Q(kind="adjust") & ~Q(points=0))
                ),
                name="pointsentry_points_sign",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["earn", "reverse"], order__isnull=False)
                | (~Q(kind__in=["earn", "reverse"]) & Q(order__isnull=True)),
                name="pointsentry_order_iff_earn_or_reverse",
            ),
            models.CheckConstraint(
                condition=Q(kind="expire", expired_entry__isnull=False)
                | (~Q(kind="expire") & Q(expired_entry__isnull=True)),
                name="pointsentry_expired_entry_iff_expire",
            ),
            models.CheckConstraint(
                condition=Q(kind="earn") | Q(expires_at__isnull=True),
                name="pointsentry_expiry_only_on_earn",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.points:+d} ({self.kind})"


class PointsBalance(models.Model):
    """A customer's points balance: the sum of their ledger, never below zero."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="points_balance"
    )
    balance = models.IntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0),
                name="pointsbalance_not_negative",
                violation_error_message="A points balance cannot go below zero.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance} points"
