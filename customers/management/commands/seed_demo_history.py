"""``manage.py seed_demo_history [--months N]``: the demo shop's last year.

A CLV run and a segment reassignment as of each month end (``customers.demo.history``),
so the trend charts have a past, written once (a second call does nothing); and the
marketing spend of those months per paid channel (``customers.demo.spend``), so CAC has
figures (written again, it changes nothing).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from clvcrm.core.arguments import positive_int
from customers.demo.history import demo_history_write
from customers.demo.spend import demo_spend_write
from customers.models import ClvRun


class Command(BaseCommand):
    help = "Give the demo shop a CLV run as of each month end of the last year."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--months", type=positive_int, default=12, metavar="N", help="default: 12"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def said(run: ClvRun) -> None:
            self.stdout.write(f"  CLV run as of {run.as_of}: {run.get_status_display()}")

        today = timezone.localdate()
        spend = demo_spend_write(months=options["months"], today=today)
        self.stdout.write(f"Marketing spend: {spend.created} months and channels entered.")
        runs = demo_history_write(months=options["months"], today=today, on_run=said)
        if not runs:
            self.stdout.write("The demo history is there already.")
            return
        self.stdout.write(self.style.SUCCESS(f"{len(runs)} past CLV runs written."))
