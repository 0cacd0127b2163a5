"""Every write of the customers app goes through a function here (``<noun>_<verb>``)."""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clvcrm.core.gc_tuning import fewer_collections
from clvcrm.core.tasks import enqueue_on_commit
from customers.models import ClvRun, OrderImport
from customers.order_import.batches import Batch, iter_batches
from customers.order_import.columnar import fast_batch, raw_chunks
from customers.order_import.errors import ImportFileError, Rejection
from customers.order_import.pipeline import write_batches
from customers.order_import.rows import ParsedRow, RowParser
from customers.order_import.source import inspect_file, iter_records
from customers.order_import.writer import (
    Counts,
    batch_rows_default,
    statistics_refresh,
    write_batch,
)
from customers.scoring.backtest import clv_backtest  # noqa: F401
from customers.scoring.run import default_settings, run_execute, run_start

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
    ``batch_rows`` rows (default: :func:`batch_rows_default`), each in its own transaction.
    Importing the same file again creates nothing. Every rejected row is passed to
    ``on_rejection`` (and, with ``order_import``, stored as an
    :class:`~customers.models.ImportRejection`); the bad rows never block the good ones.
    ``on_progress`` receives the number of bytes read so far.
    """
    layout = inspect_file(path)
    parser = RowParser(layout.columns, settings.SHOP_CURRENCY, ZoneInfo(settings.TIME_ZONE))
    records = iter_records(path, layout, on_bytes=on_progress)
    summary = ImportSummary(Counts(), dry_run, layout.ignored)
    chunks = raw_chunks(records, layout.columns["order_id"], batch_rows or batch_rows_default())
    batches = (fast_batch(chunk, parser) or _checked_batch(chunk, parser) for chunk in chunks)
    growing = 0

    def write(batch: Batch) -> Counts:
        nonlocal growing
        counts = write_batch(batch, dry_run=dry_run, order_import=order_import)
        if not dry_run and (counts.orders_created or counts.customers_created):
            growing += 1  # statistics go stale only while the tables grow
            statistics_refresh(growing)
        return counts

    with fewer_collections():
        for batch, counts in write_batches(batches, write):
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


def clv_recalculate(
    *,
    as_of: date | None = None,
    triggered_by: str = "",
    on_stage: Callable[[str], None] | None = None,
) -> ClvRun:
    """Recalculate every customer's CLV as of the end of ``as_of`` (default: yesterday).

    One SQL aggregate, a model fit, vectorised scoring and one bulk write, recorded as a
    :class:`~customers.models.ClvRun` with parameters and timings. Raises
    :class:`~customers.scoring.run.ClvRunBusyError` while another run is in progress;
    any other failure marks the run failed, leaves the previous scores, and re-raises.
    Re-running the same ``as_of`` over the same orders gives identical numbers.
    """
    as_of = as_of or timezone.localdate() - timedelta(days=1)
    scoring = default_settings()
    run = run_start(as_of, scoring, triggered_by)
    return run_execute(run, scoring, on_stage)
