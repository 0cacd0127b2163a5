"""An invitation to answer a survey: one customer, one send, one unguessable token."""

from django.db import models
from django.utils import timezone


class Invitation(models.Model):
    """One customer invited to one survey by one send (``trigger_ref``).

    The token is never stored: ``salt`` is 128 random bits (``secrets``), the token is
    HMAC-SHA256 of the salt under a key derived from ``SECRET_KEY`` (``feedback.tokens``),
    and ``token_hash`` its SHA-256. The sender rebuilds the token from the salt when it
    renders the email; the answer page finds the invitation by the hash of the token it
    was given. A copy of the database alone reveals no token.

    ``trigger_ref`` is also the trigger of the campaign message that carries it (the
    assignment's ``trigger_ref``), which is how the sender finds the invitation of a message.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by the (survey, trigger_ref, customer) unique constraint.
    survey = models.ForeignKey(
        "feedback.Survey", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    salt = models.CharField(max_length=32, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    trigger_ref = models.CharField(max_length=40)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also how the sender reads one send's invitations (survey, trigger_ref).
            models.UniqueConstraint(
                fields=["survey", "trigger_ref", "customer"], name="invitation_once"
            )
        ]
        indexes = [
            # The throttle: a customer's latest invitation, whatever the survey.
            models.Index(fields=["customer", "created_at"], name="invitation_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk}: survey {self.survey_id}, customer {self.customer_id}"
