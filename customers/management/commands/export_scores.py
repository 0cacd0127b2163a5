"""``manage.py export_scores PATH``: every scored customer's CLV figures as CSV."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clvcrm.core.csv_export import csv_rows
from customers.clv_runs import selectors


class Command(BaseCommand):
    help = (
        "Write one CSV row per scored customer: external_id, frequency, recency_days, "
        "age_days, monetary, p_alive, expected_purchases_90d, predicted_clv, historical_clv, "
        "rfm_score, segment (the same file as the staff download)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the CSV file to write (replaced if present)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        rows = 0
        try:
            # newline="" keeps the csv module's CRLF, so the file equals the download.
            with path.open("w", encoding="utf-8", newline="") as out:
                lines = csv_rows(
                    selectors.SCORE_EXPORT_COLUMNS, selectors.customer_score_export_rows()
                )
                out.write(next(lines))
                for line in lines:
                    out.write(line)
                    rows += 1
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from exc
        self.stdout.write(f"Wrote {rows:,} customer score(s) to {path}.")
