"""Run a recorded CLV recalculation: aggregate, fit, score, write, with timings.

A run is claimed (only one may be running), each stage is timed into ``ClvRun.seconds``,
and the scores and the run's success are committed together: a failure at any stage
leaves the previous scores in place and the run marked failed with its error.
"""

import time
from dataclasses import asdict
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers import clv
from customers.clv_runs import compute
from customers.clv_runs.aggregate import purchase_history
from customers.clv_runs.run_record import (
    StageCallback,
    record_failure,
    record_fits,
    record_success,
    timed_stage,
)
from customers.clv_runs.store import scores_store
from customers.models import ClvRun

STAGES = ("aggregate", "fit", "score", "write")
ABANDONED_AFTER = timedelta(hours=6)


class ClvRunBusyError(Exception):
    """Another CLV run is in progress."""


def default_settings() -> compute.ScoringSettings:
    """The shop's CLV settings (``CLV_*`` in settings), as a run records them."""
    return compute.ScoringSettings(
        model=settings.CLV_MODEL,
        time_unit=settings.CLV_TIME_UNIT,
        horizon_months=settings.CLV_HORIZON_MONTHS,
        monthly_discount_rate=settings.CLV_MONTHLY_DISCOUNT_RATE,
        margin=settings.CLV_MARGIN,
        fit_sample_size=settings.CLV_FIT_SAMPLE_SIZE,
        min_repeat_customers=settings.CLV_MIN_REPEAT_CUSTOMERS,
    )


def run_start(as_of: date, scoring: compute.ScoringSettings, triggered_by: str) -> ClvRun:
    """Create the run as ``running``; refuse while another run is running."""
    ClvRun.objects.filter(
        status=ClvRun.Status.RUNNING, started_at__lt=timezone.now() - ABANDONED_AFTER
    ).update(
        status=ClvRun.Status.FAILED,
        error="abandoned: no progress for 6 hours",
        finished_at=timezone.now(),
    )
    fields = asdict(scoring)
    fields.pop("min_repeat_customers")
    try:
        with transaction.atomic():
            return ClvRun.objects.create(
                as_of=as_of,
                status=ClvRun.Status.RUNNING,
                started_at=timezone.now(),
                triggered_by=triggered_by,
                **fields,
            )
    except IntegrityError as exc:
        running = ClvRun.objects.filter(status=ClvRun.Status.RUNNING).first()
        raise ClvRunBusyError(f"CLV run {running.pk if running else '?'} is still running") from exc


def run_execute(
    run: ClvRun, scoring: compute.ScoringSettings, on_stage: StageCallback | None = None
) -> ClvRun:
    """Execute a started run in this process; on any failure record it and re-raise."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    as_of_day = clv.day_number(run.as_of)
    try:
        with timed_stage("aggregate", seconds, on_stage):
            history = purchase_history(run.as_of)
            summary = compute.summarise(history, as_of_day, scoring.time_unit)
        with timed_stage("fit", seconds, on_stage):
            fits = compute.fit(summary, scoring, seed=run.as_of.toordinal())
        with timed_stage("score", seconds, on_stage):
            scores = compute.score(history, summary, fits.prediction, scoring, as_of_day)
        with transaction.atomic():
            with timed_stage("write", seconds, on_stage):
                scores_store(run.pk, as_of_day, history, scores)
            seconds["total"] = round(time.perf_counter() - started, 3)
            record_fits(run, summary=summary, fits=fits, seconds=seconds)
            record_success(run, customers=len(history), seconds=seconds)
    except BaseException as exc:
        seconds["total"] = round(time.perf_counter() - started, 3)
        record_failure(run.pk, f"{type(exc).__name__}: {exc}", seconds)
        raise
    run.refresh_from_db()
    return run
