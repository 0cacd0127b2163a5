"""Celery tasks of the customers app: ids in, one service call, nothing else."""

import logging
from datetime import date

from celery import shared_task

from customers import services
from customers.clv_runs import fan_out
from customers.clv_runs.run import ClvRunBusyError
from customers.order_import import retention
from customers.segments.reassign import SegmentRunError

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def run_order_import(order_import_id: int) -> None:
    """Run an uploaded order import (safe to deliver twice: the service claims the row)."""
    services.order_import_run(order_import_id=order_import_id)


@shared_task(acks_late=True)
def recalculate_clv(as_of: str | None = None) -> int | None:
    """Recalculate every customer's CLV (nightly by beat); return the run id.

    A run already in progress wins: this delivery logs it and does nothing, so a
    redelivered or overlapping schedule never runs twice at once.
    """
    try:
        run = services.clv_recalculate(
            as_of=date.fromisoformat(as_of) if as_of else None, triggered_by="schedule"
        )
    except ClvRunBusyError as exc:
        logger.warning("CLV recalculation skipped: %s", exc)
        return None
    return run.pk


# Chord parts keep their results: the chord counts them to know when to call back.
@shared_task(acks_late=True, ignore_result=False)
def score_clv_part(part_id: int, breakpoints: dict[str, list[float | None]]) -> int:
    """Score and stage one customer-id range of a fanned-out CLV run (idempotent)."""
    return fan_out.part_score(part_id, breakpoints)


@shared_task(acks_late=True)
def finish_clv_run(run_id: int) -> None:
    """The fan-out chord's callback: swap in the staged scores, mark the run succeeded."""
    fan_out.run_finish(run_id)


@shared_task(acks_late=True)
def reassign_segments(run_id: int) -> None:
    """Reassign segments after a CLV run (safe twice: a re-run writes nothing).

    A run replaced by a newer one before this delivery is skipped: the newer run's own
    reassignment follows it.
    """
    try:
        services.segments_reassign(run_id=run_id)
    except SegmentRunError as exc:
        logger.warning("segment reassignment skipped: %s", exc)


@shared_task(acks_late=True)
def refresh_loyalty(as_of: str | None = None) -> None:
    """Evaluate tiers and run the points jobs (nightly by beat, and after each import).

    Safe to deliver twice: every step is idempotent for the same date.
    """
    services.loyalty_refresh(as_of=date.fromisoformat(as_of) if as_of else None)


@shared_task(acks_late=True)
def order_import_files_expire() -> None:
    """Delete uploaded order files past ``UPLOAD_RETENTION_DAYS`` (nightly by beat).

    Safe to deliver twice: a file deleted once is not looked for again, its import is
    marked once; a file that could not be deleted is tried again the next night.
    """
    outcome = retention.order_import_files_expire()
    logger.info("upload files deleted: %d of imports, %d orphaned", outcome.files, outcome.orphans)
