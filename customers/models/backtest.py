"""Back-tests of the purchase model: fit on a calibration period, compare with a holdout.

A :class:`ClvBacktest` keeps the figures of one back-test (as in Fader, Hardie & Lee 2005):
the parameters fitted on the calibration period, repeat transactions predicted and actual
in the holdout, per-customer error and correlation, and the weekly cumulative curve.
"""

from django.db import models
from django.utils import timezone

from customers.models.clv import ClvRun


class ClvBacktest(models.Model):
    """One calibration/holdout back-test of BG/NBD (or MBG/NBD), alpha in weeks."""

    calibration_end = models.DateField(help_text="Last day of the calibration period.")
    holdout_end = models.DateField(help_text="Last day of the holdout period.")
    calendar_start = models.DateField(
        help_text="First purchase day of the cohort: week 1 of the weekly curve starts here."
    )
    model = models.CharField(
        max_length=10, choices=ClvRun.Model.choices, default=ClvRun.Model.BGNBD
    )
    r = models.FloatField()
    alpha = models.FloatField(help_text="Gamma scale of the purchase rate, in weeks.")
    a = models.FloatField()
    b = models.FloatField()
    log_likelihood = models.FloatField()
    customers = models.PositiveIntegerField(help_text="Customers who bought by calibration end.")
    predicted_total = models.FloatField(help_text="Repeat transactions predicted in the holdout.")
    actual_total = models.PositiveIntegerField(help_text="Repeat transactions in the holdout.")
    mean_absolute_error = models.FloatField(help_text="Per customer, in transactions.")
    # Undefined (null) when every customer has the same prediction or outcome.
    correlation = models.FloatField(null=True, blank=True)
    weekly = models.JSONField(
        default=list,
        blank=True,
        help_text="[{week, actual_cumulative, predicted_cumulative}] from the calendar start.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"back-test {self.calibration_end} → {self.holdout_end}"

    @property
    def calibration_weeks(self) -> float:
        """Weeks from the calendar start to the end of the calibration's last day."""
        return ((self.calibration_end - self.calendar_start).days + 1) / 7

    @property
    def holdout_weeks(self) -> float:
        return (self.holdout_end - self.calibration_end).days / 7

    @property
    def final_week(self) -> dict[str, float] | None:
        """The last point of the weekly curve (e.g. week 78 for CDNOW)."""
        return self.weekly[-1] if self.weekly else None
