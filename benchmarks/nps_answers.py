"""Benchmark: survey answers through the public answer page, under gunicorn with PostgreSQL.

A scratch database gets a shop of customers with scores and default segments (binary
``COPY`` and ``INSERT ... SELECT``, untimed), a survey made by the app's service, and
enough invitations for every round (salts and hashes made by ``feedback.tokens``, the raw
tokens kept in files for the client). gunicorn serves ``clvcrm.wsgi`` with the production
settings on loopback, the cache (the answer page's rate limits) in Redis; the load comes
from ``benchmarks.nps_client`` in a second process. Each round posts a fresh set of
answers (each token once), and, as the floor measured in the same run, as many posts with
a malformed token: the same middleware, CSRF check, rate limit and page rendering, but no
query. After every round the database must hold exactly one response per answer posted.

    .venv/bin/python -m benchmarks.nps_answers                 # the full run (3 rounds)
    .venv/bin/python -m benchmarks.nps_answers --posts 1000 --no-doc   # a quick check
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.api_server import backends_cpu, gunicorn, loopback_production_env, tree_cpu
from benchmarks.campaign_data import clv_run_made, customers_load, scores_write
from benchmarks.database import (
    BenchmarkError,
    Server,
    add_redis_argument,
    add_server_arguments,
    count_rows,
    execute,
    migrate,
    setup_django,
)
from benchmarks.measured_run import run_measured
from benchmarks.report import (
    add_report_arguments,
    command_line,
    failure_say,
    load_average,
    machine_announce,
    machine_line,
    medians_text,
    met,
    say,
    seconds_list,
    section_publish,
    workdir_release,
)

SECTION = "nps_answers"
TARGET_PER_SECOND = 300
TARGET_P95_S = 0.100
PG_SETTINGS = ("shared_buffers", "synchronous_commit")


@dataclass
class Round:
    """One round's two runs of the client: the answers and the floor."""

    answers: dict[str, Any]
    floor: dict[str, Any]
    server_cpu: float  # gunicorn's workers, answers run only
    database_cpu: float  # their PostgreSQL backends, answers run only
    client_cpu: float

    @property
    def rate(self) -> float:
        return float(self.answers["posts"] / self.answers["seconds"])

    @property
    def floor_rate(self) -> float:
        return float(self.floor["posts"] / self.floor["seconds"])


@dataclass
class Bench:
    """The run's settings, database, environment and files."""

    args: argparse.Namespace
    server: Server
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    page_token: str = ""
    rounds: list[Round] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.server.database_url(self.args.database)

    @property
    def database_uri(self) -> str:
        return self.server.database_uri(self.args.database)


def server_env(bench: Bench) -> dict[str, str]:
    """Production settings on loopback, one trusted proxy: the client says each post's
    address in ``X-Forwarded-For``."""
    return loopback_production_env(bench.database_uri, bench.args.redis, TRUSTED_PROXY_COUNT="1")


def prepare(bench: Bench) -> list[Path]:
    """The database, the survey and its invitations; one token file per round."""
    args = bench.args
    say(f"Creating {args.database}: {args.customers:,} customers with scores and segments ...")
    bench.server.recreate(args.database)
    os.environ.update(bench.env)  # migrate and Django in this process: the server's settings
    migrate(bench.database_uri)
    customers_load(bench.database_url, args.customers)
    setup_django(bench.database_uri)
    as_of = date.today()
    run_id = clv_run_made(as_of)
    scores_write(bench.database_url, run_id=run_id, as_of=as_of)
    _segments_write(bench.database_url, run_id)
    survey_id = _survey_made()
    tokens = _invitations_write(bench.database_url, survey_id, args.posts * args.repeat + 1)
    bench.page_token = tokens.pop()  # only its page is loaded, never answered
    execute(bench.database_url, "VACUUM ANALYZE")
    files = []
    for number in range(args.repeat):
        path = bench.workdir / f"tokens-{number + 1}.txt"
        path.write_text("\n".join(tokens[number * args.posts : (number + 1) * args.posts]))
        files.append(path)
    return files


def _segments_write(database: str, run_id: int) -> None:
    """Every customer in a default segment (high value for half, low for the rest)."""
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO customers_customersegment "
            "(customer_id, segment_id, reason, run_id, since) "
            "SELECT c.id, s.id, 'benchmark', %s, now() FROM customers_customer c "
            "JOIN customers_segment s ON s.code = CASE WHEN c.id %% 2 = 0 "
            "THEN 'high_value' ELSE 'low_value' END",
            [run_id],
        )


def _survey_made() -> int:
    from feedback.services.surveys import survey_create

    survey = survey_create(fields={"name": "Benchmark survey", "trigger": "manual"})
    return survey.pk


