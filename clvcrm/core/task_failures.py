"""Every task of the project records its final failure in a table (``TaskFailure``).

The Celery app makes :class:`RecordedTask` the base of every task (``task_cls``), so the
apps' tasks need nothing of their own. ``on_failure`` runs when a task fails for good:
after its retries, not on each retry. The record is best-effort: a database that cannot
take it (the failure may be the database's) costs a log line, never a second exception.
"""

import logging
from typing import Any

from celery import Task
from django.db import DatabaseError, transaction

logger = logging.getLogger(__name__)

TRACEBACK_MAX_CHARS = 20_000


class RecordedTask(Task[Any, Any]):
    """A Celery task whose final failure is written to ``TaskFailure``."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        task_failure_record(
            task_name=self.name,
            task_id=task_id,
            arguments=f"args={list(args or ())!r} kwargs={dict(kwargs or {})!r}",
            exception=f"{type(exc).__name__}: {exc}",
            traceback=str(einfo or ""),
        )
        super().on_failure(exc, task_id, args, kwargs, einfo)


def task_failure_record(
    *, task_name: str, task_id: str, arguments: str, exception: str, traceback: str
) -> None:
    """Store one failure, each text cut to what its column holds; never raises."""
    from clvcrm.core.models import TaskFailure

    try:
        # A savepoint when a task runs in-process inside the caller's transaction: a
        # failure to record never breaks that transaction further.
        with transaction.atomic():
            TaskFailure.objects.create(
                task_name=task_name[:200],
                task_id=task_id[:64],
                arguments=arguments[:1000],
                exception=exception[:2000],
                traceback=traceback[-TRACEBACK_MAX_CHARS:],
            )
    except DatabaseError:
        logger.exception("Could not record the failure of %s (%s)", task_name, task_id)
