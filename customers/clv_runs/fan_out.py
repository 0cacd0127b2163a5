"""Fan a CLV run's scoring and writing out over customer-id ranges, as a Celery chord.

When one machine is not enough, the run splits its customers into ranges of consecutive
ids (``CLV_FAN_OUT_CUSTOMERS_PER_PART``):

1. the coordinator (the caller) reads the purchase history once, fits the models and
   records the parameters, the ranges (one :class:`~customers.models.ClvRunPart` each)
   and an empty stage table named after the run, in one transaction;
2. after that commits, ``clvcrm.pipeline`` sends a chord of one task per range: each
   reads its range's orders, scores them with the run's parameters and the RFM quintiles
   of the whole customer base (passed along, so a range scores exactly as it would in one
   process), and stages the rows and marks its part finished in one transaction — a
   redelivered task finds its part finished and does nothing;
3. the chord's callback checks that every part finished, replaces the scores from the
   stage exactly like the single-process run, and marks the run succeeded.

Any failure marks the run failed (only if it is still running) and drops its stage: the
previous scores stay, as with the single-process path, and tasks of a failed run skip.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from numpy.typing import NDArray

from customers import clv
from customers.clv_runs import compute
from customers.clv_runs.aggregate import purchase_history
from customers.clv_runs.run_record import (
    StageCallback,
    prediction_of,
    record_failure,
    record_fits,
    record_success,
    scoring_of,
    timed_stage,
)
from customers.clv_runs.store import (
    scores_replace,
    stage_columns,
    stage_create,
    stage_load,
    stage_spec,
)
from customers.models import ClvRun, ClvRunPart

logger = logging.getLogger(__name__)

Breakpoints = dict[str, list[float | None]]
LAST_ID = 2**63 - 1  # the largest bigint: the end of the open last range


def stage_table(run_id: int) -> str:
    """The name of a fanned-out run's stage table."""
    return f"clv_score_stage_run_{run_id}"


def part_ranges(customer_ids: NDArray[np.int64], per_part: int) -> list[tuple[int, int]]:
    """Split sorted customer ids (n,) into ``[first, end)`` ranges of ``per_part`` customers.

    The first range starts at 0 and the last is open-ended, so a customer whose orders up
    to the as-of day arrive while the run is under way still falls into a range.
    """
    if per_part < 1:
        raise ValueError("per_part must be at least 1")
    starts = customer_ids[::per_part].tolist()
    if not starts:
        return [(0, LAST_ID)]
    return list(zip([0, *starts[1:]], [*starts[1:], LAST_ID], strict=True))


@dataclass(frozen=True)
class FanOut:
    """A fanned-out run ready to be sent: its parts and the RFM breakpoints they score with.

    ``clvcrm.pipeline`` sends one ``clv_run_part_score`` task per part as a chord whose
    callback finishes the run (``customers.services.clv_runs.clv_run_finish``).
    """

    run_id: int
    part_ids: list[int]
    breakpoints: Breakpoints


def fan_out_prepare(
    run: ClvRun,
    scoring: compute.ScoringSettings,
    per_part: int,
    on_stage: StageCallback | None = None,
) -> FanOut:
    """Coordinate a started run: aggregate, fit, plan the ranges; return them to be sent.

    The parameters, the parts and the stage table commit before this returns, so the part
    tasks find them. Any failure marks the run failed and re-raises.
    """
    seconds: dict[str, float] = {}
    as_of_day = clv.day_number(run.as_of)
    try:
        stages_drop_leftovers()
        with timed_stage("aggregate", seconds, on_stage):
            history = purchase_history(run.as_of)
            summary = compute.summarise(history, as_of_day, scoring.time_unit)
        with timed_stage("fit", seconds, on_stage):
            fits = compute.fit(summary, scoring, seed=run.as_of.toordinal())
        breakpoints = _encode(compute.rfm_breakpoints(history, as_of_day))
        ranges = part_ranges(history.customer_id, per_part)
        # Durable: the tasks must see the parts and the stage, so this commits right here.
        with transaction.atomic(durable=True):
            record_fits(run, summary=summary, fits=fits, seconds=seconds)
            parts = ClvRunPart.objects.bulk_create(
                ClvRunPart(run=run, number=n, first_customer_id=lo, end_customer_id=hi)
                for n, (lo, hi) in enumerate(ranges, start=1)
            )
            with connection.cursor() as cursor:
                stage_create(
                    cursor,
                    stage_table(run.pk),
                    stage_spec(predicts=fits.prediction is not None),
                    "UNLOGGED" if connection.vendor == "postgresql" else "",
                )
    except BaseException as exc:
        run_fail(run.pk, exc)
        raise
    return FanOut(run.pk, [part.pk for part in parts], breakpoints)