def _invitations_write(database: str, survey_id: int, count: int) -> list[str]:
    """``count`` invitations of customers 1..count, as the invitation step makes them; the
    raw tokens (which the emails would carry)."""
    from feedback.tokens import salt_new, token_hash, token_of

    now = datetime.now().astimezone()
    tokens, rows = [], []
    for customer_id in range(1, count + 1):
        salt = salt_new()
        token = token_of(salt)
        tokens.append(token)
        rows.append((survey_id, customer_id, salt, token_hash(token), "benchmark", now))
    with psycopg.connect(database, autocommit=True) as conn, conn.cursor() as cursor:
        copy_sql = (
            "COPY feedback_invitation (survey_id, customer_id, salt, token_hash, trigger_ref, "
            "created_at, expires_at) FROM STDIN"
        )
        with cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row((*row, now + timedelta(days=30)))
    return tokens


def client_run(bench: Bench, url: str, source: str, label: str, first: int) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.nps_client",
        url,
        source,
        "--connections",
        str(bench.args.connections),
        "--page-token",
        bench.page_token,
        "--first-number",
        str(first),
    ]
    run = run_measured(command, dict(os.environ), bench.workdir, label, sample_every=1.0)
    if run.returncode:
        output = run.stdout + run.stderr
        raise BenchmarkError(f"{label}: the client exited {run.returncode}:\n{output}")
    tally: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    tally["client_cpu"] = run.cpu_seconds
    return tally


def measure(bench: Bench, files: list[Path]) -> None:
    """Every round under one gunicorn: the floor and the answers, in alternating order."""
    args = bench.args
    log = bench.workdir / "gunicorn.log"
    with gunicorn(bench.env, args.workers, log) as (url, master):
        for number, path in enumerate(files, start=1):
            execute(bench.database_url, "CHECKPOINT")
            first = number * 2 * args.posts  # each post its own client address
            floor_first = number % 2 == 1
            if floor_first:
                floor = client_run(bench, url, f"malformed:{args.posts}", f"floor{number}", first)
            workers, database = tree_cpu(master), backends_cpu(bench.database_url)
            answers = client_run(bench, url, str(path), f"answers{number}", first + args.posts)
            server_cpu = tree_cpu(master) - workers
            database_cpu = backends_cpu(bench.database_url) - database
            if not floor_first:
                floor = client_run(bench, url, f"malformed:{args.posts}", f"floor{number}", first)
            stored = count_rows(bench.database_url, "feedback_response")
            if stored != number * args.posts:
                raise BenchmarkError(f"{stored:,} responses stored, {number * args.posts:,} posted")
            done = Round(answers, floor, server_cpu, database_cpu, answers["client_cpu"])
            bench.rounds.append(done)
            say(
                f"  round {number}: answers {done.rate:,.0f}/s, p95 "
                f"{answers['p95'] * 1000:.1f} ms; floor {done.floor_rate:,.0f}/s, p95 "
                f"{floor['p95'] * 1000:.1f} ms; load average {load_average()}"
            )


