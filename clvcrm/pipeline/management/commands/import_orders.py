"""``manage.py import_orders PATH [--dry-run] [--report PATH]``; then what follows an import."""

import csv
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from clvcrm.core.csv_export import safe_row
from clvcrm.pipeline.tasks import then_order_import
from customers.models import OrderImport
from customers.order_import.errors import ImportFileError, RowReport
from customers.order_import.importer import ImportSummary
from customers.services.order_imports import order_import_finish, orders_import


class Command(BaseCommand):
    help = "Import orders (and their customers and products) from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the CSV file (format: see README)")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate everything, write nothing"
        )
        parser.add_argument(
            "--report",
            type=Path,
            help="write every rejected row, and every row imported with a warning, to this CSV",
        )
        parser.add_argument(
            "--batch-rows",
            type=int,
            help="rows per transaction (default 20,000 on PostgreSQL, 10,000 otherwise)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        report_path: Path | None = options["report"]
        dry_run: bool = options["dry_run"]
        report = report_path.open("w", newline="", encoding="utf-8") if report_path else None
        writer = csv.writer(report) if report else None
        if writer:
            writer.writerow(RowReport.REPORT_HEADER)
        currency = settings.SHOP_CURRENCY
        self.stderr.write(f"Amounts are read in {currency} (the shop currency, SHOP_CURRENCY).")
        # No monitor thread: the import forks its reader only from a single-threaded
        # process (customers.order_import.reader_process).
        tqdm.monitor_interval = 0
        bar = tqdm(
            total=path.stat().st_size if path.is_file() else 0,
            unit="B",
            unit_scale=True,
            desc="Importing",
            disable=None,
            file=sys.stderr,
        )

        def progress(done: int) -> None:
            bar.update(done - bar.n)

        order_import = (
            None
            if dry_run
            else OrderImport.objects.create(
                file_name=OrderImport.file_name_of(path.name),
                status=OrderImport.Status.RUNNING,
                started_at=timezone.now(),
                currency=currency,
            )
        )
        # Cells a spreadsheet would run as formulas are neutralised, as in the web download.
        to_report = (lambda r: writer.writerow(safe_row(r.as_report_row()))) if writer else None
        try:
            summary = orders_import(
                path=path,
                dry_run=dry_run,
                order_import=order_import,
                on_progress=progress,
                on_rejection=to_report,
                on_warning=to_report,
                batch_rows=options["batch_rows"],
            )
        except ImportFileError as exc:
            if order_import:
                order_import_finish(
                    order_import=order_import,
                    status=OrderImport.Status.FAILED,
                    error=str(exc),
                )
            raise CommandError(f"{path}: {exc}") from exc
        except BaseException as exc:
            if order_import:
                order_import_finish(
                    order_import=order_import,
                    status=OrderImport.Status.FAILED,
                    error=f"interrupted: {exc!r}",
                )
            raise
        finally:
            bar.close()
            if report:
                report.close()
        if order_import:
            order_import_finish(
                order_import=order_import,
                status=OrderImport.Status.SUCCEEDED,
                ignored=list(summary.ignored_columns),
            )
            then_order_import(order_import)
        self._print(summary, report_path)

    def _print(self, summary: ImportSummary, report_path: Path | None) -> None:
        self.stdout.write(summary.describe())
        counts = summary.counts
        self._lines("Rejected rows", summary.first_rejections, counts.rows_rejected, "rejected")
        self._lines(
            "Rows imported with a warning", summary.first_warnings, counts.rows_warned, "warned"
        )
        if report_path:
            self.stdout.write(f"Report of every rejected row and warning: {report_path}")

    def _lines(self, title: str, lines: list, rows: int, what: str) -> None:
        if not lines:
            return
        self.stdout.write(f"{title} (row, column, reason):")
        for r in lines:
            column = f"{r.column} {r.value!r}" if r.column else "(row)"
            self.stdout.write(f"  row {r.row}: {column}: {r.reason}")
        more = rows - len({r.row for r in lines})
        if more > 0:
            self.stdout.write(f"  ... and {more:,} more {what} row(s).")
