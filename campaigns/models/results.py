"""A campaign's results as computed at one moment: attribution and statistics per arm.

Written by :func:`campaigns.services.results.campaign_results_compute` (the rules are in
``campaigns.results``); pages and the API read the latest computation and never scan orders.
Figures that cannot be computed (no holdout, an arm too small) are empty (``NULL``).
"""

from django.db import models
from django.db.models import Q

from campaigns.models.campaign import Campaign, Variant


class ResultComputation(models.Model):
    """One computation of a campaign's results, with the moment it was made.

    ``final`` when every assigned customer's attribution window had closed at
    ``computed_at`` (``window_closes_at``, the last assignment's window end, is past);
    before that the figures are provisional. The sample-ratio-mismatch check compares the
    arms' assigned counts with the configured weights and holdout share.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by result_computation_latest_idx (campaign, -computed_at).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="result_computations", db_index=False
    )
    computed_at = models.DateTimeField()
    final = models.BooleanField(default=False)
    attribution_days = models.PositiveSmallIntegerField(help_text="The window used, in days.")
    window_closes_at = models.DateTimeField(
        null=True, blank=True, help_text="The last assignment's window end (empty: nobody)."
    )
    srm_chi2 = models.FloatField(null=True, blank=True)
    srm_p_value = models.FloatField(null=True, blank=True)
    srm_mismatch = models.BooleanField(
        default=False, help_text="The assigned counts do not fit the configured shares."
    )
    cap_percentile = models.FloatField(
        null=True, blank=True, help_text="Revenue is capped at this percentile of the pooled arms."
    )
    seconds = models.FloatField(default=0.0, help_text="How long the computation took.")

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "-computed_at"], name="result_computation_latest_idx")
        ]

    def __str__(self) -> str:
        return f"results of campaign {self.campaign_id} at {self.computed_at:%Y-%m-%d %H:%M}"


class ArmResult(models.Model):
    """One arm of a computation: a variant, or the holdout (``variant`` empty).

    Counts are of assignments (intention to treat: a suppressed or failed message counts in
    its arm). ``opens`` and ``clicks`` are messages a person opened or clicked at least once
    (machine opens and clicks excluded). The ``conversion_*`` and ``revenue_*`` comparison
    figures are the variant's against the holdout; ``*_p_value_adjusted`` is Holm's over
    the campaign's variants. Revenue figures are in the shop currency.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by the (computation, variant) unique constraint.
    computation = models.ForeignKey(
        ResultComputation, on_delete=models.CASCADE, related_name="arms", db_index=False
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned = models.PositiveIntegerField()
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)
    suppressed_by_reason = models.JSONField(default=dict)
    opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField()
    conversion_rate = models.FloatField(null=True, blank=True)
    revenue = models.DecimalField(max_digits=14, decimal_places=2)
    revenue_per_customer = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    # Conversion rate against the holdout (two-proportion z test, Newcombe interval).
    conversion_absolute = models.FloatField(null=True, blank=True)
    conversion_relative = models.FloatField(null=True, blank=True)
    conversion_ci_low = models.FloatField(null=True, blank=True)
    conversion_ci_high = models.FloatField(null=True, blank=True)
    conversion_relative_ci_low = models.FloatField(null=True, blank=True)
    conversion_relative_ci_high = models.FloatField(null=True, blank=True)
    conversion_p_value = models.FloatField(null=True, blank=True)
    conversion_p_value_adjusted = models.FloatField(null=True, blank=True)
    # Revenue per assigned customer against the holdout (Welch on capped, CUPED values).
    revenue_absolute = models.FloatField(null=True, blank=True)
    revenue_relative = models.FloatField(null=True, blank=True)
    revenue_ci_low = models.FloatField(null=True, blank=True)
    revenue_ci_high = models.FloatField(null=True, blank=True)
    revenue_bootstrap_low = models.FloatField(null=True, blank=True)
    revenue_bootstrap_high = models.FloatField(null=True, blank=True)
    revenue_p_value = models.FloatField(null=True, blank=True)
    revenue_p_value_adjusted = models.FloatField(null=True, blank=True)
    revenue_cap = models.FloatField(null=True, blank=True)
    revenue_theta = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["computation", "id"]
        constraints = [
            models.UniqueConstraint(fields=["computation", "variant"], name="arm_result_once"),
            models.UniqueConstraint(
                fields=["computation"],
                condition=Q(variant__isnull=True),
                name="arm_result_one_holdout",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id or 'holdout'} of {self.computation_id}"

    @property
    def is_holdout(self) -> bool:
        return self.variant_id is None
