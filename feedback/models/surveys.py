"""A survey: its questions in each language, what invites customers, when it is active."""

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

# The languages a survey speaks (the answer page's and the invitation's): the project's.
SURVEY_LANGUAGES = ("en", "zh-hans", "ru")
# The NPS question when a survey names none, per language; ``{shop}`` is the shop's name.
DEFAULT_QUESTIONS = {
    "en": "How likely are you to recommend {shop} to a friend?",
    "zh-hans": "您向朋友推荐{shop}的可能性有多大？",
    "ru": "Насколько вероятно, что вы порекомендуете {shop} другу?",
}


class SurveyTrigger(models.TextChoices):
    """What invites customers to a survey."""

    MANUAL = "manual", "Manually (a segment, a custom segment or a list of customers)"
    AFTER_ORDER = "after_order", "Some days after a completed order"
    PERIODIC = "periodic", "Periodically, to a segment"


class Survey(models.Model):
    """An NPS survey. Its invitation email is the single variant of its own campaign (kind
    ``feedback``, created with it by :func:`feedback.services.surveys.survey_create`), so
    the campaign outbox sends it under the feedback rules: unsubscribes respected, the
    marketing frequency cap not counted.

    A question left empty in a language is the default NPS question in that language
    (:data:`DEFAULT_QUESTIONS`); the open question is asked only where it is written.
    """

    name = models.CharField(max_length=200, unique=True)
    question_en = models.CharField(max_length=300, blank=True, default="")
    question_zh_hans = models.CharField(max_length=300, blank=True, default="")
    question_ru = models.CharField(max_length=300, blank=True, default="")
    open_question_en = models.CharField(max_length=300, blank=True, default="")
    open_question_zh_hans = models.CharField(max_length=300, blank=True, default="")
    open_question_ru = models.CharField(max_length=300, blank=True, default="")
    trigger = models.CharField(max_length=12, choices=SurveyTrigger.choices)
    after_order_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text="After-order trigger: days after the completed order.",
    )
    segment = models.ForeignKey(
        "customers.Segment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Periodic trigger: the segment asked.",
    )
    every_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="Periodic trigger: days between invitations to the segment.",
    )
    next_run_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Periodic trigger: the next send."
    )
    orders_through = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="After-order trigger: orders placed before this have been invited for.",
    )
    throttle_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(3650)],
        help_text="Skip customers invited by any survey within this many days; empty: the "
        "shop's setting (FEEDBACK_THROTTLE_DAYS).",
    )
    active_from = models.DateTimeField(null=True, blank=True)
    active_until = models.DateTimeField(null=True, blank=True)
    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="survey", editable=False
    )
    # The promoter follow-up email (a review or referral ask): the single variant of a
    # marketing campaign enrolled directly (feedback.services.follow_ups); None: no email.
    follow_up_campaign = models.OneToOneField(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger="after_order") | Q(after_order_days__isnull=False),
                name="survey_after_order_has_days",
            ),
            models.CheckConstraint(
                condition=~Q(trigger="periodic")
                | (Q(segment__isnull=False) & Q(every_days__isnull=False)),
                name="survey_periodic_has_segment_and_days",
            ),
            models.CheckConstraint(
                condition=Q(active_from__isnull=True)
                | Q(active_until__isnull=True)
                | Q(active_until__gt=models.F("active_from")),
                name="survey_active_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def question_in(self, language: str) -> str:
        """The NPS question in ``language`` (else English), the shop's name filled in."""
        language = language if language in SURVEY_LANGUAGES else "en"
        written = getattr(self, f"question_{language.replace('-', '_')}")
        return (written or DEFAULT_QUESTIONS[language]).replace("{shop}", settings.SHOP_NAME)

    def open_question_in(self, language: str) -> str:
        """The open question in ``language`` (else English), or "" when there is none."""
        language = language if language in SURVEY_LANGUAGES else "en"
        written = getattr(self, f"open_question_{language.replace('-', '_')}")
        return (written or self.open_question_en).replace("{shop}", settings.SHOP_NAME)

    def throttle_days_effective(self) -> int:
        """Days within which an invitation by any survey keeps a customer out of this one."""
        if self.throttle_days is None:
            return int(settings.FEEDBACK_THROTTLE_DAYS)
        return self.throttle_days

    def is_active_at(self, moment: datetime) -> bool:
        """Whether the survey invites (and takes answers) at ``moment``."""
        started = self.active_from is None or self.active_from <= moment
        return started and (self.active_until is None or moment < self.active_until)
