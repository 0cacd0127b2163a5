"""``manage.py refresh_loyalty [--as-of YYYY-MM-DD]``: what the nightly task runs."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clvcrm.core.arguments import iso_date
from customers.services.loyalty import loyalty_refresh


class Command(BaseCommand):
    help = "Evaluate loyalty tiers; earn, reverse and expire points (idempotent per day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=iso_date, metavar="YYYY-MM-DD", help="default: today")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        run = loyalty_refresh(as_of=options["as_of"])
        tiers = run.tiers
        self.stdout.write(
            f"Loyalty as of {tiers.as_of} in {time.perf_counter() - started:.1f} s: "
            f"{tiers.upgraded:,} upgraded, {tiers.downgraded:,} downgraded, "
            f"{tiers.flagged:,} flagged for a downgrade warning."
        )
        for job in (run.earned, run.reversed, run.expired):
            lines = f"{job.entries:,} lines, {job.points:+,} points"
            self.stdout.write(f"  Points {job.kind}: {lines}.")
