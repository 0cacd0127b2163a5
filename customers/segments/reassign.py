"""Reassign every customer's default segment after a CLV run, in one transaction.

Priority (the first matching rule wins): new → churned → at_risk → high_value →
low_value. New comes first because a customer in their first weeks has too little history
to be judged gone or slipping; churned before at_risk because a customer who is probably
gone needs winning back, not retaining; at_risk before high_value because a valuable
customer who is slipping needs action more than a reward; high_value is the top share of
whoever is left, so it never competes with the rules above it.
"""

import dataclasses
import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from customers.models import ClvRun, SegmentReassignment, SegmentThresholds
from customers.segments.classify import (
    STAGE,
    Thresholds,
    high_value_cut,
    median_value,
    result_fill,
    stage_fill,
    tables_drop,
    thresholds_checked,
)
from customers.segments.custom import custom_segments_evaluate
from customers.segments.defaults import segments_ensure_defaults
from customers.segments.statistics import statistics_write
from customers.segments.write import assignments_write, flows_count, transitions_write


class SegmentRunError(Exception):
    """The run cannot be segmented: it did not succeed, or newer scores replaced its own."""


@dataclass(frozen=True)
class Reassignment:
    """What one reassignment did (a re-run of the same run changes 0 and writes 0)."""

    run_id: int
    customers: int
    changed: int
    transitions: int
    median_value: Decimal | None
    high_value_cut: Decimal | None
    seconds: float
    flows: list[list[int | None]]


def reassign_run(*, run_id: int) -> Reassignment:
    """Put every customer in exactly one default segment for ``run_id``; evaluate custom ones.

    Set-based SQL in one transaction: the current segments, the new transitions (the
    campaigns' outbox), the custom segments' members and the run's statistics change
    together or not at all. Only customers whose segment or reason changes are written, so
    re-running the same run writes nothing; it reuses the thresholds recorded by the first
    reassignment of the run. Raises :class:`SegmentRunError` for a run that did not
    succeed or whose scores were replaced by a newer run.
    """
    started = time.perf_counter()
    with transaction.atomic(durable=True):
        ids = segments_ensure_defaults()
        # Row lock: concurrent reassignments (a redelivered task) run one after the other.
        row = SegmentThresholds.objects.select_for_update().get(pk=1)
        run = _scored_run(run_id)
        record = SegmentReassignment.objects.filter(run=run).first()
        thresholds = thresholds_checked(record.thresholds) if record else _snapshot(row)
        now = timezone.now()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Hash joins and sorts over a million customers fit in memory, not on disk.
                cursor.execute("SET LOCAL work_mem = '128MB'")
                # A few large statements: compiling them costs more than it saves.
                cursor.execute("SET LOCAL jit = off")
            median = median_value()
            stage_fill(cursor, t=thresholds, median=median, ids=ids, as_of=run.as_of)
            cursor.execute(f"SELECT COUNT(*) FROM {STAGE}")
            customers = cursor.fetchone()[0]
            cut = high_value_cut(cursor, thresholds)
            changing = result_fill(cursor, cut=cut, t=thresholds, ids=ids)
            try:
                with transaction.atomic():
                    transitions = transitions_write(
                        cursor, run_id=run.pk, now=now, changing=changing
                    )
            except IntegrityError as exc:
                raise SegmentRunError(
                    f"CLV run {run.pk} was segmented before and would now move customers "
                    "again (orders before its as-of date changed since?); segment a new run"
                ) from exc
            flows = flows_count(cursor)
            changed = assignments_write(
                cursor, run_id=run.pk, now=now, changing=changing, customers=customers
            )
            custom_ids = custom_segments_evaluate(cursor, run_id=run.pk)
            # A re-run that moved nobody leaves the default segments' figures as they are.
            unchanged = record is not None and not changed
            defaults = [] if unchanged else list(ids.values())
            statistics_write(cursor, run_id=run.pk, segment_ids=[*defaults, *custom_ids])
            tables_drop(cursor)
        outcome = Reassignment(
            run.pk,
            customers,
            changed,
            transitions,
            median,
            cut,
            time.perf_counter() - started,
            flows,
        )
        if record is None:
            _record(run, thresholds, outcome)
    return outcome


def _scored_run(run_id: int) -> ClvRun:
    run = ClvRun.objects.filter(pk=run_id).first()
    if run is None:
        raise SegmentRunError(f"CLV run {run_id} does not exist")
    if run.status != ClvRun.Status.SUCCEEDED:
        raise SegmentRunError(f"CLV run {run_id} is {run.status}, not succeeded")
    latest = (
        ClvRun.objects.filter(status=ClvRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if latest != run.pk:
        raise SegmentRunError(f"CLV run {run_id} was replaced by run {latest}: its scores are gone")
    return run


def _snapshot(row: SegmentThresholds) -> Thresholds:
    return thresholds_checked(
        {f.name: getattr(row, f.name) for f in dataclasses.fields(Thresholds)}
    )


def _record(run: ClvRun, thresholds: Thresholds, outcome: Reassignment) -> None:
    SegmentReassignment.objects.create(
        run=run,
        thresholds=dataclasses.asdict(thresholds),
        median_value=outcome.median_value,
        high_value_cut=outcome.high_value_cut,
        customers=outcome.customers,
        changed=outcome.changed,
        transitions=outcome.transitions,
        flows=outcome.flows,
        seconds=round(outcome.seconds, 3),
        finished_at=timezone.now(),
    )
