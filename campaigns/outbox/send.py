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
from django.db.backends.utils import CursorWrapper
from django.db.models import F, QuerySet
from django.utils import timezone

from campaigns.models import Message, SuppressedReason
from campaigns.outbox.claim import messages_claim
from campaigns.outbox.decisions import retry_delay_seconds
from campaigns.outbox.errors import breaks_connection, is_permanent
from campaigns.outbox.prepare import Prepared, batch_prepare

logger = logging.getLogger(__name__)

# Each message is found by its key and the claim's lease, never by its status: a
# condition on ``status = 'sending'`` let the planner scan the partial index of leased
# messages (message_leased_idx, small by its statistics, crowded with dead entries
# while a send runs) instead of the primary key, at a cost growing with the batch.
# A message swept back (its lease ran out) or claimed again no longer has this lease.

# Checked right before each message goes: the campaign still active (a pause stops a batch
# mid-way), the customer neither unsubscribed nor erased since the claim (both take effect
# at once), and the message still this claim's. Campaign and customer are named by their
# keys (the claim knows them): joined through the message, the same check cost the
# database half as much again.
STILL_SENDABLE = """
    SELECT c.status = 'active', cu.unsubscribed_at IS NULL,
           c.kind <> 'marketing' OR cu.marketing_consent, cu.erased_at IS NOT NULL
    FROM campaigns_campaign c, customers_customer cu
    WHERE c.id = %s AND cu.id = %s
      AND EXISTS (SELECT 1 FROM campaigns_message m WHERE m.id = %s AND m.lease_until = %s)
"""


# Marks a message sent, in its own commit (autocommit): the resend window closes here.
MARK_SENT = """
    UPDATE campaigns_message
    SET status = 'sent', sent_at = %s, lease_until = NULL, last_error = '', esp_message_id = %s
    WHERE id = %s AND lease_until = %s
"""

# On PostgreSQL one round trip both marks the message just sent and checks the next one:
# on this kind of machine a round trip costs more than either statement's work, and two
# per message were most of the database's share of a send (by a profile of each
# statement while sending). A data-modifying WITH always runs to completion, read or not.
MARK_SENT_AND_STILL_SENDABLE = f"WITH marked AS ({MARK_SENT}) {STILL_SENDABLE}"


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
    assert claim.lease is not None  # a claim with messages holds a lease
    prepared, failures = batch_prepare(claim.to_send)
    with connection.cursor() as cursor:
        leased = _Leased(claim.lease, cursor)
        for message_id, error in failures.items():
            leased.fail(message_id, error)
            outcome.failed += 1
        with _open_connection() as smtp, _commits_without_flush():
            try:
                for item in prepared:
                    _send_one(smtp, item, leased, outcome)
            finally:
                leased.flush()
    return outcome


def _send_one(
    smtp: BaseEmailBackend, item: Prepared, leased: "_Leased", outcome: BatchOutcome
) -> None:
    refusal = leased.refusal(item)
    if refusal == "release":
        leased.release(item.message_id)
        outcome.released += 1
        return
    if refusal is not None:
        leased.messages(item.message_id).update(
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
        _after_error(leased, item.message_id, exc, outcome)
        return
    # The window: the server has the message; until the commit of the next statement
    # (the next message's check, or the flush after the last), a kill means a resend.
    leased.sent(item.message_id, _esp_id(item))
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


class _Leased:
    """The batch's messages, each found by its key and the claim's ``lease``.

    A message just sent is marked by the statement that checks the next one
    (:meth:`refusal`), or by :meth:`flush` after the last; nothing runs in between. The
    per-message statements share ``cursor``, and what they need of the connection is read
    once: a cursor opened and the connection looked up per message were a tenth of a
    sender's CPU in the send loop (by a profile of ``batch_send``).
    """

    def __init__(self, lease: datetime, cursor: CursorWrapper) -> None:
        self.lease = lease
        self._cursor = cursor
        self._ops = connection.ops
        self._lease_param = self._ops.adapt_datetimefield_value(lease)
        self._marks_with_check = connection.vendor == "postgresql"  # SQLite: no WITH UPDATE
        self._unmarked: list[Any] | None = None  # MARK_SENT's parameters, once sent

    def messages(self, message_id: int) -> QuerySet[Message]:
        """The message, while it still holds this claim's lease."""
        return Message.objects.filter(pk=message_id, lease_until=self.lease)

    def sent(self, message_id: int, esp_id: str) -> None:
        """The server accepted the message: mark it with the next statement."""
        now = self._ops.adapt_datetimefield_value(timezone.now())
        self._unmarked = [now, esp_id, message_id, self._lease_param]

    def flush(self) -> None:
        """Mark the message last sent, if it is not yet (autocommit: its own commit)."""
        if self._unmarked is not None:
            self._cursor.execute(MARK_SENT, self._unmarked)
            self._unmarked = None

    def refusal(self, item: Prepared) -> str | None:
        """``None`` to send; ``"release"`` when the campaign was paused; else a reason."""
        check = [item.campaign_id, item.customer_id, item.message_id, self._lease_param]
        if not self._marks_with_check:
            self.flush()
        if self._unmarked is None:
            self._cursor.execute(STILL_SENDABLE, check)
        else:
            self._cursor.execute(MARK_SENT_AND_STILL_SENDABLE, [*self._unmarked, *check])
            self._unmarked = None
        row = self._cursor.fetchone()
        if row is None:
            return "release"  # swept back (lease ran out), claimed again or gone: not ours now
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

    def release(self, message_id: int) -> None:
        """Give a claimed message back unsent (its campaign was paused): not an attempt."""
        self.messages(message_id).update(
            status=Message.Status.PENDING, lease_until=None, attempts=F("attempts") - 1
        )

    def fail(self, message_id: int, error: str) -> None:
        self.messages(message_id).update(
            status=Message.Status.FAILED, lease_until=None, last_error=error[:2000]
        )
        logger.error("message %s failed for good: %s", message_id, error)


def _after_error(
    leased: _Leased, message_id: int, exc: BaseException, outcome: BatchOutcome
) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    message = Message.objects.filter(pk=message_id).only("attempts").first()
    attempts = message.attempts if message else 0
    if is_permanent(exc) or attempts >= settings.CAMPAIGN_SEND_MAX_ATTEMPTS:
        leased.fail(message_id, error)
        outcome.failed += 1
        return
    delay = retry_delay_seconds(attempts=attempts, base=settings.CAMPAIGN_RETRY_BASE_SECONDS)
    leased.messages(message_id).update(
        status=Message.Status.PENDING,
        lease_until=None,
        due_at=timezone.now() + timedelta(seconds=delay),
        last_error=error,
    )
    logger.warning("message %s: transient error, retry in %s s: %s", message_id, delay, error)
    outcome.retried += 1


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
