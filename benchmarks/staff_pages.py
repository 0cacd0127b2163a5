"""Benchmark the staff pages at shop size: dashboard, customer list with search, customer 360.

The shop of the CLV benchmark (``benchmarks.shop``: 1M customers, 10M completed orders over
two years, binary ``COPY``) gets names and addresses (one ``UPDATE``), then what the nightly
pipeline leaves behind: a CLV run, the segment reassignment and the dashboard's aggregates,
each through the app's own service (untimed). gunicorn serves ``clvcrm.wsgi`` with the
production settings (static files collected, as in production) on loopback; one keep-alive
connection asks for each page ``--requests`` times after a warm-up, as a staff member (a
Support session) clicking through, and the latency of each answer is measured from the
request sent to the last byte read. The query count of each page comes from the same pages
rendered once in this process under Django's test client.

    .venv/bin/python -m benchmarks.staff_pages                  # 1M customers, 10M orders
    .venv/bin/python -m benchmarks.staff_pages --customers 100000 --orders 1000000 --no-doc
    (--keep-db, then --reuse-db: skip the load and the pipeline's steps)
"""

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import ROOT
from benchmarks.api_server import gunicorn, loopback_production_env
from benchmarks.database import BenchmarkError, Server, add_redis_argument, execute, setup_django
from benchmarks.report import (
    command_line,
    load_average,
    machine_announce,
    machine_line,
    met,
    say,
    section_publish,
)
from benchmarks.shop import shop_time_zone
from benchmarks.shop_load import prepare_database, shop_args, shop_options, shop_parser

SECTION = "staff-pages"
TARGET_P95_S = 0.200
WARM_UP = 5
PG_SETTINGS = ("shared_buffers", "work_mem")
FIRST_NAMES = ("Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas")
LAST_NAMES = ("Smith", "Garcia", "Müller", "Rossi", "Nowak", "Silva", "Kim", "Dubois", "Ivanova")
READY_MARK = "staff_pages_ready"
REUSED = "done by an earlier --keep-db run of this benchmark, untimed here"


