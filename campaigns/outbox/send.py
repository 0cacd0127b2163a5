"""Send one claimed batch over one connection, each outcome in its own commit."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.db.models import F
from django.utils import timezone

from campaigns.models import Message, SuppressedReason
from campaigns.outbox.claim import messages_claim
from campaigns.outbox.decisions import retry_delay_seconds
from campaigns.outbox.errors import breaks_connection, is_permanent
from campaigns.outbox.prepare import Prepared, batch_prepare

logger = logging.getLogger(__name__)

# Checked right before each message goes: the campaign still active (a pause stops a batch
# mid-way) and the customer neither unsubscribed nor erased since the claim (both take
# effect at once).
STILL_SENDABLE = """
    SELECT c.status = 'active', cu.unsubscribed_at IS NULL,
           c.kind <> 'marketing' OR cu.marketing_consent, cu.erased_at IS NOT NULL
    FROM campaigns_message m
    JOIN campaigns_campaign c ON c.id = m.campaign_id
    JOIN customers_customer cu ON cu.id = m.customer_id
    WHERE m.id = %s AND m.status = 'sending'
"""


# Raw SQL on the hot path: one statement per message, without the ORM's overhead.
MARK_SENT = """
    UPDATE campaigns_message
    SET status = 'sent', sent_at = %s, lease_until = NULL, last_error = '', esp_message_id = %s
    WHERE id = %s AND status = 'sending'
"""


@dataclass
class BatchOutcome:
    """What one batch did."""

    claimed: int = 0
    sent: int = 0
    suppressed: int = 0
    released: int = 0
    retried: int = 0
    failed: int = 0


def batch_send(*, limit: int | None = None) -> BatchOutcome:
    """Claim, prepare and send one batch of due messages; see ``campaigns.outbox``."""
    claim = messages_claim(limit=limit or settings.CAMPAIGN_SEND_BATCH)
    outcome = BatchOutcome(claimed=len(claim.to_send), suppressed=claim.suppressed)
    if not claim.to_send:
        return outcome
    prepared, failures = batch_prepare(claim.to_send)
    for message_id, error in failures.items():
        _fail(message_id, error)
        outcome.failed += 1
    with _open_connection() as smtp, _commits_without_flush():
        for item in prepared:
            _send_one(smtp, item, outcome)
    return outcome


def _send_one(smtp: BaseEmailBackend, item: Prepared, outcome: BatchOutcome) -> None:
    refusal = _refusal(item.message_id)
    if refusal == "release":
        _release(item.message_id)
        outcome.released += 1
        return
    if refusal is not None:
        Message.objects.filter(pk=item.message_id, status=Message.Status.SENDING).update(
            status=Message.Status.SUPPRESSED, suppressed_reason=refusal, lease_until=None
        )
        outcome.suppressed += 1
        return
    try:
        smtp.send_messages([item.email])
    except Exception as exc:  # one failure must not stop the batch
        if breaks_connection(exc):
            smtp.close()
            smtp.open()
        _after_error(item.message_id, exc, outcome)
        return
    # The window: the server has the message; until this commit, a kill means a resend.
    with connection.cursor() as cursor:  # autocommit: one round trip, its own commit
        cursor.execute(MARK_SENT, [_db_time(timezone.now()), _esp_id(item), item.message_id])
    outcome.sent += 1


@contextmanager
def _commits_without_flush() -> Iterator[None]:
    """While a batch is sent, let each commit return before PostgreSQL flushes its WAL.

    A commit per message is what keeps the resend window to one message, but waiting for
    the disk at each one was the sender's largest cost (docs/benchmarks.md). The commits
    are still atomic and visible at once, so a killed worker or a lost broker loses
    nothing; only a crash of the database server itself can forget the last fraction of a
    second of marks (``wal_writer_delay``, 200 ms by default, three times at most), and
    those messages would be sent again. The session setting is reset after the batch.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _refusal(message_id: int) -> str | None:
    """``None`` to send; ``"release"`` when the campaign was paused; else a reason."""
    with connection.cursor() as cursor:
        cursor.execute(STILL_SENDABLE, [message_id])
        row = cursor.fetchone()
    if row is None:
        return "release"  # swept back to pending (lease ran out) or gone: not ours now
    active, subscribed, consenting, erased = (bool(value) for value in row)
    if not active:
        return "release"
    if erased:
        return SuppressedReason.ERASED
    if not subscribed:
        return SuppressedReason.UNSUBSCRIBED
    if not consenting:
        return SuppressedReason.NO_CONSENT
    return None


def _release(message_id: int) -> None:
    """Give a claimed message back unsent (its campaign was paused): not an attempt."""
    Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
        status=Message.Status.PENDING, lease_until=None, attempts=F("attempts") - 1
    )


def _after_error(message_id: int, exc: BaseException, outcome: BatchOutcome) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    message = Message.objects.filter(pk=message_id).only("attempts").first()
    attempts = message.attempts if message else 0
    if is_permanent(exc) or attempts >= settings.CAMPAIGN_SEND_MAX_ATTEMPTS:
        _fail(message_id, error)
        outcome.failed += 1
        return
    delay = retry_delay_seconds(attempts=attempts, base=settings.CAMPAIGN_RETRY_BASE_SECONDS)
    Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
        status=Message.Status.PENDING,
        lease_until=None,
        due_at=timezone.now() + timedelta(seconds=delay),
        last_error=error,
    )
    logger.warning("message %s: transient error, retry in %s s: %s", message_id, delay, error)
    outcome.retried += 1


def _fail(message_id: int, error: str) -> None:
    Message.objects.filter(pk=message_id, status=Message.Status.SENDING).update(
        status=Message.Status.FAILED, lease_until=None, last_error=error[:2000]
    )
    logger.error("message %s failed for good: %s", message_id, error)


@contextmanager
def _open_connection() -> Iterator[BaseEmailBackend]:
    smtp = mail.get_connection(fail_silently=False)
    smtp.open()
    try:
        yield smtp
    finally:
        smtp.close()


def _esp_id(item: Prepared) -> str:
    """The id an email service gave the message (django-anymail), which its bounce and
    complaint webhooks name; empty over plain SMTP."""
    status = getattr(item.email, "anymail_status", None)
    return str(getattr(status, "message_id", None) or "")[:255]


def _db_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)
