"""The sending queue with real worker processes on Redis, against a real SMTP server:
killed workers, a flushed broker and a pause lose nothing and send nothing twice, beyond
the one documented window (the SMTP server accepted, the commit did not happen yet)."""

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from campaigns.models import Campaign, Message
from campaigns.services import outbox
from campaigns.services.campaigns import campaign_activate, campaign_pause
from campaigns.services.triggers import campaign_triggers_run
from clvcrm.celery import app as celery_app
from clvcrm.pipeline import tasks as pipeline
from tests.campaigns.builders import campaign_made, customers_made, segment_entered
from tests.campaigns.segment_change import (
    SITE,
    exactly_one_email_per_eligible_entrant,
    segment_change_made,
)
from tests.smtp_sink import SmtpSink, smtp_sink
from tests.workers import BROKER, worker_start

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not BROKER, reason="needs CELERY_BROKER_URL (CI sets it)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as server:
        yield server


@pytest.fixture
def sender(sink: SmtpSink) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start a worker on the email queue that sends to the sink; all stopped afterwards."""
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("email")  # type: ignore[attr-defined]  # kombu's stubs lack it
    processes: list[subprocess.Popen] = []
    env = {
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "CAMPAIGN_SEND_BATCH": "50",
        "CAMPAIGN_SEND_RUN_SECONDS": "3",
    }

    def start() -> subprocess.Popen:
        processes.append(worker_start(f"sender{len(processes)}", queues="email", env=env))
        return processes[-1]

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
    celery_app.conf.task_always_eager = True


def test_a_segment_change_sends_one_email_per_eligible_entrant_through_real_workers(sink):
    scene = segment_change_made()  # eager here: the earlier campaign's two emails
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        for queue in ("celery", "email"):
            conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]  # kombu's stubs lack it
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{sink.port}", "SITE_URL": SITE}
    worker = worker_start("chain", queues="celery,email", env=env)
    try:
        # Through the broker: the reassignment, then the trigger step, then the senders.
        pipeline.segments_reassign.delay(scene.run.pk)
        _wait(
            lambda: (
                scene.win_back.assignments.exists()
                and not scene.win_back.messages.filter(status__in=["pending", "sending"]).exists()
            ),
            "the win-back's messages to be sent or suppressed",
        )
        time.sleep(0.5)  # a duplicate, were there one, would arrive now
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        celery_app.conf.task_always_eager = True

    exactly_one_email_per_eligible_entrant(scene, sink.received)


def _campaign_with_pending(n: int) -> Campaign:
    campaign = campaign_made(holdout="10.0")
    segment_entered(customers_made(n), "at_risk")
    campaign_triggers_run()
    return campaign


def _wait(until: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _sweep_after_leases_ran_out() -> None:
    """What the beat's sweeper does once the dead sender's lease has run out."""
    Message.objects.filter(status="sending").update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    sweep = outbox.outbox_sweep()
    if sweep.messages_due:
        outbox.sending_start()


def _all_sent(campaign: Campaign) -> bool:
    return not campaign.messages.exclude(status="sent").exists()


def _check_each_once(campaign: Campaign, sink: SmtpSink, *, duplicates_allowed: int) -> int:
    """Every message of the campaign sent and received; returns how many came twice."""
    sent = dict(campaign.messages.values_list("smtp_message_id", "to_email"))
    assert set(campaign.messages.values_list("status", flat=True)) == {"sent"}
    received = Counter(sink.message_ids())
    assert set(received) == set(sent)  # nothing lost, nothing that is not a message
    duplicates = sum(count - 1 for count in received.values())
    assert duplicates <= duplicates_allowed
    held_out = set(
        campaign.assignments.filter(variant__isnull=True).values_list("customer__email", flat=True)
    )
    assert held_out
    assert not held_out & {str(m["To"]) for m in sink.received}
    return duplicates


def test_killing_the_sender_mid_send_loses_nothing_and_repeats_at_most_one_per_kill(sink, sender):
    campaign = _campaign_with_pending(10_000)
    eligible = campaign.messages.count()
    kills = 0
    for reached in (1_000, 3_000, 5_000):
        worker = sender()
        outbox.sending_start()
        _wait(lambda: len(sink.received) >= reached, f"{reached} emails")  # noqa: B023
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        kills += 1
        assert campaign.messages.filter(status="sent").count() < eligible
        _sweep_after_leases_ran_out()
    sender()
    outbox.sending_start()
    _wait(lambda: _all_sent(campaign), "every message sent", seconds=300)

    assert campaign.messages.count() == eligible > 8_000
    _check_each_once(campaign, sink, duplicates_allowed=kills)


def test_a_flushed_broker_loses_no_email(sink, sender):
    campaign = _campaign_with_pending(3_000)
    worker = sender()
    outbox.sending_start()
    _wait(lambda: len(sink.received) >= 500, "500 emails")

    redis.Redis.from_url(BROKER).flushdb()  # a Redis restart without persistence, mid-send
    # The running task goes on and queues its successor; whatever was queued is gone. The
    # next minute's sweeper queues the senders again while messages are due.
    while not _all_sent(campaign):
        _wait(lambda: _stalled(sink), "sending to go on or stop")
        if outbox.outbox_sweep().messages_due:
            outbox.sending_start()

    assert _check_each_once(campaign, sink, duplicates_allowed=0) == 0
    assert worker.poll() is None


def test_sending_tasks_lost_before_any_worker_took_them_are_queued_again_by_the_sweeper(
    sink, sender
):
    campaign = _campaign_with_pending(500)
    outbox.sending_start()  # queued while no sending worker runs
    redis.Redis.from_url(BROKER).flushdb()  # ... and lost
    worker = sender()
    time.sleep(5)
    assert len(sink.received) == 0  # nothing to send them: the tasks are gone

    sweep = outbox.outbox_sweep()
    assert sweep.messages_due
    outbox.sending_start()
    _wait(lambda: _all_sent(campaign), "every message sent")

    assert _check_each_once(campaign, sink, duplicates_allowed=0) == 0
    assert worker.poll() is None


def test_a_pause_mid_send_then_resume_sends_each_message_once(sink, sender):
    campaign = _campaign_with_pending(3_000)
    worker = sender()
    outbox.sending_start()
    _wait(lambda: len(sink.received) >= 500, "500 emails")

    campaign_pause(campaign_id=campaign.pk)
    _wait(lambda: _stalled(sink), "sending to stop")
    received_while_paused = len(sink.received)
    assert not campaign.messages.filter(status="sending").exists()
    pending = campaign.messages.filter(status="pending").count()
    assert pending > 0
    assert received_while_paused + pending == campaign.messages.count()
    campaign_activate(campaign_id=campaign.pk)  # resume: queues the senders after commit
    _wait(lambda: _all_sent(campaign), "every message sent", seconds=300)

    assert _check_each_once(campaign, sink, duplicates_allowed=0) == 0
    assert worker.poll() is None


def _stalled(sink: SmtpSink, quiet: float = 2.0) -> bool:
    """True once the sink has received nothing new for ``quiet`` seconds."""
    before = len(sink.received)
    time.sleep(quiet)
    return len(sink.received) == before
