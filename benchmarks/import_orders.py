"""Benchmark ``manage.py import_orders`` on a shop-sized file (default 10M orders, 1M customers).

What is measured, and why:

* **First import** into a freshly migrated, empty PostgreSQL database: the wall time of the
  ``manage.py import_orders FILE`` process (Django start-up included, as an operator sees
  it), rows per second, and the peak resident memory of that process (``ru_maxrss`` from
  ``os.wait4``). The import streams the file, so memory must not grow with the file: RSS is
  also sampled from ``/proc/PID/status`` every 0.5 s and reported at 10 %, 50 % and 90 % of
  the run, next to the peak. CPU time of the import process is reported too: it says how
  much of the wall time is the importer's own work, whatever else runs on the machine.
* **Second import** of the same file: it must report 0 new orders (idempotency) and shows
  what a re-upload of an already imported export costs.
* **The PostgreSQL floor**: a bare ``COPY`` of the same file into an empty table shaped like
  the orders table (same columns, indexes and check constraints; no foreign key, no
  customers). It is what this machine's database needs just to store the rows, so readers
  can tell the importer's own cost from the database's.

The file imitates a shop export (``benchmarks.orders_csv``). The figures go into the
"Order import" section of ``docs/benchmarks.md`` (``benchmarks.import_report``; between this
benchmark's markers, so other benchmarks' sections survive; ``--no-doc`` only prints it).
The import runs with ``DEBUG=false`` (as in production) unless ``--django-debug`` is given.

Usage::

    .venv/bin/python -m benchmarks.import_orders [--rows 10000000] [--customers 1000000]
        [--repeat 1] [--keep-file] [--no-doc]
"""

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from benchmarks.database import (
    BenchmarkError,
    Server,
    add_server_arguments,
    count_rows,
    django_env,
    execute,
    migrate,
)
from benchmarks.import_report import (
    RSS_MARKS,
    SECTION,
    Results,
    Round,
    render_section,
)
from benchmarks.measured_run import Measured, run_measured
from benchmarks.orders_csv import CsvFile, generate_csv
from benchmarks.report import (
    add_report_arguments,
    failure_say,
    load_average,
    machine_announce,
    megabytes,
    say,
    section_publish,
    workdir_release,
)

SAMPLE_EVERY_S = 0.5


FLOOR_TABLE = "bench_copy_floor"
FLOOR_COPY = (
    "COPY {} (customer_id, external_id, placed_at, total, email, country, channel, "
    "marketing_consent) FROM STDIN (FORMAT csv, HEADER true)"
)


def copy_floor(database_url: str, csv_file: CsvFile, currency: str) -> float:
    """Seconds for a bare COPY of the file into an empty copy of the orders table.

    The copy has the orders table's columns, indexes (unique order id included) and check
    constraints; its ``customer_id`` takes the file's numeric customer ids as they are (no
    foreign key, no customers table), and it gets four text columns for the file's customer
    attributes so the file's bytes go to the server unchanged.
    """
    table = sql.Identifier(FLOOR_TABLE)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE customers_order INCLUDING ALL)").format(table))
        conn.execute(
            sql.SQL(
                "ALTER TABLE {} ALTER COLUMN status SET DEFAULT 'completed', "
                "ALTER COLUMN currency SET DEFAULT {}, ALTER COLUMN created_at SET DEFAULT now(), "
                "ADD COLUMN email text, ADD COLUMN country text, ADD COLUMN channel text, "
                "ADD COLUMN marketing_consent boolean"
            ).format(table, sql.Literal(currency))
        )
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        with (
            conn.transaction(),
            conn.cursor() as cursor,
            cursor.copy(sql.SQL(FLOOR_COPY).format(table)) as copy,
            csv_file.path.open("rb") as source,
        ):
            while block := source.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        copied = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        conn.execute(sql.SQL("DROP TABLE {}").format(table))
    if copied is None or copied[0] != csv_file.rows:
        raise RuntimeError(f"the floor COPY stored {copied} rows, expected {csv_file.rows}")
    return seconds


@dataclass(frozen=True)
class Summary:
    """The counts ``import_orders`` prints."""

    rows: int
    rejected: int
    orders_new: int
    orders_unchanged: int
    customers_new: int

    @classmethod
    def parse(cls, text: str) -> "Summary":
        def number(pattern: str) -> int:
            found = re.search(pattern, text)
            if found is None:
                raise RuntimeError(f"no {pattern!r} in the import's output:\n{text}")
            return int(found.group(1).replace(",", ""))

        return cls(
            rows=number(r"([\d,]+) row\(s\) read"),
            rejected=number(r"read; ([\d,]+) rejected"),
            orders_new=number(r"Orders: ([\d,]+) new"),
            orders_unchanged=number(r"([\d,]+) already imported"),
            customers_new=number(r"Customers: ([\d,]+) new"),
        )


