"""Benchmark order ingestion through ``POST /api/v1/orders/`` against the CSV import.

Issue 11: "order ingestion through the API on PostgreSQL, orders per second in batches of
500 from a second process on loopback, against the CSV import's rate in the same run.
Target: at least half the CSV rate."

What is measured, and why:

* **The shop**: a fresh database, migrated, loaded with a base of orders by
  ``manage.py import_orders`` and analysed, so that neither path is a first load into an
  empty shop (the API never is).
* **CSV**: ``manage.py import_orders PART`` of a part of new orders, as a subprocess;
  its rate is that of the import itself, the wall time less Django's start-up, which is
  the same command on a file of no rows, timed in the same round.
* **API**: gunicorn serving ``clvcrm.wsgi`` with the production settings on 127.0.0.1 and
  ``benchmarks.api_client`` in a process of its own posting another part of the same shape
  in batches, over one connection and over two at once, with one and two workers. From the
  first request to the last answer; every answer must be a success with every order
  created, and the database must hold exactly the orders sent.

All parts come from one generated file (``benchmarks.orders_csv``) cut in time order, so
each path gets new orders of the same customers and some new customers. Each round takes
new parts and rotates the order of the paths; the report shows medians, and the CSV rate
of the same run is what the API is compared with (the machine is shared and noisy).

Usage::

    .venv/bin/python -m benchmarks.api_ingestion [--base 200000] [--orders 100000]
        [--repeat 3] [--workers 1,2] [--connections 1,2] [--no-doc]
"""

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.api_client import TOKEN_VARIABLE
from benchmarks.api_report import (
    SECTION,
    ApiRun,
    Config,
    CsvRun,
    Results,
    Round,
    render_section,
)
from benchmarks.api_server import backends_cpu, gunicorn, tree_cpu
from benchmarks.database import (
    BenchmarkError,
    Server,
    add_redis_argument,
    add_server_arguments,
    count_rows,
    django_env,
    execute,
    migrate,
    purge_queue,
    setup_django,
)
from benchmarks.import_orders import Summary
from benchmarks.measured_run import Measured, run_measured
from benchmarks.orders_csv import HEADER, csv_split, generate_csv
from benchmarks.report import (
    add_report_arguments,
    failure_say,
    load_average,
    machine_announce,
    say,
    section_publish,
    workdir_release,
)

SAMPLE_EVERY_S = 0.5
THROTTLE_RATE = "1000000/minute"  # counted, never reached: the benchmark measures the import
ORDERS_PER_CUSTOMER = 10  # the whole file's, as in the import benchmark


class Bench:
    """The run's database, environment, token and working directory."""

    def __init__(self, args: argparse.Namespace, server: Server, workdir: Path) -> None:
        self.args = args
        self.database_uri = server.database_uri(args.database)
        self.workdir = workdir
        # Both paths run with the production settings, the broker and cache in Redis.
        self.env = {
            **django_env(self.database_uri),
            "DJANGO_SETTINGS_MODULE": "clvcrm.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "http://127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "API_TOKEN_THROTTLE_RATE": THROTTLE_RATE,
            "API_CLIENT_IP_THROTTLE_RATE": THROTTLE_RATE,
            "CACHE_URL": args.redis,
            "CELERY_BROKER_URL": args.redis,
        }
        self.token = ""
        self.orders = 0  # in the database, as the benchmark expects

    def run(self, command: list[str], label: str, env: dict[str, str] | None = None) -> Measured:
        return run_measured(
            command, env or self.env, self.workdir, label, sample_every=SAMPLE_EVERY_S, tree=True
        )

    def import_csv(self, path: Path, label: str) -> tuple[Measured, Summary]:
        execute(self.database_uri, "CHECKPOINT")
        run = self.run([sys.executable, "manage.py", "import_orders", str(path)], label)
        if run.returncode:
            raise BenchmarkError(f"{label}: import_orders exited {run.returncode}:\n{run.stderr}")
        return run, Summary.parse(run.stdout)

    def expect_orders(self, added: int, what: str) -> None:
        self.orders += added
        found = count_rows(self.database_uri, "customers_order")
        if found != self.orders:
            raise BenchmarkError(f"{what}: {found:,} orders in the database, not {self.orders:,}")


