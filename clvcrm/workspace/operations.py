"""Reads of the operations page: recent runs, imports and sends, queues, failed tasks.

Each read is one query on an index (the latest rows by time, or a campaign's messages by
status on ``message_campaign_status_idx``), whatever the shop's size; the queue depths are
one broker round trip per queue.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from kombu.exceptions import ChannelError, OperationalError

from campaigns.models import Campaign, Message
from clvcrm.core.models import TaskFailure
from customers.models import OrderImport

RECENT = 10
# A finished campaign still shows for this long after it finished: its last sends.
FINISHED_SHOWN_DAYS = 7
SEND_STATUSES = tuple(status for status, _ in Message.Status.choices)


def imports_recent(limit: int = RECENT) -> QuerySet[OrderImport]:
    """The latest order imports, newest first."""
    return OrderImport.objects.select_related("created_by").order_by("-created_at", "-id")[:limit]


@dataclass(frozen=True)
class CampaignSends:
    """One campaign's messages by status."""

    campaign: Campaign
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def campaign_sends() -> list[CampaignSends]:
    """The messages of every campaign that is sending or finished lately, by status: two
    queries (the campaigns, then one grouped count on the campaign-status index)."""
    since = timezone.now() - timedelta(days=FINISHED_SHOWN_DAYS)
    campaigns = list(
        Campaign.objects.filter(
            Q(status__in=[Campaign.Status.ACTIVE, Campaign.Status.PAUSED])
            | Q(status=Campaign.Status.FINISHED, finished_at__gte=since)
        ).order_by("name")
    )
    counts: dict[int, dict[str, int]] = {c.pk: dict.fromkeys(SEND_STATUSES, 0) for c in campaigns}
    rows = (
        Message.objects.filter(campaign_id__in=list(counts))
        .values_list("campaign_id", "status")
        .annotate(messages=Count("id"))
        .order_by()
    )
    for campaign_id, status, messages in rows:
        counts[campaign_id][status] = messages
    return [CampaignSends(c, counts[c.pk]) for c in campaigns]


@dataclass(frozen=True)
class QueueDepth:
    """Tasks waiting in one broker queue (None: the broker did not answer)."""

    queue: str
    waiting: int | None


def queue_depths() -> list[QueueDepth] | None:
    """The tasks waiting in each queue the workers consume; None in the embedded mode,
    where tasks run in-process and nothing waits."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    from clvcrm.celery import app

    depths = []
    with app.connection_for_read() as connection:
        for queue in worker_queues():
            depths.append(QueueDepth(queue, _waiting(connection, queue)))
    return depths


def _waiting(connection: Any, queue: str) -> int | None:
    try:
        declared = connection.default_channel.queue_declare(queue=queue, passive=True)
    except ChannelError:  # never declared: no task was ever sent to it
        return 0
    except (OperationalError, OSError):  # the broker did not answer
        return None
    return int(declared.message_count)


def worker_queues() -> list[str]:
    """The default queue and every queue a task is routed to."""
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return ["celery", *sorted(routed - {"celery"})]


@dataclass(frozen=True)
class Failures:
    """The latest failed tasks and how many failed in the last day."""

    latest: list[TaskFailure]
    last_day: int


def task_failures(limit: int = 20) -> Failures:
    """The latest task failures (two queries on the time index)."""
    since = timezone.now() - timedelta(days=1)
    return Failures(
        latest=list(TaskFailure.objects.order_by("-failed_at", "-id")[:limit]),
        last_day=TaskFailure.objects.filter(failed_at__gte=since).count(),
    )
