"""Marketing spend: what was spent on each acquisition channel in each calendar month."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from customers.models.shop import AcquisitionChannel


class MarketingSpend(models.Model):
    """The spend of one channel in one calendar month, in the shop currency.

    ``month`` is the month's first day (a constraint keeps it so): one row per month and
    channel, written by the entry page, the CSV import and the API, all as upserts.
    """

    month = models.DateField(help_text="The first day of the month the spend is for.")
    channel = models.ForeignKey(AcquisitionChannel, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Spent on the channel in the month, in the shop currency.",
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "marketing spend"
        constraints = [
            # Also the index of every read: a range of months, then the channel.
            models.UniqueConstraint(
                fields=["month", "channel"],
                name="marketingspend_one_per_month_and_channel",
                violation_error_message="This channel already has spend for this month.",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0),
                name="marketingspend_amount_not_negative",
                violation_error_message="The amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1),
                name="marketingspend_month_first_day",
                violation_error_message="The month must be given by its first day.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.channel_id}: {self.amount}"
