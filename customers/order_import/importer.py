"""The order import's orchestration: read a source, validate, batch, write, report.

A source is a CSV file (:func:`import_file`) or records given in code (:func:`import_records`,
the REST API's and webhooks' way); both go through the same checks, rejections, warnings
and writes. The format is documented in the README ("Importing orders"); the services in
``customers.services.order_imports`` are the entry points.
"""

import csv
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clvcrm.core.gc_tuning import fewer_collections
from customers.models import OrderImport
from customers.order_import.batches import Batch, iter_batches
from customers.order_import.columnar import Record, Refused, fast_batch, raw_chunks
from customers.order_import.errors import Rejection, RowReport, RowWarning
from customers.order_import.first_load import FirstLoad
from customers.order_import.formats import ExportFormat
from customers.order_import.formats.base import MappedRow
from customers.order_import.report_spool import ReportSpool
from customers.order_import.rows import ParsedRow, RowParser
from customers.order_import.source import (
    KNOWN_COLUMNS,
    MAX_CELL,
    CsvLayout,
    inspect_file,
    iter_records,
)
from customers.order_import.write_thread import write_batches
from customers.order_import.writer import (
    Counts,
    ImportRecord,
    batch_rows_default,
    prepare,
    record_counts,
    record_report,
    statistics_refresh,
    write_batch,
)

SUMMARY_REJECTIONS = 100
SUMMARY_WARNINGS = 100


@dataclass
class ImportSummary:
    """The outcome of one import: counts, ignored columns, the first rejections and
    warnings, and the currency its amounts were read in."""

    counts: Counts
    dry_run: bool
    ignored_columns: tuple[str, ...]
    currency: str = ""
    # The shop export the file was recognised as (``None``: clvcrm's own format).
    file_format: ExportFormat | None = None
    # What the file was read as, for people ("": clvcrm's format, or records given in code).
    format_label: str = ""
    first_rejections: list[Rejection] = field(default_factory=list)
    first_warnings: list[RowWarning] = field(default_factory=list)

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
        label = self.format_label
        lines = [f"Format: {label} (recognised by its header)."] if label else []
        lines += [
            f"{c.rows:,} row(s) read; {c.rows_rejected:,} rejected.",
            f"Orders: {c.orders_created:,} new, {c.orders_updated:,} updated (status or "
            f"refund), {c.orders_unchanged:,} already imported (unchanged).",
            f"Customers: {c.customers_created:,} new, {c.customers_updated:,} updated.",
        ]
        if c.duplicate_rows:
            lines.append(f"{c.duplicate_rows:,} repeated identical row(s) counted once.")
        if c.rows_warned:
            lines.append(f"{c.rows_warned:,} row(s) imported with a warning.")
        if self.ignored_columns:
            lines.append(f"Ignored unknown column(s): {', '.join(self.ignored_columns)}.")
        if self.nothing_new and c.rows:
            lines.append(f"Nothing new: no order or customer {verb} added or changed.")
        lines.append(f"Amounts were read in {self.currency} (the shop currency, SHOP_CURRENCY).")
        if self.dry_run:
            lines.append("Dry run: nothing was written.")
        return "\n".join(lines)

    def add(self, batch: Batch, counts: Counts) -> list[RowReport]:
        """Add a written batch; return its report lines, in the order of their rows."""
        self.counts.add(counts)
        rejections = sorted(batch.rejections, key=lambda r: r.row)
        warnings = sorted(batch.kept_warnings(), key=lambda w: w.row)
        room = SUMMARY_REJECTIONS - len(self.first_rejections)
        self.first_rejections += rejections[: max(room, 0)]
        room = SUMMARY_WARNINGS - len(self.first_warnings)
        self.first_warnings += warnings[: max(room, 0)]
        return sorted([*rejections, *warnings], key=lambda line: line.row)


OnReport = Callable[[RowReport], None]


@dataclass(frozen=True)
class _Source:
    """Where an import's records come from: a file's layout, or records given in code."""

    columns: dict[str, int]
    ignored: tuple[str, ...]
    records: Callable[[Callable[[int], None] | None], Iterator[Record]]
    file_format: ExportFormat | None = None
    # clvcrm column → the file's column it was read from (shop exports).
    file_columns: dict[str, str] = field(default_factory=dict)
    label: str = ""  # what the file was read as; "": clvcrm's format, or records in code
    bulk: bool = True  # a file: a first load if the shop has no orders; statistics refreshed
    before_write: Callable[[], None] | None = None  # called once, before the first write


