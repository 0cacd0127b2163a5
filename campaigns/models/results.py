"""A campaign's results as computed at one moment: attribution and statistics per arm.

Written by :func:`campaigns.services.results.campaign_results_compute` (the rules are in
``campaigns.results``); pages and the API read the latest computation and never scan orders.
Figures that cannot be computed (no holdout, an arm too small) are empty (``NULL``).
"""

from django.db import models
from django.db.models import Q

from campaigns.models.campaign import Campaign, Variant, WinnerMetric


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
    # Per day of the window: [conversion rate so far, revenue per assigned so far].
    by_day = models.JSONField(default=list, blank=True)

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


class WinnerDecision(models.Model):
    """The automatic winner's one decision for a campaign, with the figures it rested on.

    ``winner`` empty: no variant beat the others; the variants stay as they were. ``arms``:
    per variant, the customers with a closed window compared, its estimate against the
    holdout and its p-values, as ``[{"name", "assigned", "estimate", "p_value",
    "p_value_adjusted"}]``, plus the holdout's size in ``holdout_assigned``.
    """

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="winner_decision"
    )
    decided_at = models.DateTimeField()
    metric = models.CharField(max_length=24, choices=WinnerMetric.choices)
    alpha = models.DecimalField(max_digits=4, decimal_places=3)
    minimum_per_arm = models.PositiveIntegerField()
    winner = models.ForeignKey(
        Variant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField()
    holdout_assigned = models.PositiveIntegerField()
    arms = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"winner decision of campaign {self.campaign_id}"


class ClvEffect(models.Model):
    """A campaign's effect on customer value, measured once: at the first CLV run after its
    attribution window closed (``campaigns.results.clv_effect``).

    ``arms``: the holdout first, then each variant, as ``[{"variant", "name", "customers",
    "scored", "predicted_clv_mean", "p_alive_mean", "left_lost", "left_lost_share",
    "predicted_clv": {...}, "p_alive": {...}, "left": {...}}]``, the comparisons with the
    holdout being ``{"absolute", "ci_low", "ci_high", "p_value"}`` or null.
    """

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="clv_effect")
    run = models.ForeignKey("customers.ClvRun", on_delete=models.PROTECT, related_name="+")
    measured_at = models.DateTimeField()
    arms = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"CLV effect of campaign {self.campaign_id} at run {self.run_id}"