def run_round(
    args: argparse.Namespace, server: Server, csv_file: CsvFile, logs: Path, number: int
) -> Round:
    database_url = server.database_uri(args.database)
    env = django_env(database_url, debug=args.django_debug)
    say(f"[round {number}] creating database {args.database} and migrating ...")
    server.recreate(args.database)
    started = time.perf_counter()
    migrate(database_url, debug=args.django_debug)
    migrate_seconds = time.perf_counter() - started
    command = [sys.executable, "manage.py", "import_orders", str(csv_file.path)]
    if args.batch_rows:
        command += ["--batch-rows", str(args.batch_rows)]

    execute(database_url, "CHECKPOINT")
    say(f"[round {number}] first import: {' '.join(command[1:])}")
    first = _run_import(command, env, logs, f"round{number}-first")
    _check_ran(first, "first import")
    say(_describe_run(first, csv_file.rows))
    summary = Summary.parse(first.stdout)
    orders, customers = (
        count_rows(database_url, "customers_order"),
        count_rows(database_url, "customers_customer"),
    )
    say(f"  database: {orders:,} orders, {customers:,} customers")
    if (summary.rejected, orders, customers) != (0, csv_file.rows, csv_file.customers):
        raise BenchmarkError(
            f"first import: expected 0 rejected, {csv_file.rows:,} orders and "
            f"{csv_file.customers:,} customers; got {summary} and {orders:,} orders, "
            f"{customers:,} customers in the database.\n{first.stdout}"
        )

    execute(database_url, "CHECKPOINT")
    say(f"[round {number}] second import of the same file ...")
    second = _run_import(command, env, logs, f"round{number}-second")
    _check_ran(second, "second import")
    say(_describe_run(second, csv_file.rows))
    again = Summary.parse(second.stdout)
    if again.orders_new or again.customers_new or again.orders_unchanged != csv_file.rows:
        raise BenchmarkError(f"second import is not idempotent: {again}\n{second.stdout}")

    say(f"[round {number}] PostgreSQL floor: COPY of the file into an empty orders table ...")
    currency = os.environ.get("SHOP_CURRENCY", "USD").upper()
    floor_seconds = copy_floor(database_url, csv_file, currency)
    say(f"  {floor_seconds:.1f} s, {csv_file.rows / floor_seconds:,.0f} rows/s")
    return Round(first, second, floor_seconds, migrate_seconds)


def _run_import(command: list[str], env: dict[str, str], logs: Path, label: str) -> Measured:
    """The import's own RSS and the PSS of its process tree (it forks a reading child)."""
    return run_measured(command, env, logs, label, sample_every=SAMPLE_EVERY_S, tree=True)


def _check_ran(run: Measured, what: str) -> None:
    if run.returncode:
        tail = "\n".join(run.stderr.splitlines()[-40:])
        signal = f" (killed by signal {-run.returncode})" if run.returncode < 0 else ""
        marks = ", ".join(
            f"{p}% {megabytes(run.rss_at(p / 100))}" for p in RSS_MARKS if run.samples
        )
        raise BenchmarkError(
            f"{what} exited with status {run.returncode}{signal} after {run.seconds:.1f} s "
            f"({run.cpu_seconds:.1f} s CPU, peak RSS {megabytes(run.peak_rss)} MB, peak PSS with "
            f"children {megabytes(run.peak_tree_pss)} MB; RSS (MB) at "
            f"{marks}):\n{run.stdout}\n{tail}"
        )


def _describe_run(run: Measured, rows: int) -> str:
    marks = ", ".join(
        f"{p}% {megabytes(run.rss_at(p / 100))}" for p in range(10, 100, 10) if run.samples
    )
    output = "\n".join(f"    | {line}" for line in run.stdout.strip().splitlines())
    return (
        f"  {run.seconds:.1f} s ({run.cpu_seconds:.1f} s CPU), {rows / run.seconds:,.0f} rows/s, "
        f"peak RSS {megabytes(run.peak_rss)} MB, peak PSS with children "
        f"{megabytes(run.peak_tree_pss)} MB"
        f"\n  RSS (MB) at {marks}\n{output}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000_000, help="orders in the file")
    parser.add_argument("--customers", type=int, default=1_000_000, help="distinct customers")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the report shows medians")
    parser.add_argument("--keep-file", action="store_true", help="keep the CSV file (and logs)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the file")
    parser.add_argument("--batch-rows", type=int, help="passed on to import_orders")
    add_server_arguments(parser, database="clvcrm_bench_import")
    parser.add_argument("--django-debug", action="store_true", help="run with the DEBUG default")
    add_report_arguments(parser)
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    server = Server(args.server)
    box, pg = machine_announce(server)
    workdir = Path(tempfile.mkdtemp(prefix="clvcrm-bench-import-"))
    keep = args.keep_file
    try:
        path = workdir / f"orders-{args.rows}-{args.customers}.csv"
        say(f"Generating {args.rows:,} rows for {args.customers:,} customers ...")
        csv_file = generate_csv(path, args.rows, args.customers, args.seed)
        say(
            f"  {path}: {csv_file.size:,} bytes ({megabytes(csv_file.size)} MB) in "
            f"{csv_file.seconds:.1f} s"
        )
        rounds = []
        for number in range(1, args.repeat + 1):
            try:
                rounds.append(run_round(args, server, csv_file, workdir, number))
            except BenchmarkError:
                raise  # keep the database to look at; the next run drops it
            except BaseException:
                server.drop(args.database)
                raise
            server.drop(args.database)
        box["load_end"] = load_average()
        results = Results(rounds, csv_file)
        section_publish(args, SECTION, render_section(args, results, box, pg))
        return 1 if args.strict and not (results.speed_met and results.memory_met) else 0
    except BenchmarkError as exc:
        keep = True  # the logs say what went wrong
        failure_say(exc, workdir, args.database)
        return 2
    finally:
        workdir_release(workdir, keep=keep)


if __name__ == "__main__":
    sys.exit(main())
