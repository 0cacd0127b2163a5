"""Loyalty tiers, the programme's settings, each customer's tier status and tier history.

The points ledger and balances are in :mod:`customers.models.points`.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.models.shop import Customer

# The settings that multiply into points are bounded so that the largest order the
# ``Order.total`` column holds (9,999,999,999.99), at the largest base rate and the largest
# multiplier, earns about 10**16 points: a 64-bit ledger line holds it with room to spare
# (tests/customers/test_loyalty_limits.py checks the product).
MAX_POINTS_PER_CURRENCY_UNIT = Decimal("9999.9999")
MAX_POINTS_MULTIPLIER = Decimal("99.99")


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
        validators=[
            MinValueValidator(Decimal("0")),
            MaxValueValidator(MAX_POINTS_MULTIPLIER),
        ],
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
        validators=[
            MinValueValidator(Decimal("0")),
            MaxValueValidator(MAX_POINTS_PER_CURRENCY_UNIT),
        ],
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
    spend_12m = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="Spend of the trailing 12 months at the change "
        "(capped at the column's largest value, 999,999,999,999.99).",
    )
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
