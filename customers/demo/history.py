"""The demo shop's past: a CLV run as of each month end of the last year, with its segments.

Each run scores the orders placed up to its month end and reassigns the segments, as the
nightly pipeline did then; so the trend charts (segment sizes across runs, predicted CLV)
draw lines, not a single dot. The runs and their segment moves are dated to their month
ends (a run at 02:30 the next day) and the moves are marked as handled: campaigns act on
the shop's present, not on a year of replayed history. The present run is the ordinary
``recalculate_clv`` that follows.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from customers.kpis.periods import month_start
from customers.models import ClvRun, SegmentTransition
from customers.services.clv_runs import clv_recalculate
from customers.services.segments import segments_reassign

TRIGGERED_BY = "demo history"
RUN_TIME = time(2, 30)


def month_ends(*, months: int, today: date) -> list[date]:
    """The last days of the ``months`` full months before ``today``'s, oldest first.

    >>> month_ends(months=3, today=date(2026, 12, 5))
    [datetime.date(2026, 9, 30), datetime.date(2026, 10, 31), datetime.date(2026, 11, 30)]
    """
    ends = []
    end = month_start(today) - timedelta(days=1)
    for _ in range(months):
        ends.append(end)
        end = month_start(end) - timedelta(days=1)
    return list(reversed(ends))


def demo_history_write(
    *, months: int, today: date, on_run: Callable[[ClvRun], None] | None = None
) -> list[ClvRun]:
    """A run and a segment reassignment as of each month end (:func:`month_ends`), dated
    then; none when the history is there already (it is written once)."""
    if ClvRun.objects.filter(triggered_by=TRIGGERED_BY).exists():
        return []
    runs = []
    for as_of in month_ends(months=months, today=today):
        run = clv_recalculate(as_of=as_of, triggered_by=TRIGGERED_BY, customers_per_part=0).run
        segments_reassign(run_id=run.pk)
        _dated(run, as_of)
        runs.append(run)
        if on_run is not None:
            on_run(run)
    return runs


def _dated(run: ClvRun, as_of: date) -> None:
    """The run and its segment moves at 02:30 the day after ``as_of``; the moves handled."""
    started = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), RUN_TIME))
    took = (run.finished_at - run.started_at) if run.finished_at and run.started_at else None
    finished = started + (took or timedelta(seconds=1))
    with transaction.atomic():
        ClvRun.objects.filter(pk=run.pk).update(
            created_at=started, started_at=started, finished_at=finished
        )
        SegmentTransition.objects.filter(run_id=run.pk).update(
            created_at=finished, processed_at=finished
        )