def render_section(bench: Bench, box: dict[str, str], pg: dict[str, str]) -> str:
    args, rounds = bench.args, bench.rounds
    rate = statistics.median(r.rate for r in rounds)
    p95 = statistics.median(r.answers["p95"] for r in rounds)
    floor_rate = statistics.median(r.floor_rate for r in rounds)
    floor_p95 = statistics.median(r.floor["p95"] for r in rounds)
    per_answer = {
        "gunicorn workers": statistics.median(r.server_cpu / r.answers["posts"] for r in rounds),
        "PostgreSQL": statistics.median(r.database_cpu / r.answers["posts"] for r in rounds),
        "client": statistics.median(r.client_cpu / r.answers["posts"] for r in rounds),
    }
    cpu = ", ".join(f"{name} {seconds * 1000:.2f} ms" for name, seconds in per_answer.items())

    def ms(values: Sequence[float]) -> str:
        return seconds_list([v * 1000 for v in values], 1)

    return "\n".join(
        [
            "## NPS answers",
            "",
            f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by "
            f"`benchmarks/nps_answers.py` ({args.repeat} rounds of {args.posts:,} answers; "
            f"{medians_text(args.repeat, 'round')}).",
            "",
            machine_line(box, pg, PG_SETTINGS),
            f"- **Server:** gunicorn, {args.workers} sync workers, the production settings "
            "(DEBUG off, CSRF on, the cache in Redis) on 127.0.0.1 over HTTP; "
            "PostgreSQL on the same machine.",
            f"- **Load:** `benchmarks/nps_client.py` in a second process, {args.connections} "
            "keep-alive connections at once, each loading one answer page first (the CSRF "
            "cookie and form token, as a browser does) and then posting answers: scores "
            "in a shop's mix (50 % promoters, 30 % passives, 20 % detractors, NPS +30: "
            "each detractor's answer also opens a follow-up task), a comment on every third, "
            "each from its own client address "
            "(`X-Forwarded-For` behind one trusted proxy), so the per-address and "
            "per-invitation limits are counted in Redis but never reached.",
            f"- **Data:** {args.customers:,} customers with scores and default segments (the "
            "response copies the customer's segment, tier, predicted CLV and P(alive)); one "
            f"survey with {args.posts * args.repeat:,} invitations, each answered once. After "
            "each round the database held exactly one response per answer posted.",
            "",
            "| | median | every round | target | |",
            "|---|---:|---|---|---|",
            f"| Answers stored per second | {rate:,.0f} | "
            f"{seconds_list([r.rate for r in rounds], 0)} | ≥ {TARGET_PER_SECOND} | "
            f"{met(rate >= TARGET_PER_SECOND)} |",
            f"| p95 latency of an answer (ms) | {p95 * 1000:.1f} | "
            f"{ms([r.answers['p95'] for r in rounds])} | < {TARGET_P95_S * 1000:.0f} | "
            f"{met(p95 < TARGET_P95_S)} |",
            f"| p50 / p99 / slowest (ms) | "
            f"{statistics.median(r.answers['p50'] for r in rounds) * 1000:.1f} / "
            f"{statistics.median(r.answers['p99'] for r in rounds) * 1000:.1f} / "
            f"{max(r.answers['max'] for r in rounds) * 1000:.1f} | | | |",
            f"| Floor: posts with a malformed token per second | {floor_rate:,.0f} | "
            f"{seconds_list([r.floor_rate for r in rounds], 0)} | | |",
            f"| Floor: p95 latency (ms) | {floor_p95 * 1000:.1f} | "
            f"{ms([r.floor['p95'] for r in rounds])} | | |",
            "",
            f"An answer costs {rate / floor_rate:.0%} of the floor's rate: the floor is "
            "the same request through the same middleware, CSRF check, Redis rate limit and "
            "page rendering, with no query. CPU per answer (medians): "
            f"{cpu}. What an answer does: the per-address limit (one Redis increment), the "
            "invitation by its token's hash (unique index) and the token compared in constant "
            "time, the per-invitation limit, then one durable transaction: the `INSERT ... "
            "SELECT ... ON CONFLICT DO NOTHING RETURNING` that stores the answer with the "
            "customer's snapshot, the customer's latest NPS category (a conditional "
            "`UPDATE`), for a detractor the customer's value band and the follow-up task's "
            "`INSERT ... ON CONFLICT DO NOTHING`; then the thank-you page.",
            "",
            f"Reproduce: `make bench-nps`, i.e. `{reproduce_command(args)}`.",
        ]
    )


def reproduce_command(args: argparse.Namespace) -> str:
    options = []
    defaults = {"customers": 100_000, "posts": 5_000, "repeat": 3, "workers": 4, "connections": 8}
    for name, default in defaults.items():
        if getattr(args, name) != default:
            options.append(f"--{name} {getattr(args, name)}")
    return command_line("nps_answers", *options)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000, help="customers in the shop")
    parser.add_argument("--posts", type=int, default=5_000, help="answers per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the report shows medians")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=8, help="client connections at once")
    add_redis_argument(parser, db=11, use="Redis for the server's cache and broker")
    parser.add_argument("--keep-db", action="store_true", help="keep the scratch database")
    add_server_arguments(parser, database="clvcrm_bench_nps")
    add_report_arguments(parser)
    args = parser.parse_args(argv)
    if min(args.posts, args.repeat, args.workers, args.connections) < 1:
        parser.error("--posts, --repeat, --workers and --connections must be at least 1")
    if args.customers < args.posts * args.repeat + 1:
        parser.error("--customers must be more than --posts × --repeat (one invitation each)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    server = Server(args.server)
    box, pg = machine_announce(server)
    workdir = Path(tempfile.mkdtemp(prefix="clvcrm-bench-nps-"))
    bench = Bench(args, server, workdir)
    bench.env = server_env(bench)
    keep = False
    started = time.perf_counter()
    try:
        files = prepare(bench)
        from django.db import connections

        connections.close_all()
        say(f"Prepared in {time.perf_counter() - started:.0f} s; {args.repeat} rounds ...")
        measure(bench, files)
        box["load_end"] = load_average()
    except BenchmarkError as exc:
        keep = True
        failure_say(exc, workdir, args.database)
        return 2
    finally:
        workdir_release(workdir, keep=keep)
    if not args.keep_db:
        server.drop(args.database)
    section_publish(args, SECTION, render_section(bench, box, pg))
    rate = statistics.median(r.rate for r in bench.rounds)
    p95 = statistics.median(r.answers["p95"] for r in bench.rounds)
    missed = rate < TARGET_PER_SECOND or p95 >= TARGET_P95_S
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
