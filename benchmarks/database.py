"""The PostgreSQL server the benchmarks create their databases on, and Django on them.

Every benchmark works in a scratch database of its own (``--database``), created through
the server's maintenance database (``--server``) and dropped at the end. Django is set up
in the benchmark's process only after that database exists, so the app's modules are
imported inside functions here and in the benchmarks.
"""

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import psycopg
from kombu import Connection
from psycopg import sql

from benchmarks import ROOT

# The plan node names of EXPLAIN's aggregate strategies, as EXPLAIN (FORMAT TEXT) shows them.
AGGREGATE_STRATEGIES = {"Sorted": "GroupAggregate", "Hashed": "HashAggregate"}


class BenchmarkError(Exception):
    """A run went wrong: the benchmark says why, keeps what helps to look, exits 2."""


def add_server_arguments(parser: argparse.ArgumentParser, *, database: str) -> None:
    """``--server`` and ``--database`` (default ``database``)."""
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="maintenance database URL of the PostgreSQL server (env BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--database", default=database, help="scratch database")


def add_redis_argument(parser: argparse.ArgumentParser, *, db: int, use: str) -> None:
    """``--redis``: the benchmark's Redis database ``db`` (env ``BENCH_REDIS_URL``), for
    ``use`` (said in the help)."""
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", f"redis://127.0.0.1:6379/{db}"),
        help=f"{use} (env BENCH_REDIS_URL)",
    )


class Server:
    """The PostgreSQL server, through its maintenance database."""

    def __init__(self, url: str) -> None:
        self.url = url

    def database_url(self, name: str) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.url)
        info["dbname"] = name
        return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]  # conninfo_to_dict's values go back in as they came

    def database_uri(self, name: str) -> str:
        """The same database as a URL, for Django's ``DATABASE_URL``."""
        info = psycopg.conninfo.conninfo_to_dict(self.url)
        user = info.get("user", "postgres")
        password = f":{info['password']}" if info.get("password") else ""
        host, port = info.get("host", "127.0.0.1"), info.get("port", "5432")
        return f"postgres://{user}{password}@{host}:{port}/{name}"

    def exists(self, name: str) -> bool:
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        return row is not None

    def recreate(self, name: str) -> None:
        self.drop(name)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def comment(self, name: str) -> str:
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [name],
            ).fetchone()
        return str(row[0]) if row and row[0] else ""

    def set_comment(self, name: str, text: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(name), sql.Literal(text)
                )
            )

    def settings(self) -> dict[str, str]:
        names = (
            "server_version",
            "shared_buffers",
            "work_mem",
            "max_wal_size",
            "synchronous_commit",
            "max_parallel_workers_per_gather",
        )
        found: dict[str, str] = {}
        with psycopg.connect(self.url, autocommit=True) as conn:
            for name in names:
                row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
                found[name] = str(row[0]) if row else "?"
        return found


def execute(database: str, *statements: str | sql.SQL | sql.Composed) -> None:
    """Run statements in autocommit mode (VACUUM, CHECKPOINT)."""
    with psycopg.connect(database, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def count_rows(database: str, table: str) -> int:
    with psycopg.connect(database, autocommit=True) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        found = row.fetchone()
        assert found is not None  # count(*) always answers one row
        return int(found[0])


def purge_queue(broker: str) -> None:
    """Drop the tasks a run queued on ``broker`` (no worker consumes them here)."""
    with Connection(broker) as conn:
        purged = conn.default_channel.queue_purge("celery") or 0  # type: ignore[attr-defined]  # kombu's stubs type default_channel as StdChannel, which lacks it
    print(f"Purged {purged} queued task(s) from {broker}", flush=True)


def django_env(database_uri: str, *, debug: bool = False) -> dict[str, str]:
    """This process's environment for Django on ``database_uri``; ``DEBUG`` off unless asked."""
    env = dict(os.environ, DATABASE_URL=database_uri)
    if not debug:
        env["DEBUG"] = "false"
    return env


def migrate(database_uri: str, *, debug: bool = False) -> None:
    """``manage.py migrate`` on the database, as a subprocess."""
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=django_env(database_uri, debug=debug),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BenchmarkError(f"migrate failed:\n{done.stdout}{done.stderr}")


def setup_django(database_uri: str) -> None:
    """Set up Django in this process on the benchmark database (for the app's own code)."""
    os.environ.update(django_env(database_uri))
    import django

    django.setup()


def server_side_seconds(query: str, params: Sequence[Any]) -> tuple[float, str]:
    """Server-side execution time of ``query`` (``EXPLAIN ANALYZE``, rows not sent).

    Returns the seconds and an outline of the plan PostgreSQL chose, from the scan up.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) {query}", list(params)
        )
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    seconds = (plan[0]["Planning Time"] + plan[0]["Execution Time"]) / 1000
    return seconds, plan_outline(plan[0])


def plan_outline(plan: dict[str, Any]) -> str:
    """The first-child chain of an ``EXPLAIN (FORMAT JSON)`` plan, from the scan up."""
    nodes: list[str] = []
    node: dict[str, Any] | None = plan["Plan"]
    while node is not None:
        label = node["Node Type"]
        if label == "Aggregate":
            label = AGGREGATE_STRATEGIES.get(node.get("Strategy", ""), label)
        if "Index Name" in node:
            label += f" using {node['Index Name']}"
        if node.get("Workers Planned"):
            label += f" ({node['Workers Planned']} workers)"
        nodes.append(label)
        node = (node.get("Plans") or [None])[0]
    outline = " → ".join(reversed(nodes))
    return outline + (" (with JIT)" if plan.get("JIT") else "")


def explain_text(query: str, params: Sequence[Any]) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of ``query`` as PostgreSQL prints it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) {query}", list(params))
        return "\n".join(row[0] for row in cursor.fetchall())