def import_file(
    *,
    path: Path,
    dry_run: bool = False,
    order_import: OrderImport | None = None,
    on_rejection: OnReport | None = None,
    on_warning: OnReport | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_rows: int | None = None,
) -> ImportSummary:
    """Import the orders CSV at ``path``; see the README for the format.

    Refuses an unreadable file with :class:`ImportFileError` before writing anything: that
    is the only way it fails for the file's sake; a row it cannot use is rejected, alone or
    with its order. Then streams the rows, validates each, groups them into orders and
    writes batches of about ``batch_rows`` rows (default: :func:`batch_rows_default`), each
    in its own transaction; on PostgreSQL, into a shop without orders, all in one (see
    ``order_import.first_load``). A dry run is the same import in one transaction that is
    rolled back, so it counts exactly what the import would do. Importing the same file
    again creates nothing. Every rejected row is passed to ``on_rejection``, every row
    imported with a warning to ``on_warning`` (and, with ``order_import``, both are
    stored as :class:`~customers.models.ImportRejection` rows). ``on_progress`` receives
    the number of bytes read so far.
    """
    layout = inspect_file(path)
    if layout.file_format is not None:
        source = _export_source(path, layout, layout.file_format)
    else:
        source = _Source(
            layout.columns,
            layout.ignored,
            lambda on_bytes: iter_records(path, layout, on_bytes=on_bytes),
        )
    return _import(source, dry_run, order_import, on_rejection, on_warning, on_progress, batch_rows)


def import_records(
    *,
    records: Iterable[Mapping[str, object]],
    dry_run: bool = False,
    order_import: OrderImport | None = None,
    on_rejection: OnReport | None = None,
    on_warning: OnReport | None = None,
    batch_rows: int | None = None,
    columns: Sequence[str] = KNOWN_COLUMNS,
    before_write: Callable[[], None] | None = None,
) -> ImportSummary:
    """Import orders given as records instead of a file: the REST API's and webhooks' way.

    Each record maps the CSV format's column names to the cell's text (``None`` is an
    empty cell, other values are read as their text); rows of one order are consecutive
    records, as in a file; ``columns`` are the ones they use (a file's header: records of
    orders without lines leave out the line columns, and take the fast lane of one-row
    orders). Everything else is :func:`import_file`'s: the same checks, rejections,
    warnings and writes. Report rows number the records from 1. ``before_write`` is called
    once the first batch is read and checked, just before it is written (if one is).

    Records come a few at a time (an API request, a webhook), often inside the caller's
    transaction: they are written batch by batch, without a first load's table locks
    (which would deadlock with concurrent callers that read those tables while waiting
    for the import's lock) and without the statistics refresh a growing file needs.
    """

    def read(on_bytes: Callable[[int], None] | None) -> Iterator[Record]:
        for number, record in enumerate(records, start=1):
            cells = [record.get(name) for name in columns]
            yield number, ["" if cell is None else str(cell) for cell in cells]

    source = _Source(
        {name: i for i, name in enumerate(columns)}, (), read, bulk=False, before_write=before_write
    )
    return _import(source, dry_run, order_import, on_rejection, on_warning, None, batch_rows)


CLVCRM_COLUMNS = {name: i for i, name in enumerate(KNOWN_COLUMNS)}


def _export_source(path: Path, layout: CsvLayout, export: ExportFormat) -> _Source:
    """A shop's export read as clvcrm records, row for row (``order_import.formats``)."""

    def read(on_bytes: Callable[[int], None] | None) -> Iterator[Record]:
        rows = iter_records(path, layout, on_bytes=on_bytes)
        for row, mapped in export.map_rows(rows, layout.columns):
            yield row, _clvcrm_fields(mapped)

    columns = export.file_columns(layout.columns)
    return _Source(CLVCRM_COLUMNS, (), read, export, columns, export.label)


def _clvcrm_fields(mapped: MappedRow) -> list[str] | csv.Error:
    if isinstance(mapped, csv.Error):
        return mapped
    if isinstance(mapped, dict):
        return [mapped.get(name, "") for name in KNOWN_COLUMNS]
    order_id = mapped[0].order_id if mapped else ""
    return Refused([order_id if n == "order_id" else "" for n in KNOWN_COLUMNS], mapped)


