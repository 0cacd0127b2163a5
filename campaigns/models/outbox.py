"""The exposure and the outbox: an assignment per (campaign, customer, trigger), and for
those assigned a variant, a message that is sent exactly once.

Both are written by the set-based trigger step (``campaigns.triggers``) in one transaction;
senders claim messages with ``FOR UPDATE SKIP LOCKED`` (``campaigns.outbox``). Their
foreign keys carry no database constraint, like the customers app's per-customer tables
written in bulk: a deferred constraint check per row and key cost a third of the step
(docs/benchmarks.md), and only the step writes these rows, with ids read from the tables
they point to. Django still applies ``on_delete``; only draft campaigns, which have no
rows here, can be deleted.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from campaigns.models.campaign import Campaign, Variant


class SuppressedReason(models.TextChoices):
    """Why a message was not sent (part 2 counts them per arm)."""

    NO_EMAIL = "no_email", "No email address"
    NO_CONSENT = "no_consent", "No marketing consent"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    SUPPRESSED_ADDRESS = "suppressed_address", "Address suppressed (bounce or complaint)"
    FREQUENCY_CAP = "frequency_cap", "Frequency cap"
    CONVERTED = "converted", "Converted before send"
    LEFT_SEGMENT = "left_segment", "Left the segment before send"
    CAMPAIGN_FINISHED = "campaign_finished", "Campaign finished before send"
    GLOBAL_CONTROL = "global_control", "In the global control group"
    ERASED = "erased", "Personal data erased (privacy request)"


class Assignment(models.Model):
    """A customer's arm in a campaign for one trigger: the exposure part 2 measures from.

    ``variant`` is empty for the holdout. ``trigger_ref`` names the event
    (``transition:<id>``, ``tier_change:<id>``, ``downgrade:<date>``,
    ``broadcast:<date>``, ``activation``); ``triggered_at`` is when it happened.
    """

    id = models.BigAutoField(primary_key=True)
    # Indexed by the (campaign, customer, trigger_ref) unique constraint.
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="assignments",
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    trigger_ref = models.CharField(max_length=40)
    # Results group a campaign's rows by variant: the campaign's index serves them.
    variant = models.ForeignKey(
        Variant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    triggered_at = models.DateTimeField()
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "trigger_ref"], name="assignment_once"
            )
        ]

    def __str__(self) -> str:
        arm = self.variant_id or "holdout"
        return f"campaign {self.campaign_id}, customer {self.customer_id}: {arm}"

    @property
    def is_holdout(self) -> bool:
        return self.variant_id is None


class Message(models.Model):
    """One email of the outbox.

    ``pending`` (due at ``due_at``) → ``sending`` (claimed until ``lease_until``) →
    ``sent``, ``suppressed`` (with the reason) or ``failed`` (permanent error or retries
    used up); a transient error puts it back to ``pending`` later. A sending message whose
    lease ran out (a killed worker) goes back to ``pending`` by the sweeper.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SUPPRESSED = "suppressed", "Suppressed"
        FAILED = "failed", "Failed"

    id = models.BigAutoField(primary_key=True)
    # One message per assignment, so one per (campaign, customer, trigger): the assignment's
    # unique constraint and this one together.
    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="message", db_constraint=False
    )
    # Indexed by message_campaign_status_idx (campaign, status).
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
        db_constraint=False,
    )
    # Indexed by message_customer_sent_idx (customer, sent_at).
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    variant = models.ForeignKey(
        Variant,
        on_delete=models.PROTECT,
        related_name="messages",
        db_index=False,
        db_constraint=False,
    )
    trigger_ref = models.CharField(max_length=40)
    triggered_at = models.DateTimeField()
    # Copied from the campaign: senders claim the most important messages first.
    priority = models.PositiveSmallIntegerField(default=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    suppressed_reason = models.CharField(
        max_length=20, choices=SuppressedReason.choices, blank=True, default=""
    )
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    to_email = models.CharField(max_length=254, blank=True, default="")
    subject = models.CharField(max_length=250, blank=True, default="")
    offer_code = models.CharField(max_length=32, blank=True, default="")
    # The Message-ID header (set before sending, kept by a resend), and the id an email
    # service gave the message (django-anymail): bounces and complaints name one of them.
    smtp_message_id = models.CharField(max_length=255, blank=True, default="")
    esp_message_id = models.CharField(max_length=255, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Human opens and clicks (machine ones are in the events only, flagged).
    opens = models.PositiveIntegerField(default=0)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    first_clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="suppressed") | ~Q(suppressed_reason=""),
                name="message_suppressed_has_reason",
            ),
        ]
        indexes = [
            # What senders claim: pending messages, most important first (due ones).
            models.Index(
                fields=["-priority", "id"],
                condition=Q(status="pending"),
                name="message_due_idx",
            ),
            # Claims in progress: the sweeper's expired leases, and a customer's messages
            # being sent, which the frequency cap counts.
            models.Index(
                fields=["customer", "lease_until"],
                condition=Q(status="sending"),
                name="message_leased_idx",
            ),
            # The frequency cap: a customer's recent sends.
            models.Index(fields=["customer", "sent_at"], name="message_customer_sent_idx"),
            models.Index(fields=["campaign", "status"], name="message_campaign_status_idx"),
            models.Index(
                fields=["smtp_message_id"],
                condition=~Q(smtp_message_id=""),
                name="message_smtp_id_idx",
            ),
            models.Index(
                fields=["esp_message_id"],
                condition=~Q(esp_message_id=""),
                name="message_esp_id_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.status})"


class MessageLink(models.Model):
    """A link of a sent message, by position: the click-through redirects only here."""

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="links")
    position = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=2000)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "position"], name="message_link_once")
        ]

    def __str__(self) -> str:
        return self.url


class TriggerCursor(models.Model):
    """How far the trigger step has read an append-only source (the tier history).

    Locked and advanced in the transaction that turns the rows up to ``last_id`` into
    assignments, so each row is acted on once and a step running twice at once waits.
    """

    source = models.CharField(max_length=40, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.source} at {self.last_id}"


class AudienceMember(models.Model):
    """A customer the trigger step has seen in a custom segment a campaign watches.

    Custom segments are re-evaluated whole, with no transitions; a customer *enters* when
    they are a member now and not in this set. Leaving removes the row, so coming back
    later is a new entry.
    """

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="audience_member_once")
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id} seen by campaign {self.campaign_id}"
