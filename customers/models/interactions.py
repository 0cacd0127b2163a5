"""The customer record's interactions: notes staff write and follow-up tasks.

Tasks come from staff (manual) or from other apps (an NPS detractor's follow-up, opened by
the feedback app): ``source`` says which, and ``source_key`` names the event that opened it
so opening the same follow-up twice writes one task (a unique key, ``ON CONFLICT DO
NOTHING``). A note written while working a task is still a note on the customer: it keeps
the task it belongs to (``task``), so the customer page shows one history and the task page
shows its own notes.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

NOTE_MAX_LENGTH = 4000
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 4000
SOURCE_KEY_MAX_LENGTH = 100


class CustomerTask(models.Model):
    """A follow-up to do for a customer: who, by when, how far it got.

    ``closed_at`` is set exactly when the task is done or cancelled (a CHECK constraint),
    so "closed this week" needs no status history.
    """

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        NPS_DETRACTOR = "nps_detractor", "NPS detractor"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.OPEN, Status.IN_PROGRESS)
    CLOSED = (Status.DONE, Status.CANCELLED)

    id = models.BigAutoField(primary_key=True)
    # Indexed by task_customer_idx (customer, status, due_on) below.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    source = models.CharField(max_length=30, choices=Source.choices, default=Source.MANUAL)
    source_key = models.CharField(
        max_length=SOURCE_KEY_MAX_LENGTH,
        blank=True,
        default="",
        help_text="The event that opened the task (e.g. nps-response:42): one task per event.",
    )
    # Indexed by task_active_assignee_idx below (the inbox's "mine" and the menu's count).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"],
                condition=~Q(source_key=""),
                name="task_source_key_unique",
                violation_error_message="A task for this event exists already.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "in_progress", "done", "cancelled"]),
                name="task_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["done", "cancelled"], closed_at__isnull=False)
                | Q(status__in=["open", "in_progress"], closed_at__isnull=True),
                name="task_closed_at_iff_closed",
                violation_error_message="A task has a closing time exactly when it is closed.",
            ),
            # A task opened by an event names it; only staff's own tasks have no key.
            models.CheckConstraint(
                condition=Q(source="manual") | ~Q(source_key=""),
                name="task_event_has_key",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="task_title_not_empty"),
        ]
        indexes = [
            # The inbox's default list (open and in progress, overdue first) and its "due"
            # filters: one range of this index in page order.
            models.Index(
                fields=["due_on", "id"],
                condition=Q(status__in=["open", "in_progress"]),
                name="task_active_due_idx",
            ),
            models.Index(
                fields=["assignee", "due_on", "id"],
                condition=Q(status__in=["open", "in_progress"]),
                name="task_active_assignee_idx",
            ),
            # Any other status filter (done, cancelled) in the inbox's order, and every task.
            models.Index(fields=["status", "due_on", "id"], name="task_status_due_idx"),
            models.Index(fields=["due_on", "id"], name="task_due_idx"),
            models.Index(fields=["customer", "status", "due_on"], name="task_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def is_overdue(self, today: date) -> bool:
        """Still to do and due before ``today``."""
        return self.is_active and self.due_on < today


class CustomerNote(models.Model):
    """A note on a customer, and on one of their tasks when written while working it."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by note_customer_idx (customer, -created_at) below.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="notes", db_index=False
    )
    # Indexed by note_task_idx below (only notes on a task).
    task = models.ForeignKey(
        CustomerTask,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notes",
        db_index=False,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    body = models.CharField(max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="note_body_not_empty")]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="note_customer_idx"),
            models.Index(
                fields=["task", "created_at"],
                condition=Q(task__isnull=False),
                name="note_task_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"note {self.pk} on customer {self.customer_id}"
