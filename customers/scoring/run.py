"""Run a recorded CLV recalculation: aggregate, fit, score, write, with timings.

A run is claimed (only one may be running), each stage is timed into ``ClvRun.seconds``,
and the scores and the run's success are committed together: a failure at any stage
leaves the previous scores in place and the run marked failed with its error.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from clvcrm.core.tasks import enqueue_on_commit
from customers import clv
from customers.models import ClvRun
from customers.scoring import compute
from customers.scoring.aggregate import purchase_history
from customers.scoring.store import scores_store

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
    run: ClvRun, scoring: compute.ScoringSettings, on_stage: Callable[[str], None] | None = None
) -> ClvRun:
    """Execute a started run; on any failure record it and re-raise."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    as_of_day = clv.day_number(run.as_of)
    try:
        with _stage("aggregate", seconds, on_stage):
            history = purchase_history(run.as_of)
            summary = compute.summarise(history, as_of_day, scoring.time_unit)
        with _stage("fit", seconds, on_stage):
            fits = compute.fit(summary, scoring, seed=run.as_of.toordinal())
        with _stage("score", seconds, on_stage):
            scores = compute.score(history, summary, fits, scoring, as_of_day)
        with transaction.atomic():
            with _stage("write", seconds, on_stage):
                scores_store(run.pk, as_of_day, history, scores)
            seconds["total"] = round(time.perf_counter() - started, 3)
            _record_success(
                run, history_size=len(history), summary=summary, fits=fits, seconds=seconds
            )
            from customers.tasks import reassign_segments  # tasks import this module

            # Segments follow the new scores once they are committed.
            enqueue_on_commit(reassign_segments, run.pk)
    except BaseException as exc:
        seconds["total"] = round(time.perf_counter() - started, 3)
        ClvRun.objects.filter(pk=run.pk).update(
            status=ClvRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            seconds=seconds,
            finished_at=timezone.now(),
        )
        raise
    run.refresh_from_db()
    return run


@contextmanager
def _stage(
    name: str, seconds: dict[str, float], on_stage: Callable[[str], None] | None
) -> Iterator[None]:
    if on_stage is not None:
        on_stage(name)
    started = time.perf_counter()
    yield
    seconds[name] = round(time.perf_counter() - started, 3)


def _record_success(
    run: ClvRun,
    *,
    history_size: int,
    summary: compute.Summary,
    fits: compute.Fits,
    seconds: dict[str, float],
) -> None:
    fields: dict[str, object] = {
        "status": ClvRun.Status.SUCCEEDED,
        "finished_at": timezone.now(),
        "customers": history_size,
        "repeat_customers": summary.repeat_customers,
        "fitted_customers": fits.fitted_customers,
        "prediction_skipped": fits.skipped,
        "seconds": seconds,
    }
    if fits.bgnbd is not None:
        p = fits.bgnbd.params
        fields.update(
            r=p.r,
            alpha=p.alpha,
            a=p.a,
            b=p.b,
            log_likelihood=fits.bgnbd.log_likelihood,
            converged=fits.bgnbd.converged,
        )
    if fits.gamma_gamma is not None:
        g = fits.gamma_gamma.params
        fields.update(
            gg_p=g.p,
            gg_q=g.q,
            gg_gamma=g.gamma,
            gg_log_likelihood=fits.gamma_gamma.log_likelihood,
            gg_converged=fits.gamma_gamma.converged,
        )
    ClvRun.objects.filter(pk=run.pk).update(**fields)
