"""Segments: the thresholds, each customer's current segment, its changes and statistics.

The five default segments (``new``, ``churned``, ``at_risk``, ``high_value``,
``low_value``) are rows of :class:`Segment` like the staff-defined custom ones, so pages,
statistics and campaigns refer to either the same way. Every customer is in exactly one
default segment (:class:`CustomerSegment`, rewritten by each reassignment); a change is
recorded as a :class:`SegmentTransition`, the outbox campaigns consume. Custom segments
are rules over the scored fields; their members are :class:`CustomSegmentMembership` rows.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

SHARE = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class DefaultSegment(models.TextChoices):
    """The default segments, in priority order: the first whose rule matches wins."""

    NEW = "new", "New"
    CHURNED = "churned", "Churned"
    AT_RISK = "at_risk", "At risk"
    HIGH_VALUE = "high_value", "High value"
    LOW_VALUE = "low_value", "Low value"


class SegmentReason(models.TextChoices):
    """Why a customer is in their default segment (the rule that matched)."""

    NEW = "new", "First purchase within the new-customer window"
    CHURNED_P_ALIVE = "churned_p_alive", "P(alive) below the churn threshold"
    CHURNED_ONE_TIME = "churned_one_time", "Bought once, longer ago than the one-time limit"
    CHURNED_NO_MODEL = "churned_no_model", "No purchase for too long (no model fitted)"
    AT_RISK_P_ALIVE = "at_risk_p_alive", "Valuable, but P(alive) fell below the at-risk threshold"
    AT_RISK_SPEND_DROP = "at_risk_spend_drop", "Valuable, but recent spend fell sharply"
    HIGH_VALUE = "high_value", "Among the top customers by predicted CLV"
    LOW_VALUE = "low_value", "None of the rules above"
    NO_PURCHASE = "no_purchase", "No completed purchase as of the run"


# The segment each reason puts a customer in.
REASON_SEGMENT: dict[str, str] = {
    SegmentReason.NEW: DefaultSegment.NEW,
    SegmentReason.CHURNED_P_ALIVE: DefaultSegment.CHURNED,
    SegmentReason.CHURNED_ONE_TIME: DefaultSegment.CHURNED,
    SegmentReason.CHURNED_NO_MODEL: DefaultSegment.CHURNED,
    SegmentReason.AT_RISK_P_ALIVE: DefaultSegment.AT_RISK,
    SegmentReason.AT_RISK_SPEND_DROP: DefaultSegment.AT_RISK,
    SegmentReason.HIGH_VALUE: DefaultSegment.HIGH_VALUE,
    SegmentReason.LOW_VALUE: DefaultSegment.LOW_VALUE,
    SegmentReason.NO_PURCHASE: DefaultSegment.LOW_VALUE,
}


class SegmentThresholds(models.Model):
    """The rules' numbers: one row (id 1), edited in the admin, read by each reassignment."""

    new_customer_days = models.PositiveSmallIntegerField(
        default=60, help_text="New: first purchase within this many days of the as-of date."
    )
    churn_p_alive = models.FloatField(
        default=0.15, validators=SHARE, help_text="Churned: P(alive) below this."
    )
    one_time_churn_days = models.PositiveSmallIntegerField(
        default=365,
        help_text="Churned: a one-time buyer whose only purchase is more than this many days "
        "old (plain BG/NBD calls every one-time buyer alive).",
    )
    no_model_churn_days = models.PositiveSmallIntegerField(
        default=365,
        help_text="Churned, when the run fitted no model: no purchase for more than this many "
        "days.",
    )
    at_risk_p_alive = models.FloatField(
        default=0.5,
        validators=SHARE,
        help_text="At risk: a customer of at least median value whose P(alive) is below this.",
    )
    at_risk_spend_drop = models.FloatField(
        default=0.5,
        validators=SHARE,
        help_text="At risk: a customer of at least median value whose spend over the last "
        "90 days fell by this share or more against the 90 days before (0.5 = by half).",
    )
    high_value_share = models.FloatField(
        default=0.2,
        validators=SHARE,
        help_text="High value: this share of the remaining customers, by predicted CLV.",
    )
    hysteresis_margin = models.FloatField(
        default=0.1,
        validators=SHARE,
        help_text="A customer stays in their segment until they pass its threshold by this "
        "share of it (0.1: churned at P(alive) < 0.15 leaves only at 0.165 or more).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "segment thresholds"
        verbose_name_plural = "segment thresholds"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="segment_thresholds_single")
        ]

    def __str__(self) -> str:
        return "Segment thresholds"


