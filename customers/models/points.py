"""The points ledger and each customer's balance.

The balance of a customer's points lives in :class:`PointsBalance`, a row kept in step with
the ledger in the same transaction as every ledger write, with a ``CHECK (balance >= 0)``:
the database itself refuses a balance below zero, whatever the application does. Points
and balances are 64-bit integers.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.models.shop import Customer, Order


class PointsEntry(models.Model):
    """One line of the points ledger; a customer's balance is the sum of their lines.

    An order earns once (partial unique constraint) on its net revenue, recorded in
    ``order_net``. Each later refund of it writes one reversal carrying the net revenue left
    after it; the net only falls, so reversals are unique per order and net (a second
    partial refund has a new net, a repeated run finds its reversal written). An earning
    expires at most once (unique ``expired_entry``). So every batch job can be run again
    without writing anything twice.
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
    points = models.BigIntegerField(help_text="Signed: positive adds to the balance.")
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    order_net = models.DecimalField(
        "order's net revenue",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Earnings and reversals: the order's net revenue the line accounts for (what "
        "it earned on, or what was left of it after a refund).",
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
                fields=["order", "order_net"],
                condition=Q(kind="reverse"),
                name="pointsentry_reverse_once_per_net",
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
                condition=Q(kind__in=["earn", "reverse"], order_net__isnull=False, order_net__gte=0)
                | (~Q(kind__in=["earn", "reverse"]) & Q(order_net__isnull=True)),
                name="pointsentry_order_net_iff_earn_or_reverse",
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
    """A customer's points balance: the sum of their ledger, never below zero.

    64-bit, like the ledger's lines: no run and no staff change takes it past the column's
    limit (earnings stop there, an adjustment past it is refused).
    """

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="points_balance"
    )
    balance = models.BigIntegerField(default=0)
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
