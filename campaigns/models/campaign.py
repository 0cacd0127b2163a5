"""Campaigns and their variants: what is sent, to whom, when, and in which shares."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

# Assignment draws a bucket in [0, BUCKETS) from a hash of campaign and customer
# (campaigns.assignment): the holdout takes the first buckets, each variant a range after it.
BUCKETS = 10_000


class TriggerType(models.TextChoices):
    """What makes a customer a recipient."""

    SEGMENT_ENTERED = "segment_entered", "Enters a segment"
    TIER_UPGRADE = "tier_upgrade", "Loyalty tier upgrade"
    DOWNGRADE_WARNING = "downgrade_warning", "Loyalty downgrade warning"
    BROADCAST = "broadcast", "One-off broadcast to a segment"
    RECURRING_BROADCAST = "recurring_broadcast", "Recurring broadcast to a segment"
    # Another app enrols the recipients itself (campaigns.services.direct), e.g. a survey's
    # invitations: the trigger step has no source for it.
    DIRECT = "direct", "Enrolled directly by another app"


# What staff may choose: a direct campaign is made and enrolled by another app (a survey).
STAFF_TRIGGER_CHOICES = [choice for choice in TriggerType.choices if choice[0] != "direct"]


class CampaignKind(models.TextChoices):
    """Marketing messages share the frequency cap; feedback messages (surveys) respect
    unsubscribes but not the cap."""

    MARKETING = "marketing", "Marketing"
    FEEDBACK = "feedback", "Feedback"


class WinnerMetric(models.TextChoices):
    """What an automatic winner is chosen on."""

    CONVERSION_RATE = "conversion_rate", "Conversion rate"
    REVENUE_PER_CUSTOMER = "revenue_per_customer", "Revenue per customer"


class OfferCodes(models.TextChoices):
    NONE = "none", "No offer code"
    SHARED = "shared", "One code for the campaign"
    UNIQUE = "unique", "A unique code per message"


class Campaign(models.Model):
    """A campaign: a trigger, an audience, variants and a holdout, and its state.

    ``draft → active ⇄ paused → finished``. Entrants are recorded (assignment and pending
    message) while active or paused; only an active campaign sends. Variants' bucket
    ranges are fixed when the campaign is first activated, so a customer's arm never
    changes.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        FINISHED = "finished", "Finished"

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True, default="")
    kind = models.CharField(
        max_length=10, choices=CampaignKind.choices, default=CampaignKind.MARKETING
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    trigger = models.CharField(max_length=20, choices=TriggerType.choices)
    segment = models.ForeignKey(
        "customers.Segment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The segment entered (segment trigger) or broadcast to.",
    )
    tier = models.ForeignKey(
        "customers.LoyaltyTier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Upgrade trigger: only upgrades to this tier (empty: any upgrade).",
    )
    include_current_members = models.BooleanField(
        default=False,
        help_text="On activation, also everyone in the segment now (once), not only "
        "customers who enter from then on.",
    )
    repeat_every_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="Recurring broadcast: days between sends.",
    )
    members_due_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the segment's current members are next enrolled: a broadcast's "
        "next send, or the one enrolment of an activation that includes them.",
    )
    holdout_percent = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=Decimal("10.0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("90"))],
        help_text="Share of recipients who get nothing: the control group.",
    )
    attribution_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    priority = models.PositiveSmallIntegerField(
        default=100,
        validators=[MaxValueValidator(1000)],
        help_text="Under the frequency cap, a higher priority is sent first.",
    )
    auto_winner = models.BooleanField(
        default=False,
        help_text="Once every arm has the minimum of customers whose attribution window has "
        "closed, give new entrants the variant that beats the holdout and every other "
        "variant (after correction), if one does; the holdout stays. Decided once.",
    )
    winner_metric = models.CharField(
        max_length=24, choices=WinnerMetric.choices, default=WinnerMetric.CONVERSION_RATE
    )
    winner_minimum_per_arm = models.PositiveIntegerField(
        default=1000,
        validators=[MinValueValidator(10), MaxValueValidator(10_000_000)],
        help_text="Customers with a closed window every arm needs before the decision.",
    )
    winner_alpha = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.050"),
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("0.2"))],
        help_text="Significance level of the decision, after Holm's correction.",
    )
    from_email = models.CharField(
        max_length=254, blank=True, default="", help_text="Sender; empty: DEFAULT_FROM_EMAIL."
    )
    reply_to = models.EmailField(blank=True, default="")
    offer_codes = models.CharField(max_length=6, choices=OfferCodes.choices, default="none")
    offer_code = models.CharField(max_length=32, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "trigger"], name="campaign_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(holdout_percent__gte=0) & Q(holdout_percent__lte=90),
                name="campaign_holdout_range",
            ),
            models.CheckConstraint(
                condition=Q(attribution_days__gte=1) & Q(attribution_days__lte=365),
                name="campaign_attribution_range",
            ),
            models.CheckConstraint(
                condition=Q(winner_alpha__gte=Decimal("0.001")) & Q(winner_alpha__lte=0.2),
                name="campaign_winner_alpha_range",
            ),
            models.CheckConstraint(
                condition=Q(winner_minimum_per_arm__gte=10), name="campaign_winner_minimum"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def holdout_buckets(self) -> int:
        return int(self.holdout_percent * BUCKETS / 100)


class Variant(models.Model):
    """One version of a campaign's email; ``weight`` is its share of the non-holdout arms.

    ``bucket_from``/``bucket_to`` (half-open, out of :data:`BUCKETS`) are set on first
    activation: they decide who gets this variant. They change once at most, when an
    automatic winner is decided: it takes every bucket outside the holdout, the others none.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=50)
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    subject = models.CharField(max_length=250)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, default="")
    bucket_from = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    bucket_to = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["campaign", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="variant_name_once"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="variant_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.name}"
