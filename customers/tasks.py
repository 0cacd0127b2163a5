"""Celery tasks of the customers app: ids in, the service of the same name, nothing else.

These are the steps that start nothing after them. The steps whose outcome decides what
runs next (an import, a CLV run and its fan-out's end, the segment reassignment) are the
project pipeline's tasks, in ``clvcrm/pipeline/tasks.py``.
"""

import logging

from celery import shared_task

from customers.clv_runs.fan_out import Breakpoints
from customers.services import clv_runs, order_imports, webhooks

logger = logging.getLogger(__name__)


# Chord parts keep their results: the chord counts them to know when to call back.
@shared_task(acks_late=True, ignore_result=False)
def clv_run_part_score(part_id: int, breakpoints: Breakpoints) -> int:
    """Score and stage one customer-id range of a fanned-out CLV run.

    Safe to deliver twice: a finished part (or a run no longer running) is left alone.
    """
    return clv_runs.clv_run_part_score(part_id=part_id, breakpoints=breakpoints)


@shared_task(acks_late=True)
def order_import_files_expire() -> None:
    """Delete uploaded order files past ``UPLOAD_RETENTION_DAYS`` (nightly by beat).

    Safe to deliver twice: a file deleted once is not looked for again, its import is
    marked once; a file that could not be deleted is tried again the next night.
    """
    outcome = order_imports.order_import_files_expire()
    logger.info("upload files deleted: %d of imports, %d orphaned", outcome.files, outcome.orphans)


@shared_task(acks_late=True)
def webhook_event_bodies_expire() -> None:
    """Empty the bodies of processed shop webhooks past ``WEBHOOK_BODY_RETENTION_DAYS``
    (nightly by beat).

    Safe to deliver twice: an emptied body is not emptied again.
    """
    emptied = webhooks.webhook_event_bodies_expire()
    logger.info("webhook bodies removed by retention: %d", emptied)