class Segment(models.Model):
    """A default segment (fixed code, rule in code) or a custom one (rules in ``rules``)."""

    class Kind(models.TextChoices):
        DEFAULT = "default", "Default"
        CUSTOM = "custom", "Custom"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CUSTOM)
    description = models.TextField(blank=True, default="")
    # Custom segments: [{"field": ..., "op": ..., "value": ...}], all must hold.
    rules = models.JSONField(default=list, blank=True)
    priority = models.PositiveSmallIntegerField(
        default=100, help_text="Order on the pages; the default segments' rule priority."
    )
    # Custom segments whose rules could not be evaluated: skipped (no members) until saved
    # with rules that evaluate again.
    broken_reason = models.TextField(blank=True, default="", editable=False)
    broken_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return self.kind == self.Kind.DEFAULT

    @property
    def is_broken(self) -> bool:
        return self.broken_since is not None


class SegmentReassignment(models.Model):
    """One reassignment of a CLV run: the thresholds it used, its cut-offs and its counts.

    Re-running the same run reuses ``thresholds``, so the outcome is reproducible even
    after staff edited the thresholds (new values apply from the next run).
    """

    run = models.OneToOneField("customers.ClvRun", on_delete=models.PROTECT, related_name="+")
    thresholds = models.JSONField()
    median_value = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    high_value_cut = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    customers = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    transitions = models.PositiveIntegerField(default=0)
    # [[from segment id or null, to segment id, customers], ...]: the moves of this run.
    flows = models.JSONField(default=list)
    seconds = models.FloatField(default=0.0)
    finished_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        return f"segments of CLV run {self.run_id}"


class CustomerSegment(models.Model):
    """A customer's current default segment, why, and the run that put them there.

    The foreign keys of the per-customer segment tables (this one, transitions, custom
    memberships) have no database constraint (``db_constraint=False``): only the
    reassignment writes them, with ids it reads from those tables in the same transaction,
    and PostgreSQL's per-row constraint triggers cost about a minute per million rows at
    commit. Deletes still cascade (or are refused) through Django's ``on_delete``.
    """

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="segment_assignment",
        db_constraint=False,
    )
    # Indexed by segment_member_idx below.
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    reason = models.CharField(max_length=20, choices=SegmentReason.choices)
    run = models.ForeignKey(
        "customers.ClvRun",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    since = models.DateTimeField(help_text="When the customer entered this segment.")

    class Meta:
        indexes = [models.Index(fields=["segment", "customer"], name="segment_member_idx")]

    def __str__(self) -> str:
        return f"customer {self.customer_id} in {self.segment_id}"


class SegmentTransition(models.Model):
    """A customer's move between default segments: the outbox of segment events.

    Written in the reassignment's transaction, at most once per customer and run; a
    consumer claims it by setting ``processed_at`` with a conditional UPDATE.
    ``from_segment`` is empty for a customer's first segment. Foreign keys without database
    constraints (see :class:`CustomerSegment`).
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by the (customer, run) unique constraint.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    from_segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    to_segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    reason = models.CharField(max_length=20, choices=SegmentReason.choices)
    run = models.ForeignKey(
        "customers.ClvRun",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "run"], name="transition_once_per_run")
        ]
        # Flows per run are counted by the reassignment (SegmentReassignment.flows), so
        # no index on run: every index costs each of a million inserts.
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(processed_at__isnull=True),
                name="transition_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id}: {self.from_segment_id} → {self.to_segment_id}"


class SegmentStatistic(models.Model):
    """A segment's size and predicted CLV after one run (the trend chart's points)."""

    run = models.ForeignKey("customers.ClvRun", on_delete=models.PROTECT, related_name="+")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="statistics")
    customers = models.PositiveIntegerField()
    total_predicted_clv = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    average_predicted_clv = models.DecimalField(max_digits=14, decimal_places=2, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "run"], name="segment_statistic_once")
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} after run {self.run_id}"


class CustomSegmentMembership(models.Model):
    """A customer matching a custom segment's rules at its latest evaluation.

    Foreign keys without database constraints, as for :class:`CustomerSegment`.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by the (segment, customer) unique constraint.
    segment = models.ForeignKey(
        Segment,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="custom_memberships",
        db_constraint=False,
    )
    run = models.ForeignKey(
        "customers.ClvRun",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "customer"], name="custom_member_once")
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id} in {self.segment_id}"
