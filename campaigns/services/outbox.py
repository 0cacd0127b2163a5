"""Sending the outbox: runs of batches, and the sweeper that keeps it moving."""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from campaigns.outbox.send import BatchOutcome, batch_send
from campaigns.outbox.sweep import leases_expire, messages_due, triggers_waiting
from clvcrm.core.tasks import enqueue_on_commit

SEND_TASK = "campaigns.tasks.messages_send"


@dataclass
class SendRun:
    """What one run of batches did, and whether due messages are left for the next."""

    batches: list[BatchOutcome] = field(default_factory=list)
    more_due: bool = False

    @property
    def sent(self) -> int:
        return sum(batch.sent for batch in self.batches)


@dataclass(frozen=True)
class Sweep:
    released: int
    messages_due: bool
    triggers_waiting: bool


def messages_send(*, seconds: float) -> SendRun:
    """Send batches of due messages until none is left or ``seconds`` have passed.

    Several runs may go at once (one per worker on the email queue): each claims its own
    batches. ``more_due`` says the time ran out with messages still due.
    """
    run = SendRun()
    deadline = time.monotonic() + seconds
    while True:
        batch = batch_send()
        run.batches.append(batch)
        if not batch.claimed and not batch.suppressed:
            return run
        if time.monotonic() >= deadline:
            run.more_due = messages_due(now=timezone.now())
            return run


def sending_start() -> None:
    """Queue one sending run per sending worker, after the current transaction commits."""
    for _ in range(settings.CAMPAIGN_SEND_PARALLELISM):
        enqueue_on_commit(SEND_TASK)


def outbox_sweep() -> Sweep:
    """Hand expired leases back; say whether messages are due and events are waiting."""
    now = timezone.now()
    released = leases_expire(now=now)
    return Sweep(released, messages_due(now=now), triggers_waiting(now=now))
