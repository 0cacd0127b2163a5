"""What comes back from a sent message: opens, clicks, unsubscribes, bounces and
complaints; and the addresses that must never be mailed again."""

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from campaigns.models.outbox import Message, MessageLink


class MessageEvent(models.Model):
    """One open, click, unsubscribe, bounce or complaint of a message.

    ``is_machine`` flags opens and clicks by mail-privacy proxies and link scanners
    (``machine_reason`` says which rule): they are recorded but not counted as human.
    """

    class Kind(models.TextChoices):
        OPEN = "open", "Open"
        CLICK = "click", "Click"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe"
        BOUNCE = "bounce", "Hard bounce"
        COMPLAINT = "complaint", "Complaint"

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    link = models.ForeignKey(
        MessageLink, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    is_machine = models.BooleanField(default=False)
    machine_reason = models.CharField(max_length=40, blank=True, default="")
    user_agent = models.CharField(max_length=400, blank=True, default="")
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["message", "kind"], name="message_event_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} of message {self.message_id}"


class Suppression(models.Model):
    """An address never to be mailed again (a hard bounce, a complaint, or by hand)."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Complaint"
        MANUAL = "manual", "Added by staff"

    email = models.EmailField(max_length=254)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    detail = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="suppression_email_once_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"
