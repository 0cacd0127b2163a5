"""Every write of the customers app goes through a function here (``<noun>_<verb>``)."""

import csv
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from clvcrm.core.gc_tuning import fewer_collections
from clvcrm.core.tasks import enqueue_on_commit
from customers.loyalty.ledger import PointsError, points_change  # noqa: F401
from customers.loyalty.points import PointsRun, points_earn, points_expire, points_reverse
from customers.loyalty.tiers import TierEvaluation, tiers_evaluate
from customers.models import ClvRun, Customer, LoyaltyTier, OrderImport, PointsEntry, Segment
from customers.order_import.batches import Batch, iter_batches
from customers.order_import.columnar import fast_batch, raw_chunks
from customers.order_import.errors import ImportFileError, Rejection
from customers.order_import.first_load import FirstLoad
from customers.order_import.pipeline import write_batches
from customers.order_import.rows import ParsedRow, RowParser
from customers.order_import.source import inspect_file, iter_records
from customers.order_import.writer import (
    Counts,
    batch_rows_default,
    prepare,
    statistics_refresh,
    write_batch,
)
from customers.scoring import fan_out
from customers.scoring.backtest import clv_backtest  # noqa: F401
from customers.scoring.run import default_settings, run_execute, run_start
from customers.segmentation import custom, outbox
from customers.segmentation.reassign import Reassignment
from customers.segmentation.reassign import segments_reassign as segmentation_reassign

SUMMARY_REJECTIONS = 100


@dataclass
class ImportSummary:
    """The outcome of one import: counts, ignored columns and the first rejections."""

    counts: Counts
    dry_run: bool
    ignored_columns: tuple[str, ...]
    first_rejections: list[Rejection] = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        c = self.counts
        return not (
            c.orders_created or c.orders_updated or c.customers_created or c.customers_updated
        )

    def describe(self) -> str:
        """A short human summary, as the command prints it and the upload page shows it."""
        c = self.counts
        verb = "would be" if self.dry_run else "was"
        lines = [
            f"{c.rows:,} row(s) read; {c.rows_rejected:,} rejected.",
            f"Orders: {c.orders_created:,} new, {c.orders_updated:,} status changed, "
            f"{c.orders_unchanged:,} already imported (unchanged).",
            f"Customers: {c.customers_created:,} new, {c.customers_updated:,} updated.",
        ]
        if c.duplicate_rows:
            lines.append(f"{c.duplicate_rows:,} repeated identical row(s) counted once.")
        if self.ignored_columns:
            lines.append(f"Ignored unknown column(s): {', '.join(self.ignored_columns)}.")
        if self.nothing_new and c.rows:
            lines.append(f"Nothing new: no order or customer {verb} added or changed.")
        if self.dry_run:
            lines.append("Dry run: nothing was written.")
        return "\n".join(lines)


