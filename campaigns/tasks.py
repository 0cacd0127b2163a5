"""The campaigns app's Celery tasks: the sending runs and the sweeper, on the email queue.

Like every task here: no arguments to go stale, safe to deliver twice (each run claims its
own messages), acks late. The time limits keep a run well inside its batches' lease
(``CAMPAIGN_SEND_LEASE_SECONDS``), so a live sender never loses its claim to the sweeper.
"""

from celery import shared_task
from django.conf import settings

from campaigns.services import outbox
from campaigns.services.triggers import CAMPAIGN_TRIGGERS_TASK
from clvcrm.core.tasks import enqueue_on_commit


@shared_task(
    acks_late=True,
    soft_time_limit=settings.CAMPAIGN_SEND_LEASE_SECONDS - 60,
    time_limit=settings.CAMPAIGN_SEND_LEASE_SECONDS - 30,
)
def messages_send() -> int:
    """Send due messages for ``CAMPAIGN_SEND_RUN_SECONDS``; queue the next run if more are
    due (a long campaign never holds a worker past its time limits)."""
    run = outbox.messages_send(seconds=settings.CAMPAIGN_SEND_RUN_SECONDS)
    if run.more_due:
        messages_send.delay()
    return run.sent


@shared_task(acks_late=True)
def outbox_sweep() -> None:
    """Every minute (beat): expired leases back to pending, and the senders and the trigger
    step queued again when work waits, which recovers tasks lost with the broker."""
    sweep = outbox.outbox_sweep()
    if sweep.messages_due:
        outbox.sending_start()
    if sweep.triggers_waiting:
        enqueue_on_commit(CAMPAIGN_TRIGGERS_TASK)