def part_score(part_id: int, breakpoints: Breakpoints) -> int:
    """Score and stage one range of a running run; return the customers it staged.

    Idempotent: a part already finished, or a run no longer running, is left alone.
    """
    part = ClvRunPart.objects.select_related("run").get(pk=part_id)
    run = part.run
    if run.status != ClvRun.Status.RUNNING or part.finished_at is not None:
        logger.info("CLV %s skipped: run %s, finished %s", part, run.status, part.finished_at)
        return 0
    seconds: dict[str, float] = {}
    try:
        as_of_day = clv.day_number(run.as_of)
        scoring = scoring_of(run)
        with timed_stage("aggregate", seconds):
            history = purchase_history(
                run.as_of, id_range=(part.first_customer_id, part.end_customer_id)
            )
            summary = compute.summarise(history, as_of_day, scoring.time_unit)
        with timed_stage("score", seconds):
            scores = compute.score(
                history, summary, prediction_of(run), scoring, as_of_day, _decode(breakpoints)
            )
        writing = time.perf_counter()
        with transaction.atomic():
            if not _claim(part):
                return 0
            _stage_range(part, stage_columns(history, scores, as_of_day))
            seconds["write"] = round(time.perf_counter() - writing, 3)
            ClvRunPart.objects.filter(pk=part.pk).update(
                customers=len(history), seconds=seconds, finished_at=timezone.now()
            )
    except BaseException as exc:
        run_fail(run.pk, exc, where=str(part))
        raise
    return len(history)


def run_finish(run_id: int) -> ClvRun:
    """The chord's callback: replace the scores from the stage and mark the run succeeded.

    Does nothing for a run that is no longer running (a second delivery, or a failed run).
    """
    run = ClvRun.objects.get(pk=run_id)
    if run.status != ClvRun.Status.RUNNING:
        return run
    try:
        unfinished = run.parts.filter(finished_at__isnull=True).count()
        if unfinished:
            raise RuntimeError(f"{unfinished} of the run's parts did not finish")
        seconds = dict(run.seconds)
        assert run.started_at is not None
        waited = (timezone.now() - run.started_at).total_seconds()
        seconds["parts"] = round(waited - seconds.get("aggregate", 0) - seconds.get("fit", 0), 3)
        with transaction.atomic():
            locked = ClvRun.objects.select_for_update().get(pk=run_id)
            if locked.status != ClvRun.Status.RUNNING:
                return locked
            with timed_stage("swap", seconds), connection.cursor() as cursor:
                stage = stage_table(run_id)
                scores_replace(cursor, run_id, stage, predicts=prediction_of(run) is not None)
                cursor.execute(f"DROP TABLE {stage}")
            customers = sum(run.parts.values_list("customers", flat=True))
            total = (timezone.now() - run.started_at).total_seconds()
            seconds["total"] = round(total, 3)
            record_success(run, customers=customers, seconds=seconds)
    except BaseException as exc:
        run_fail(run_id, exc)
        raise
    run.refresh_from_db()
    return run


def run_fail(run_id: int, exc: BaseException, where: str = "") -> None:
    """Mark a running run failed with the error and drop its stage (safe to repeat)."""
    error = f"{where + ': ' if where else ''}{type(exc).__name__}: {exc}"
    record_failure(run_id, error)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {stage_table(run_id)}")
    except DatabaseError:
        logger.warning("stage of CLV run %s left for the next run to drop", run_id, exc_info=True)


def stages_drop_leftovers() -> list[str]:
    """Drop the stage tables of runs that are no longer running; return their names.

    A run whose process died, or whose database connection was lost while it failed,
    leaves its stage behind; the next fanned-out run clears them as it starts (only one
    run is ever running, so no stage in use is touched).
    """
    running = set(ClvRun.objects.filter(status=ClvRun.Status.RUNNING).values_list("pk", flat=True))
    prefix = stage_table(0)[:-1]
    leftovers = [
        name
        for name in connection.introspection.table_names()
        if name.startswith(prefix)
        and name[len(prefix) :].isdigit()
        and int(name[len(prefix) :]) not in running
    ]
    with connection.cursor() as cursor:
        for name in leftovers:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    return leftovers


def wait_for(
    run: ClvRun,
    on_progress: Callable[[int, int], None] | None = None,
    poll: timedelta = timedelta(seconds=1),
) -> ClvRun:
    """Block until a fanned-out run leaves ``running``; report (finished, total) parts."""
    total = run.parts.count()
    while True:
        run.refresh_from_db()
        finished = run.parts.filter(finished_at__isnull=False).count()
        if on_progress is not None:
            on_progress(finished, total)
        if run.status != ClvRun.Status.RUNNING:
            return run
        time.sleep(poll.total_seconds())


def _claim(part: ClvRunPart) -> bool:
    """Lock the part for this transaction; False if another delivery finished it."""
    locked = ClvRunPart.objects.select_for_update().get(pk=part.pk)
    return locked.finished_at is None


def _stage_range(part: ClvRunPart, columns: list) -> None:
    # The rows and the part's finished_at commit together: a delivery that dies halfway
    # leaves neither, so there is never anything of an earlier delivery to clear.
    if len(columns[0][2]):
        with connection.cursor() as cursor:
            stage_load(cursor, stage_table(part.run_id), columns)


def _encode(cuts: clv.RFMBreakpoints) -> Breakpoints:
    """JSON-safe breakpoints (no -inf in JSON: None stands for it)."""
    return {
        name: [None if math.isinf(v) else float(v) for v in getattr(cuts, name)]
        for name in ("recency", "frequency", "monetary")
    }


def _decode(encoded: Breakpoints) -> clv.RFMBreakpoints:
    arrays = {
        name: np.array([-np.inf if v is None else v for v in values], dtype=np.float64)
        for name, values in encoded.items()
    }
    return clv.RFMBreakpoints(**arrays)