def orders_import(
    *,
    path: Path,
    dry_run: bool = False,
    order_import: OrderImport | None = None,
    on_rejection: Callable[[Rejection], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_rows: int | None = None,
) -> ImportSummary:
    """Import the orders CSV at ``path``; see the README for the format.

    Refuses an unreadable file with :class:`ImportFileError` before writing anything. Then
    streams the rows, validates each, groups them into orders and writes batches of about
    ``batch_rows`` rows (default: :func:`batch_rows_default`), each in its own transaction;
    on PostgreSQL, into a shop without orders, all in one (see ``order_import.first_load``).
    Importing the same file again creates nothing. Every rejected row is passed to
    ``on_rejection`` (and, with ``order_import``, stored as an
    :class:`~customers.models.ImportRejection`); the bad rows never block the good ones.
    ``on_progress`` receives the number of bytes read so far.
    """
    layout = inspect_file(path)
    parser = RowParser(layout.columns, settings.SHOP_CURRENCY, ZoneInfo(settings.TIME_ZONE))
    summary = ImportSummary(Counts(), dry_run, layout.ignored)

    def read(on_bytes: Callable[[int], None] | None) -> Iterator[Batch]:
        records = iter_records(path, layout, on_bytes=on_bytes)
        rows = batch_rows or batch_rows_default()
        chunks = raw_chunks(records, layout.columns["order_id"], rows)
        for chunk in chunks:
            yield prepare(fast_batch(chunk, parser) or _checked_batch(chunk, parser))

    growing = 0
    first_load = FirstLoad(order_import)

    def write(batch: Batch) -> Counts:
        nonlocal growing
        counts = write_batch(
            batch, dry_run=dry_run, order_import=order_import, record_counts=not first_load.active
        )
        if first_load.active:
            first_load.add(counts)
        if not dry_run and (counts.orders_created or counts.customers_created):
            growing += 1  # statistics go stale only while the tables grow
            statistics_refresh(growing)
        return counts

    session = nullcontext if dry_run else first_load.session
    with fewer_collections():
        for batch, counts in write_batches(read, write, session, on_progress):
            summary.counts.add(counts)
            for rejection in sorted(batch.rejections, key=lambda r: r.row):
                if len(summary.first_rejections) < SUMMARY_REJECTIONS:
                    summary.first_rejections.append(rejection)
                if on_rejection is not None:
                    on_rejection(rejection)
    return summary


def _checked_batch(chunk: list, parser: RowParser) -> Batch:
    """The chunk validated row by row, naming every problem (the careful lane)."""
    return next(iter_batches(_parse_records(parser, iter(chunk)), len(chunk) + 1), Batch())


def _parse_records(
    parser: RowParser, records: Iterator[tuple[int, list[str] | csv.Error]]
) -> Iterator[tuple[int, ParsedRow | list[Rejection]]]:
    for row, fields in records:
        if isinstance(fields, csv.Error):
            yield row, [Rejection(row, "", "", f"cannot be read as CSV: {fields}")]
            continue
        malformed = parser.width_problem(row, fields)
        yield row, [malformed] if malformed else parser.parse(row, fields)


def order_import_start(*, order_import: OrderImport) -> None:
    """Queue the import of an uploaded file; it runs after the upload's transaction commits."""
    from customers.tasks import run_order_import

    enqueue_on_commit(run_order_import, order_import.pk)


def order_import_run(*, order_import_id: int) -> OrderImport | None:
    """Run a queued :class:`OrderImport` once, however often the task is delivered.

    The ``pending → running`` update is the claim: a second delivery finds no pending row
    and returns ``None`` without touching anything.
    """
    claimed = OrderImport.objects.filter(
        pk=order_import_id, status=OrderImport.Status.PENDING
    ).update(status=OrderImport.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    order_import = OrderImport.objects.get(pk=order_import_id)
    path = Path(order_import.file.path)
    OrderImport.objects.filter(pk=order_import.pk).update(bytes_total=path.stat().st_size)

    def progress(done: int) -> None:
        OrderImport.objects.filter(pk=order_import.pk).update(bytes_done=done)

    try:
        summary = orders_import(
            path=path,
            dry_run=order_import.dry_run,
            order_import=order_import,
            on_progress=progress,
        )
    except ImportFileError as exc:
        order_import_finish(order_import, OrderImport.Status.FAILED, error=str(exc))
    except Exception as exc:
        order_import_finish(
            order_import, OrderImport.Status.FAILED, error=f"unexpected error: {exc!r}"
        )
        raise
    else:
        order_import_finish(
            order_import, OrderImport.Status.SUCCEEDED, ignored=list(summary.ignored_columns)
        )
    order_import.refresh_from_db()
    return order_import


def order_import_finish(
    order_import: OrderImport, status: str, *, error: str = "", ignored: list[str] | None = None
) -> None:
    """Mark an import finished with ``status`` (and its error, or the ignored columns)."""
    with transaction.atomic():
        OrderImport.objects.filter(pk=order_import.pk).update(
            status=status, error=error, finished_at=timezone.now(), ignored_columns=ignored or []
        )
        if status == OrderImport.Status.SUCCEEDED and not order_import.dry_run:
            loyalty_refresh_start()  # new orders may earn points and change tiers


def clv_recalculate(
    *,
    as_of: date | None = None,
    triggered_by: str = "",
    on_stage: Callable[[str], None] | None = None,
    customers_per_part: int | None = None,
) -> ClvRun:
    """Recalculate every customer's CLV as of the end of ``as_of`` (default: yesterday).

    One SQL aggregate, a model fit, vectorised scoring and one bulk write, recorded as a
    :class:`~customers.models.ClvRun` with parameters and timings. Raises
    :class:`~customers.scoring.run.ClvRunBusyError` while another run is in progress;
    any other failure marks the run failed, leaves the previous scores, and re-raises.
    Re-running the same ``as_of`` over the same orders gives identical numbers.

    ``customers_per_part`` (default ``CLV_FAN_OUT_CUSTOMERS_PER_PART``; 0 = off) fans the
    scoring and writing out over Celery workers, that many customers per task: the run
    returned is then still running unless the tasks ran in-process (no broker), and it
    ends with the same scores the single-process run would write.
    """
    as_of = as_of or timezone.localdate() - timedelta(days=1)
    if customers_per_part is None:
        customers_per_part = settings.CLV_FAN_OUT_CUSTOMERS_PER_PART
    scoring = default_settings()
    run = run_start(as_of, scoring, triggered_by)
    if customers_per_part > 0:
        fan_out.run_fan_out(run, scoring, customers_per_part, on_stage)
        run.refresh_from_db()
        return run
    return run_execute(run, scoring, on_stage)


def segments_reassign(*, run_id: int) -> Reassignment:
    """Put every customer in one default segment for a successful CLV run (set-based SQL).

    One transaction; transitions (the campaigns' outbox) only for customers whose segment
    changed; re-running the same run writes nothing. See ``customers.segmentation``.
    """
    return segmentation_reassign(run_id=run_id)


def segment_transition_mark_processed(*, transition_id: int) -> bool:
    """Claim one segment transition for a consumer: ``True`` only for the one that did."""
    return outbox.segment_transition_mark_processed(transition_id=transition_id)


def custom_segment_save(*, segment: Segment) -> Segment:
    """Save a custom segment and evaluate its members against the latest segmented run."""
    return custom.custom_segment_save(segment=segment)


# --------------------------------------------------------------------------- loyalty


@dataclass(frozen=True)
class LoyaltyRefresh:
    """The outcome of one loyalty run: the tier evaluation and each points job."""

    tiers: TierEvaluation
    earned: PointsRun
    reversed: PointsRun
    expired: PointsRun


def loyalty_refresh(*, as_of: date | None = None) -> LoyaltyRefresh:
    """Run the loyalty programme as of the end of ``as_of`` (default: today), idempotently.

    Evaluates every customer's tier, then earns points on new completed orders (at the
    multiplier of the tier just evaluated), reverses those of refunded or cancelled orders
    and expires what is due, oldest first; each step is one transaction, set-based, and
    running it again for the same date writes nothing. Nightly by beat and after imports.
    """
    as_of = as_of or timezone.localdate()
    return LoyaltyRefresh(
        tiers=loyalty_tiers_evaluate(as_of=as_of),
        earned=points_earn(as_of),
        reversed=points_reverse(as_of),
        expired=points_expire(as_of),
    )


def loyalty_tiers_evaluate(*, as_of: date) -> TierEvaluation:
    """Upgrade, keep, warn or downgrade every customer's tier as of ``as_of`` (set-based)."""
    return tiers_evaluate(as_of)


def loyalty_refresh_start() -> None:
    """Queue a loyalty run after the current transaction commits (after an import).

    Only when the shop has a loyalty programme (at least one tier): a shop without one,
    like the import benchmark's, is not made to credit millions of orders after an import.
    """
    from customers.tasks import refresh_loyalty

    if LoyaltyTier.objects.exists():
        enqueue_on_commit(refresh_loyalty)


def points_redeem(
    *, customer: Customer, points: int, reason: str, staff: AbstractBaseUser | None = None
) -> PointsEntry:
    """Redeem ``points`` (> 0) of the customer's balance; :class:`PointsError` if short.

    Locks the balance row, so concurrent redemptions never overdraw it.
    """
    return points_change(
        customer=customer, kind=PointsEntry.Kind.REDEEM, points=-points, reason=reason, staff=staff
    )


def points_adjust(
    *, customer: Customer, points: int, reason: str, staff: AbstractBaseUser | None = None
) -> PointsEntry:
    """Add (or with a negative number take away) points by hand, with a reason.

    A negative adjustment larger than the balance is refused with :class:`PointsError`.
    """
    return points_change(
        customer=customer, kind=PointsEntry.Kind.ADJUST, points=points, reason=reason, staff=staff
    )
