"""CLV runs and the per-customer scores they write.

A :class:`ClvRun` records one recalculation as of a date: its settings, the fitted
parameters, the timings of each stage and its outcome. :class:`CustomerScore` holds one row
per customer with purchases, replaced as a whole by each successful run.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

# RFM scores are quintiles, 1 (worst fifth) to 5 (best fifth): customers.clv.rfm.QUINTILES
# (the models do not import the mathematics; a test keeps the two equal).
RFM_SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class ClvRun(models.Model):
    """One recalculation of every customer's CLV, as of a date."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Model(models.TextChoices):
        BGNBD = "bgnbd", "BG/NBD"
        MBGNBD = "mbgnbd", "MBG/NBD"

    as_of = models.DateField(help_text="Orders placed after this day are ignored.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True, default="")
    triggered_by = models.CharField(max_length=50, blank=True, default="")

    class TimeUnit(models.TextChoices):
        WEEKS = "W", "weeks"
        DAYS = "D", "days"

    model = models.CharField(max_length=10, choices=Model.choices, default=Model.BGNBD)
    time_unit = models.CharField(
        max_length=1,
        choices=TimeUnit.choices,
        default=TimeUnit.WEEKS,
        help_text="Unit of recency, age and alpha in the fit (predictions do not depend on it).",
    )
    horizon_months = models.PositiveSmallIntegerField(default=12)
    monthly_discount_rate = models.FloatField(default=0.01)
    margin = models.FloatField(default=1.0, help_text="Share of revenue that is profit.")
    fit_sample_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Fit on a random sample of this many customers."
    )
    customers = models.PositiveIntegerField(default=0)
    repeat_customers = models.PositiveIntegerField(default=0)
    fitted_customers = models.PositiveIntegerField(default=0)
    prediction_skipped = models.CharField(max_length=300, blank=True, default="")
    # BG/NBD (or MBG/NBD): r, alpha (in time_unit), a, b.
    r = models.FloatField(null=True, blank=True)
    alpha = models.FloatField(null=True, blank=True)
    a = models.FloatField(null=True, blank=True)
    b = models.FloatField(null=True, blank=True)
    log_likelihood = models.FloatField(null=True, blank=True)
    converged = models.BooleanField(null=True, blank=True)
    # Gamma-Gamma: p, q, gamma (shop currency).
    gg_p = models.FloatField(null=True, blank=True)
    gg_q = models.FloatField(null=True, blank=True)
    gg_gamma = models.FloatField(null=True, blank=True)
    gg_log_likelihood = models.FloatField(null=True, blank=True)
    gg_converged = models.BooleanField(null=True, blank=True)
    seconds = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-finished_at"], name="clvrun_status_idx")]
        constraints = [
            # One run at a time: a second one waits its turn instead of racing the first.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running"),
                name="clvrun_one_running",
            ),
        ]

    def __str__(self) -> str:
        return f"CLV run {self.pk} as of {self.as_of} ({self.get_status_display()})"

    @property
    def has_prediction(self) -> bool:
        return self.r is not None and not self.prediction_skipped


class ClvRunPart(models.Model):
    """One customer-id range of a fanned-out run, scored and staged by one Celery task.

    The row is the record that the range is done: its task stages the range's scores and
    sets ``finished_at`` in one transaction, so the run's last step can check that every
    range is in before it replaces the scores, and a task delivered twice does nothing.
    """

    run = models.ForeignKey(ClvRun, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    first_customer_id = models.BigIntegerField()
    end_customer_id = models.BigIntegerField(help_text="The first customer id after the range.")
    customers = models.PositiveIntegerField(default=0, help_text="Customers scored.")
    seconds = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="clvrunpart_unique_number"),
            models.CheckConstraint(
                condition=models.Q(first_customer_id__lt=models.F("end_customer_id")),
                name="clvrunpart_range_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"part {self.number} of CLV run {self.run_id}"


class CustomerScore(models.Model):
    """A customer's purchase summary and CLV figures from the latest successful run.

    Frequency, recency and age follow the BTYD definitions: a transaction is a purchase
    day, frequency counts repeat purchase days, recency is first to last purchase and age
    ("T") is first purchase to the as-of date, all in days. Money (total spent, monetary,
    historical CLV, the spend windows) is completed orders' net revenue: totals less refunds.
    """

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    run = models.ForeignKey(ClvRun, on_delete=models.PROTECT, related_name="+")
    frequency = models.PositiveIntegerField()
    recency_days = models.PositiveIntegerField()
    age_days = models.PositiveIntegerField()
    monetary = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="Mean value of the repeat purchase days."
    )
    total_spent = models.DecimalField(max_digits=14, decimal_places=2)
    first_purchase = models.DateField()
    last_purchase = models.DateField()
    p_alive = models.FloatField(null=True, blank=True)
    expected_purchases_90d = models.FloatField(null=True, blank=True)
    expected_order_value = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    predicted_clv = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    historical_clv = models.DecimalField(max_digits=14, decimal_places=2)
    rfm_recency = models.PositiveSmallIntegerField(validators=RFM_SCORE)
    rfm_frequency = models.PositiveSmallIntegerField(validators=RFM_SCORE)
    rfm_monetary = models.PositiveSmallIntegerField(validators=RFM_SCORE)
    rfm_score = models.CharField(max_length=3)
    # NULL only in scores written before these columns existed (until the next run).
    spend_last_90d = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Completed spend over the 90 days ending on the run's as-of day.",
    )
    spend_prior_90d = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Completed spend over the 90 days before those.",
    )

    class Meta:
        indexes = [
            models.Index(fields=["-predicted_clv", "customer"], name="score_predicted_clv_idx"),
            models.Index(fields=["p_alive", "customer"], name="score_p_alive_idx"),
            models.Index(fields=["rfm_score", "customer"], name="score_rfm_idx"),
        ]

    def __str__(self) -> str:
        return f"score of customer {self.customer_id}"


class PredictedClvCut(models.Model):
    """The predicted CLV a customer needs to be in the top ``top_percent`` % of a run.

    Written once per run and share, the first time a page or a follow-up asks for it
    (``customers.clv_runs.value_bands``), so "is this customer in the top 20 %?" is one
    comparison, not a count over every score. ``value`` is empty when the run predicted
    nothing; ``customers`` is how many customers had a predicted CLV.
    """

    run = models.ForeignKey(ClvRun, on_delete=models.CASCADE, related_name="+", db_index=False)
    top_percent = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    customers = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "top_percent"], name="clv_cut_once"),
            models.CheckConstraint(
                condition=models.Q(top_percent__gte=1, top_percent__lte=100),
                name="clv_cut_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"top {self.top_percent}% of CLV run {self.run_id}"