def _import(
    source: _Source,
    dry_run: bool,
    order_import: OrderImport | None,
    on_rejection: OnReport | None,
    on_warning: OnReport | None,
    on_progress: Callable[[int], None] | None,
    batch_rows: int | None,
) -> ImportSummary:
    currency = settings.SHOP_CURRENCY
    parser = RowParser(source.columns, currency, ZoneInfo(settings.TIME_ZONE))
    summary = ImportSummary(
        Counts(), dry_run, source.ignored, currency, source.file_format, source.label
    )
    rows = batch_rows or batch_rows_default()
    order_id_index = source.columns["order_id"]
    export = source.file_format
    file_columns = source.file_columns
    if export is not None and order_import is not None:
        OrderImport.objects.filter(pk=order_import.pk).update(file_format=export.key)

    def read(on_bytes: Callable[[int], None] | None) -> Iterator[Batch]:
        chunks = raw_chunks(source.records(on_bytes), order_id_index, rows)
        for chunk in chunks:
            batch = fast_batch(chunk, parser) or _checked_batch(chunk, parser)
            if file_columns:
                _name_file_columns(batch, file_columns)
            yield prepare(batch)

    writing = _Writing(order_import, dry_run, source.bulk, source.before_write)
    callbacks = {Rejection.KIND: on_rejection, RowWarning.KIND: on_warning}
    with fewer_collections(), writing.report_after() as spool:
        for batch, counts in write_batches(read, writing.write, writing.session, on_progress):
            for line in summary.add(batch, counts):
                if spool is not None:
                    spool.add(line)
                callback = callbacks[line.KIND]
                if callback is not None:
                    callback(line)
    if dry_run and order_import is not None:
        record_counts(order_import, summary.counts)
    return summary


class _Writing:
    """How an import writes its batches: the session around them, and where the report
    and counts go (with the batch, at the first load's end, or after a dry run)."""

    def __init__(
        self,
        order_import: OrderImport | None,
        dry_run: bool,
        bulk: bool,
        before_write: Callable[[], None] | None,
    ) -> None:
        self.order_import = order_import
        self.dry_run = dry_run
        self.bulk = bulk
        self.before_write = before_write
        self.started = timezone.now()
        self.first_load = FirstLoad(order_import)
        self.growing = 0

    def session(self) -> AbstractContextManager:
        if self.dry_run:
            return _rolled_back()
        return self.first_load.session() if self.bulk else nullcontext()

    def write(self, batch: Batch) -> Counts:
        if self.before_write is not None:
            self.before_write()
            self.before_write = None
        record = None
        if self.order_import is not None and not self.dry_run:
            record = ImportRecord(self.order_import, counts=not self.first_load.active)
        rules = self.first_load.rules(batch, self.started)
        counts = write_batch(batch, rules=rules, record=record)
        if self.first_load.active:
            self.first_load.add(counts)
        if self.bulk and not self.dry_run and (counts.orders_created or counts.customers_created):
            self.growing += 1  # statistics go stale only while the tables grow
            statistics_refresh(self.growing)
        return counts

    @contextmanager
    def report_after(self) -> Iterator["ReportSpool | None"]:
        """A dry run's report waits in a temporary file until its transaction is undone."""
        if not (self.dry_run and self.order_import is not None):
            yield None
            return
        with ReportSpool() as spool:
            yield spool
            record_report(self.order_import, spool.lines())


@contextmanager
def _rolled_back() -> Iterator[None]:
    """One transaction for the whole import, undone at its end (a dry run)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _checked_batch(chunk: list[Record], parser: RowParser) -> Batch:
    """The chunk validated row by row, naming every problem (the careful lane)."""
    return next(iter_batches(_parse_records(parser, iter(chunk)), len(chunk) + 1), Batch())


T = TypeVar("T", Rejection, RowWarning)


def _name_file_columns(batch: Batch, columns: dict[str, str]) -> None:
    """Name, in a shop export's report, the file's column a clvcrm column came from."""

    def renamed(line: T) -> T:
        name = columns.get(line.column)
        return dataclasses.replace(line, column=name) if name else line

    batch.rejections = [renamed(r) for r in batch.rejections]
    batch.warnings = [renamed(w) for w in batch.warnings]


def _parse_records(
    parser: RowParser, records: Iterator[Record]
) -> Iterator[tuple[int, ParsedRow | list[Rejection]]]:
    for row, fields in records:
        if isinstance(fields, csv.Error):
            yield row, [Rejection(row, "", "", _csv_problem(fields))]
            continue
        if isinstance(fields, Refused):
            yield row, fields.rejections
            continue
        malformed = parser.width_problem(row, fields)
        yield row, [malformed] if malformed else parser.parse(row, fields)


def _csv_problem(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"cannot be read as CSV: a cell is longer than {MAX_CELL:,} characters"
    return f"cannot be read as CSV: {error}"
