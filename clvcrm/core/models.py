"""Models of the project core: the staff's API tokens and the API's idempotency keys."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """One API token of one staff user: only its SHA-256 is stored, never the token.

    The token itself is shown once, when ``manage.py create_api_token`` makes it; ``prefix``
    (its first characters, no secret) tells tokens apart in the admin. A revoked token
    stays, with the time of its revocation, so its last use remains on record.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=16, help_text="The token's first characters.")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="Recorded at most once a minute."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed'})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` a staff user sent with an API write, and the first answer.

    The row is inserted, and so locked, before the write it guards and given its answer in
    the same transaction: a concurrent request with the same key waits for that commit,
    then gets the stored answer instead of writing again. A row therefore never becomes
    visible without its answer. Deleted after ``IDEMPOTENCY_KEY_HOURS`` (a nightly task).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    request_digest = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path and body the key was first sent with."
    )
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"


class TaskFailure(models.Model):
    """A Celery task that failed for good (after its retries), for the operations page.

    Written by the base class every task of the project uses
    (:class:`clvcrm.core.task_failures.RecordedTask`); the worker's log keeps the whole
    story, this row what an Admin needs to see that something is wrong and what.
    """

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True, default="")
    arguments = models.CharField(max_length=1000, blank=True, default="")
    exception = models.CharField(max_length=2000)
    traceback = models.TextField(blank=True, default="")
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-failed_at", "-id"]
        permissions = [
            ("view_operations", "Can see the operations page"),
            ("start_recalculation", "Can start a CLV recalculation"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} failed at {self.failed_at:%Y-%m-%d %H:%M}"


class AuditEntry(models.Model):
    """One staff write: who, what, on which record, when, and the values before and after.

    Written by :func:`clvcrm.core.audit.audit_record` in the write's own transaction, so a
    write and its entry commit together or not at all. Never changed afterwards: the admin
    and the audit page only read, and on PostgreSQL a trigger refuses every ``UPDATE`` and
    ``DELETE`` of a row (migration ``0005_audit_log``). Personal values (a customer's email
    or name, a password) are never copied in: such a field is recorded as changed, without
    its values, so an erased customer leaves nothing personal here.

    ``actor_id`` keeps the user's id without a foreign key (deleting a user must not have
    to change an entry) and ``actor_name`` the username at the time.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    actor_id = models.IntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_label = models.CharField(max_length=200, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    note = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at_idx"),
            models.Index(fields=["actor_id", "-at"], name="audit_actor_idx"),
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.action} {self.target_label}"

    @property
    def change_lines(self) -> list[tuple[str, str]]:
        """Each change as a field and a line: ``before → after``, or the value recorded."""
        lines = []
        for field, change in (self.changes or {}).items():
            if isinstance(change, list) and len(change) == 2:
                before, after = ("—" if value is None else str(value) for value in change)
                lines.append((field, f"{before} → {after}"))
            else:
                lines.append((field, "—" if change is None else str(change)))
        return lines
