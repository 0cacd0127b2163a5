"""A response: the score, the comment, and who the customer was when they answered."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

COMMENT_MAX_LENGTH = 2000


class ScoreCategory(models.TextChoices):
    """NPS categories: promoters score 9–10, passives 7–8, detractors 0–6."""

    PROMOTER = "promoter", "Promoter"
    PASSIVE = "passive", "Passive"
    DETRACTOR = "detractor", "Detractor"

    @classmethod
    def of(cls, score: int) -> "ScoreCategory":
        if score >= 9:
            return cls.PROMOTER
        return cls.PASSIVE if score >= 7 else cls.DETRACTOR


class Response(models.Model):
    """The answer to one invitation: one at most (the one-to-one key), score 0–10 (a
    CHECK constraint as the backstop of the form).

    The snapshot (segment, tier, predicted CLV, P(alive)) is the customer's when they first
    answered, so trends stay honest as customers move between segments later.
    """

    id = models.BigAutoField(primary_key=True)
    invitation = models.OneToOneField(
        "feedback.Invitation", on_delete=models.CASCADE, related_name="response"
    )
    # Copied from the invitation: the figures of a survey read its responses by this index.
    survey = models.ForeignKey("feedback.Survey", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.CharField(max_length=COMMENT_MAX_LENGTH, blank=True, default="")
    language = models.CharField(max_length=10)
    answered_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True)
    segment_code = models.CharField(max_length=50, blank=True, default="")
    tier_name = models.CharField(max_length=100, blank=True, default="")
    predicted_clv = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    p_alive = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=10), name="response_score_range"
            )
        ]
        indexes = [
            models.Index(fields=["survey", "score"], name="response_survey_score_idx"),
            # The analytics and the comments: a survey's (or every survey's) answers in a
            # period, newest first.
            models.Index(fields=["survey", "answered_at"], name="response_survey_answered_idx"),
            models.Index(fields=["answered_at"], name="response_answered_idx"),
        ]

    def __str__(self) -> str:
        return f"response {self.pk}: {self.score}"

    @property
    def category(self) -> ScoreCategory:
        return ScoreCategory.of(self.score)