def prepare(bench: Bench, server: Server, base: Path) -> tuple[int, int]:
    """A fresh database with the base shop, analysed, and a token; (orders, customers)."""
    args = bench.args
    say(f"Creating {args.database}, migrating, importing the base of {args.base:,} orders ...")
    server.recreate(args.database)
    migrate(bench.database_uri)
    run, summary = bench.import_csv(base, "base")
    if summary.rejected or summary.orders_new != args.base:
        raise BenchmarkError(f"the base import: {summary}\n{run.stdout}")
    bench.expect_orders(args.base, "the base import")
    say(f"  {run.seconds:.1f} s; {summary.customers_new:,} customers; VACUUM ANALYZE ...")
    execute(bench.database_uri, "VACUUM ANALYZE")
    bench.token = _token(bench.database_uri)
    return args.base, summary.customers_new


def _token(database_uri: str) -> str:
    """A token of a staff user in the Support group (the group the migrations create)."""
    setup_django(database_uri)
    from django.contrib.auth.models import Group, User
    from django.db import connections

    from clvcrm.core.api_tokens import api_token_create

    user = User.objects.create_user("bench-api", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    _, token = api_token_create(user=user, name="api_ingestion benchmark")
    connections.close_all()
    return token


def csv_round(bench: Bench, part: Path, empty: Path, number: int) -> tuple[CsvRun, int]:
    """The CSV path of one round, and the customers new in its part."""
    startup = bench.run([sys.executable, "manage.py", "import_orders", str(empty)], "startup")
    if startup.returncode:
        raise BenchmarkError(f"import_orders of no rows exited {startup.returncode}")
    run, summary = bench.import_csv(part, f"round{number}-csv")
    if summary.rejected or summary.orders_new != bench.args.orders:
        raise BenchmarkError(f"round {number}, CSV: {summary}\n{run.stdout}")
    bench.expect_orders(summary.orders_new, f"round {number}, CSV")
    result = CsvRun(run.seconds, startup.seconds, run.cpu_seconds)
    if result.net <= 0:
        raise BenchmarkError(
            f"round {number}, CSV: the import ({run.seconds:.1f} s) took no longer than its "
            f"start-up ({startup.seconds:.1f} s); give it more --orders to measure"
        )
    say(
        f"  CSV: {run.seconds:.1f} s wall, start-up {startup.seconds:.1f} s: "
        f"{bench.args.orders / result.net:,.0f} orders/s ({summary.customers_new:,} new customers)"
    )
    return result, summary.customers_new


def api_round(bench: Bench, part: Path, config: Config, number: int) -> ApiRun:
    """The API path of one round in one configuration: a server started for it."""
    label = f"round{number}-api-{config.workers}w{config.connections}c"
    log = bench.workdir / f"{label}-gunicorn.log"
    with gunicorn(bench.env, config.workers, log) as (url, master):
        execute(bench.database_uri, "CHECKPOINT")
        workers_cpu = tree_cpu(master)
        client = [
            sys.executable,
            "-m",
            "benchmarks.api_client",
            url,
            str(part),
            "--batch",
            str(bench.args.batch),
            "--connections",
            str(config.connections),
        ]
        run = bench.run(client, f"{label}-client", env={**os.environ, TOKEN_VARIABLE: bench.token})
        server_cpu = tree_cpu(master) - workers_cpu
        database_cpu = backends_cpu(bench.database_uri)
    if run.returncode:
        raise BenchmarkError(f"{label}: the client exited {run.returncode}:\n{run.stderr}")
    tally = json.loads(run.stdout.strip().splitlines()[-1])
    statuses = {int(code): n for code, n in tally["statuses"].items()}
    if (
        set(statuses) - {200, 201}
        or tally["errors"]
        or tally["outcomes"] != {"created": bench.args.orders}
    ):
        raise BenchmarkError(
            f"{label}: answers {statuses}, outcomes {tally['outcomes']}, {tally['errors']} "
            f"errors (expected {bench.args.orders:,} created): {tally['first_problem']}"
        )
    bench.expect_orders(bench.args.orders, label)
    result = ApiRun(
        tally["seconds"],
        tally["requests"],
        server_cpu,
        database_cpu,
        run.cpu_seconds,
        tally["slowest"],
        tally["warnings"],
    )
    say(
        f"  API, {config.label}: {result.seconds:.1f} s, "
        f"{bench.args.orders / result.seconds:,.0f} orders/s, {result.requests} requests "
        f"(slowest {result.slowest:.2f} s); CPU s server {server_cpu:.1f}, PostgreSQL "
        f"{database_cpu:.1f}, client {run.cpu_seconds:.1f}"
    )
    return result


def measure(bench: Bench, parts: list[Path], empty: Path) -> tuple[list[Round], list[int]]:
    """Every round: the CSV part and each configuration's, in rotated order."""
    args = bench.args
    configs = [Config(w, c) for w in args.workers for c in args.connections]
    paths: list[Config | None] = [None, *configs]  # None: the CSV import
    rounds, new_customers = [], []
    todo = iter(parts)
    for number in range(1, args.repeat + 1):
        shift = (number - 1) % len(paths)
        order = paths[shift:] + paths[:shift]
        say(f"[round {number}] " + " → ".join("CSV" if p is None else p.label for p in order))
        csv_run: CsvRun | None = None
        api: dict[Config, ApiRun] = {}
        for path in order:
            if path is None:
                csv_run, new = csv_round(bench, next(todo), empty, number)
                new_customers.append(new)
            else:
                api[path] = api_round(bench, next(todo), path, number)
        assert csv_run is not None
        rounds.append(
            Round(
                csv_run,
                {c: api[c] for c in configs},
                ["CSV" if p is None else p.label for p in order],
            )
        )
    return rounds, new_customers


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--base", type=int, default=200_000, help="orders in the base shop")
    parser.add_argument("--orders", type=int, default=100_000, help="orders per path and round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the report shows medians")
    parser.add_argument("--workers", type=_numbers, default=[1, 2], help="gunicorn workers: 1,2")
    parser.add_argument(
        "--connections", type=_numbers, default=[1, 2], help="client connections at once: 1,2"
    )
    parser.add_argument("--batch", type=int, default=500, help="orders per request")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the orders")
    add_redis_argument(parser, db=10, use="Redis for the server's cache and broker, queue purged")
    parser.add_argument("--keep-file", action="store_true", help="keep the CSV files and logs")
    add_server_arguments(parser, database="clvcrm_bench_api")
    add_report_arguments(parser)
    args = parser.parse_args(argv)
    if min(args.base, args.orders, args.repeat, args.batch) < 1:
        parser.error("--base, --orders, --repeat and --batch must be at least 1")
    return args


def _numbers(text: str) -> list[int]:
    numbers = [int(n) for n in text.split(",")]
    if min(numbers) < 1:
        raise argparse.ArgumentTypeError("each must be at least 1")
    return numbers


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    server = Server(args.server)
    box, pg = machine_announce(server)
    workdir = Path(tempfile.mkdtemp(prefix="clvcrm-bench-api-"))
    bench = Bench(args, server, workdir)
    keep = args.keep_file
    paths_per_round = 1 + len(args.workers) * len(args.connections)
    counts = [args.base] + [args.orders] * (paths_per_round * args.repeat)
    try:
        rows = sum(counts)
        customers = max(1, rows // ORDERS_PER_CUSTOMER)
        say(f"Generating {rows:,} orders of {customers:,} customers ...")
        csv_file = generate_csv(workdir / "orders.csv", rows, customers, args.seed)
        base, *parts = csv_split(csv_file, counts, workdir)
        csv_file.path.unlink()
        empty = workdir / "empty.csv"
        empty.write_text(HEADER)
        base_orders, base_customers = prepare(bench, server, base)
        rounds, new_customers = measure(bench, parts, empty)
        box["load_end"] = load_average()
        results = Results(
            rounds,
            args.orders,
            base_orders,
            base_customers,
            count_rows(bench.database_uri, "customers_customer"),
            new_customers,
        )
        minutes = (time.perf_counter() - began) / 60
        section_publish(args, SECTION, render_section(args, results, box, pg, minutes))
        server.drop(args.database)
        return 1 if args.strict and not results.met else 0
    except BenchmarkError as exc:
        keep = True
        failure_say(exc, workdir, args.database)
        return 2
    except BaseException:
        server.drop(args.database)
        raise
    finally:
        purge_queue(args.redis)
        workdir_release(workdir, keep=keep)


if __name__ == "__main__":
    sys.exit(main())
