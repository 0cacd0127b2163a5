"""``manage.py seed_demo [--customers N] [--seed S] [--as-of DAY] [--reset | --if-empty]``.

Fills an empty shop with a believable demo: customers, products and two years of orders
drawn from the same purchase and spend models the CLV calculation fits. The generation
lives in ``customers.demo``; this command only wires it to the database and the terminal.
``--reset`` deletes the whole shop first: refused under settings that do not allow it (the
production ones), asked for on a terminal, and needing ``--no-input`` anywhere else.
"""

import sys
import time
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from tqdm import tqdm

from clvcrm.core.arguments import iso_date, positive_int
from customers.demo.loyalty import demo_loyalty_replay, demo_tiers_ensure
from customers.demo.shop import generate_shop
from customers.demo.store import ShopNotEmptyError, demo_shop_customer_count, demo_shop_write

RESET_DELETES = "--reset deletes every order, customer, product and channel of this shop"


class Command(BaseCommand):
    help = "Load a demo shop: customers, products and two years of orders (deterministic)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=positive_int, default=3000, metavar="N", help="default: 3000"
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="same seed, same shop (default: 42)"
        )
        parser.add_argument(
            "--as-of",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="the orders end the day before this date (default: today)",
        )
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--reset",
            action="store_true",
            help="delete every order, customer, product and channel first",
        )
        existing.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (successfully) if the shop already has customers",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="with --reset: do not ask for confirmation (for scripts)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            self._confirm_reset(interactive=options["interactive"])
        started = time.perf_counter()
        as_of: date = options["as_of"] or timezone.localdate()
        count = demo_shop_customer_count()
        if count and not options["reset"]:
            self._refuse(ShopNotEmptyError(count), quietly=options["if_empty"])
            return
        with self._bar(options["customers"], "Generating", "customer") as bar:
            shop = generate_shop(
                customers=options["customers"],
                seed=options["seed"],
                as_of=as_of,
                tz=timezone.get_current_timezone(),
                on_progress=bar.update,
            )
        summary = shop.summary()
        with self._bar(summary.customers + summary.orders + summary.lines, "Writing", "row") as bar:
            try:
                demo_shop_write(
                    shop,
                    replace=options["reset"],
                    currency=settings.SHOP_CURRENCY,
                    on_progress=bar.update,
                )
            except ShopNotEmptyError as exc:  # someone filled the shop while we generated
                self._refuse(exc, quietly=options["if_empty"])
                return
            except (ProtectedError, RestrictedError) as exc:
                raise CommandError(f"cannot reset the shop: {_referrers(exc)}") from exc
        demo_tiers_ensure()
        loyalty = demo_loyalty_replay(as_of)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Seeded the demo shop (seed {options['seed']}, as of {as_of}) in {elapsed:.1f} s:"
        )
        for line in summary.describe(settings.SHOP_CURRENCY):
            self.stdout.write(f"  {line}")
        self.stdout.write(f"  {loyalty.describe()}")

    def _confirm_reset(self, *, interactive: bool) -> None:
        if not settings.DEMO_RESET_ALLOWED:
            raise CommandError(
                f"{RESET_DELETES}: refused under these settings ({settings.SETTINGS_MODULE})"
            )
        if not interactive:
            return
        if not sys.stdin.isatty():
            raise CommandError(f"{RESET_DELETES}: confirm it on a terminal, or pass --no-input")
        answer = input(f"{RESET_DELETES}. Type 'yes' to go on: ")
        if answer.strip().lower() != "yes":
            raise CommandError("reset cancelled: nothing was deleted")

    def _refuse(self, exc: ShopNotEmptyError, *, quietly: bool) -> None:
        if quietly:
            self.stdout.write(f"Not seeding: {exc}.")
            return
        raise CommandError(f"{exc}; use --reset to replace them")

    @staticmethod
    def _bar(total: int, description: str, unit: str) -> tqdm:
        # disable=None hides the bar when stderr is not a terminal (CI, tests, pipes).
        return tqdm(total=total, desc=description, unit=f" {unit}s", disable=None, file=sys.stderr)


def _referrers(exc: ProtectedError | RestrictedError) -> str:
    blocking = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    names = sorted({str(type(obj)._meta.verbose_name_plural) for obj in blocking})
    return f"other data still refers to it ({', '.join(names)}); delete that first"