@dataclass
class Page:
    """One kind of page: its label, the addresses asked for in turn, what was measured."""

    label: str
    paths: list[str]
    seconds: list[float] = field(default_factory=list)
    queries: int = 0

    def p(self, percent: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def names_write(database: str) -> None:
    """Every customer a first and last name and an address (the search's columns)."""
    firsts = "ARRAY[" + ",".join(f"'{n}'" for n in FIRST_NAMES) + "]"
    lasts = "ARRAY[" + ",".join(f"'{n}'" for n in LAST_NAMES) + "]"
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(
            f"""
            UPDATE customers_customer SET
              first_name = ({firsts})[1 + id % {len(FIRST_NAMES)}],
              last_name = ({lasts})[1 + (id / {len(FIRST_NAMES)}) % {len(LAST_NAMES)}]
                          || (id % 1000)::text,
              email = 'c' || id || '@example.com'
            """
        )
    execute(database, "VACUUM ANALYZE customers_customer")


def pipeline_run(as_of: date) -> dict[str, float]:
    """The nightly steps, in this process, through the services; their seconds."""
    from customers.services.clv_runs import clv_recalculate
    from customers.services.kpis import kpi_aggregates_refresh
    from customers.services.segments import segments_reassign

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    run = clv_recalculate(as_of=as_of, triggered_by="benchmark", customers_per_part=0).run
    seconds["clv_run"] = time.perf_counter() - started
    started = time.perf_counter()
    segments_reassign(run_id=run.pk)
    seconds["segments"] = time.perf_counter() - started
    started = time.perf_counter()
    kpi_aggregates_refresh(as_of=as_of, trigger="benchmark")
    seconds["kpi_aggregates"] = time.perf_counter() - started
    return seconds


def staff_session() -> str:
    """A Support member's session key (as a login leaves it)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = User.objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Support"))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    assert session.session_key is not None
    return session.session_key


def pages_of(customers: int, requests: int, seed: int) -> list[Page]:
    """The addresses: the dashboard's default and preset periods; the list unfiltered and
    searched by first name, last name, address and customer id; random customers' pages."""
    from customers.models import Customer

    picked = random.Random(seed)
    ids = sorted(Customer.objects.order_by("?").values_list("id", "external_id")[:requests])
    searches = [
        "",
        "q=Anna",
        "q=Garcia12",
        "q=Elena+Rossi",
        f"q=c{picked.randint(1, customers)}%40example.com",
        *(f"q={external}" for _, external in ids[:5]),
    ]
    months = ["", "start=2025-01&end=2025-12", "start=2026-01&end=2026-03"]
    listed = [f"/customers/?{searches[i % len(searches)]}" for i in range(requests)]
    return [
        Page("Dashboard", [f"/?{months[i % len(months)]}" for i in range(requests)]),
        Page("Customer list", listed),
        Page("Customer 360", [f"/customers/{pk}/" for pk, _ in ids]),
    ]


def queries_count(pages: list[Page]) -> None:
    """Each page's queries, rendered once in this process by the test client."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(User.objects.get(username="bench-staff"))
    for page in pages:
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(page.paths[1], SERVER_NAME="127.0.0.1")
        if answer.status_code != 200:
            raise BenchmarkError(f"{page.paths[1]} answered {answer.status_code}")
        page.queries = len(captured)


def measure(url: str, session: str, pages: list[Page]) -> None:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Cookie": f"sessionid={session}", "Host": "127.0.0.1"}
    for page in pages:
        for number, path in enumerate([*page.paths[:WARM_UP], *page.paths]):
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            answer = connection.getresponse()
            answer.read()
            took = time.perf_counter() - started
            if answer.status != 200:
                raise BenchmarkError(f"{path} answered {answer.status}")
            if number >= WARM_UP:
                page.seconds.append(took)
        say(
            f"  {page.label}: p50 {page.p(50) * 1000:.0f} ms, p95 {page.p(95) * 1000:.0f} ms, "
            f"{page.queries} queries; load average {load_average()}"
        )


def collect_static(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BenchmarkError(f"collectstatic failed:\n{done.stderr}")


def render_section(
    args: argparse.Namespace,
    pages: list[Page],
    facts: dict[str, Any],
    steps: dict[str, float],
    box: dict[str, str],
    pg: dict[str, str],
) -> str:
    rows = [
        f"| {page.label} | {page.p(50) * 1000:.0f} | {page.p(95) * 1000:.0f} | "
        f"{max(page.seconds) * 1000:.0f} | {page.queries} | < {TARGET_P95_S * 1000:.0f} ms | "
        f"{met(page.p(95) < TARGET_P95_S)} |"
        for page in pages
    ]
    prepared = ", ".join(f"{name.replace('_', ' ')} {s:.0f} s" for name, s in steps.items())
    return "\n".join(
        [
            "## Staff pages",
            "",
            f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by "
            f"`benchmarks/staff_pages.py` ({args.requests} requests of each page after "
            f"{WARM_UP} to warm up, one keep-alive connection, one after the other).",
            "",
            machine_line(box, pg, PG_SETTINGS),
            f"- **Data:** the shop of `benchmarks/clv_recalculation.py`: "
            f"{facts['customers']:,} customers, {facts['orders']:,} completed orders over two "
            "years, with names and addresses; then, through the app's services, a CLV run, "
            f"the segment reassignment and the dashboard's aggregates ({prepared or REUSED}).",
            f"- **Server:** gunicorn, {args.workers} sync workers, the production settings "
            "(DEBUG off, static files collected) on 127.0.0.1; a Support member's session.",
            "- **Pages:** the dashboard with its default period (last month) and two longer "
            "ones; the customer list unfiltered and searched by first name, last name, name "
            "words, address and customer id; the customer page of random customers (profile, "
            "orders, value, segment, loyalty, notes and tasks, and the panels of the other "
            "apps).",
            "",
            "| page | p50 ms | p95 ms | slowest ms | queries | target (p95) | |",
            "|---|---:|---:|---:|---:|---|---|",
            *rows,
            "",
            "The queries are counted once per page under Django's test client on the same "
            "database (the customer list's search varies little: one page, one capped count).",
            "",
            f"Reproduce: `make bench-pages`, i.e. `{command_line('staff_pages', *options(args))}` "
            "(add `--keep-db`, then `--reuse-db` to skip the load and the pipeline's steps).",
        ]
    )


def options(args: argparse.Namespace) -> list[str]:
    chosen = shop_options(args)
    if args.requests != 60:
        chosen.append(f"--requests {args.requests}")
    if args.workers != 2:
        chosen.append(f"--workers {args.workers}")
    return chosen


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = shop_parser((__doc__ or "").split("\n\n")[0], database="clvcrm_bench_pages")
    parser.add_argument("--requests", type=int, default=60, help="requests of each page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    add_redis_argument(parser, db=12, use="Redis for the server's cache and broker")
    args = shop_args(parser, argv)
    if args.requests < 10 or args.workers < 1:
        parser.error("need --requests >= 10 and --workers >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    server = Server(args.server)
    box, pg = machine_announce(server)
    database_url = server.database_url(args.database)
    env = loopback_production_env(server.database_uri(args.database), args.redis)
    try:
        as_of, facts, _ = prepare_database(args, server, shop_time_zone())
        # The server's key in this process too: the session made here must be valid there.
        os.environ.update({k: env[k] for k in ("CELERY_BROKER_URL", "CACHE_URL", "SECRET_KEY")})
        steps: dict[str, float] = {}
        meta = json.loads(server.comment(args.database) or "{}")
        setup_django(server.database_uri(args.database))
        if not meta.get(READY_MARK):
            say("Names and addresses, then the CLV run, the segments and the aggregates ...")
            names_write(database_url)
            steps = pipeline_run(as_of)
            # A --reuse-db run finds the shop as the pipeline left it.
            server.set_comment(args.database, json.dumps({**meta, READY_MARK: True}))
        session = staff_session()
        pages = pages_of(facts["customers"], args.requests, args.seed)
        queries_count(pages)
        from django.db import connections

        connections.close_all()
        collect_static(env)
        say(f"Measuring {args.requests} requests of each page ...")
        with (
            tempfile.TemporaryDirectory(prefix="clvcrm-bench-pages-") as workdir,
            gunicorn(env, args.workers, Path(workdir) / "gunicorn.log") as (url, _),
        ):
            measure(url, session, pages)
        box["load_end"] = load_average()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            server.drop(args.database)
    section_publish(args, SECTION, render_section(args, pages, facts, steps, box, pg))
    missed = any(page.p(95) >= TARGET_P95_S for page in pages)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
