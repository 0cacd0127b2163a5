"""The simulated shop put into a fresh, migrated PostgreSQL database with binary COPY.

The customers and orders go straight into ``customers_customer`` and ``customers_order``
(encoded by ``clvcrm.core.pgcopy``, the orders in chunks of one stream); the tables'
secondary indexes and foreign keys are dropped for the load and built again after it,
then ``VACUUM ANALYZE``. The load is timed but is part of no benchmark's figure.
A database loaded with ``--keep-db`` carries what it holds in its comment, so a later
run with ``--reuse-db`` can skip the load.
"""

import argparse
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from numpy.typing import NDArray
from psycopg import sql

from benchmarks.database import Server, add_server_arguments, migrate
from benchmarks.report import add_report_arguments, say
from benchmarks.shop import Shop, simulate
from clvcrm.core.pgcopy import HEADER, TRAILER, binary_copy_payload, binary_copy_rows

LOAD_CHUNK = 1_000_000  # orders per binary COPY chunk (about 90 MB)
CUSTOMER_TEXT = ("email", "first_name", "last_name", "phone", "country")  # loaded empty
ORDER_COLUMNS = (
    "external_id",
    "customer_id",
    "placed_at",
    "status",
    "total",
    "currency",
    "created_at",
)


def shop_parser(description: str, *, database: str) -> argparse.ArgumentParser:
    """The arguments every benchmark on the simulated shop shares (shop, server, database,
    report); a benchmark adds its own to the parser returned."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; medians reported")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the shop")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="last day of the orders and the as-of day (default: yesterday)",
    )
    add_server_arguments(parser, database=database)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="reuse the database if a previous --keep-db run loaded the same shop",
    )
    add_report_arguments(parser)
    return parser


def shop_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse and check the arguments of a ``shop_parser``."""
    args = parser.parse_args(argv)
    if not 1 <= args.customers <= args.orders or args.repeat < 1:
        parser.error("need 1 <= --customers <= --orders and --repeat >= 1")
    return args


def shop_options(args: argparse.Namespace) -> list[str]:
    """The options of ``args`` a command must repeat to reproduce the run (not defaults)."""
    options = []
    if (args.customers, args.orders) != (1_000_000, 10_000_000):
        options.append(f"--customers {args.customers} --orders {args.orders}")
    if args.repeat != 3:
        options.append(f"--repeat {args.repeat}")
    if args.seed != 1:
        options.append(f"--seed {args.seed}")
    return options


@contextmanager
def timed(seconds: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[name] = time.perf_counter() - started


def prepare_database(
    args: argparse.Namespace, server: Server, tz: ZoneInfo
) -> tuple[date, dict[str, Any], dict[str, float]]:
    """Create, migrate and fill the database (or reuse it); return as-of, facts, load times."""
    as_of = args.as_of or datetime.now(tz).date() - timedelta(days=1)
    wanted = {"customers": args.customers, "orders": args.orders, "seed": args.seed}
    if args.reuse_db and server.exists(args.database):
        try:
            meta = json.loads(server.comment(args.database))
        except ValueError:
            meta = {}
        if {k: meta.get(k) for k in wanted} == wanted and (
            args.as_of is None or meta.get("as_of") == as_of.isoformat()
        ):
            say(f"Reusing {args.database} (loaded {meta.get('loaded_at')}); migrating ...")
            migrate(server.database_uri(args.database))  # apply any migration added since
            return date.fromisoformat(meta["as_of"]), meta["facts"], meta["load_seconds"]
        say(f"{args.database} holds another shop; loading afresh")
    seconds: dict[str, float] = {}
    say(f"Simulating {args.customers:,} customers and {args.orders:,} orders to {as_of} ...")
    with timed(seconds, "simulate"):
        shop = simulate(args.customers, args.orders, as_of, tz, args.seed)
    facts = shop.facts()
    say(f"  {seconds['simulate']:.1f} s; alpha {shop.alpha:.3f} days; {facts}")
    say(f"Creating {args.database}, migrating ...")
    with timed(seconds, "migrate"):
        server.recreate(args.database)
        migrate(server.database_uri(args.database))
    say("Loading with binary COPY ...")
    seconds.update(load(server.database_url(args.database), shop))
    del shop
    say("  " + load_text(seconds))
    meta = {
        **wanted,
        "as_of": as_of.isoformat(),
        "facts": facts,
        "load_seconds": seconds,
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    server.set_comment(args.database, json.dumps(meta))
    return as_of, facts, seconds


def load_text(seconds: dict[str, float]) -> str:
    """``104 s (simulate 9 s, migrate 6 s, ...)``: the load's steps, as the reports say them."""
    parts = [f"{name} {value:.0f} s" for name, value in seconds.items()]
    return f"{sum(seconds.values()):.0f} s ({', '.join(parts)})"


def load(database: str, shop: Shop) -> dict[str, float]:
    """COPY the shop into the migrated database; return seconds per step."""
    seconds: dict[str, float] = {}
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '1GB'")
        tables = ("customers_order", "customers_customer")
        rebuilds = [secondary_indexes(conn, table) for table in tables]
        for rebuild in rebuilds:
            for statement in rebuild.drops:
                conn.execute(statement)
        with timed(seconds, "customers"):
            _copy(conn, "customers_customer", _customer_columns(shop))
        with timed(seconds, "orders"):
            _copy_orders(conn, shop)
        with timed(seconds, "indexes"):
            for rebuild in reversed(rebuilds):
                for statement in rebuild.creates:
                    conn.execute(statement)
            conn.execute(
                "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), "
                "(SELECT max(id) FROM customers_customer))"
            )
        with timed(seconds, "vacuum"):
            conn.execute("VACUUM ANALYZE")
    return seconds


@dataclass(frozen=True)
class Rebuild:
    """How to drop and re-create a table's secondary indexes and constraints."""

    drops: list[sql.SQL | sql.Composed]
    creates: list[sql.SQL | sql.Composed]


def secondary_indexes(conn: psycopg.Connection[Any], table: str) -> Rebuild:
    """Every index except the primary key, unique and foreign-key constraints of ``table``."""
    name = sql.Identifier(table)
    drops: list[sql.SQL | sql.Composed] = []
    creates: list[sql.SQL | sql.Composed] = []
    foreign: list[sql.SQL | sql.Composed] = []
    constraints = conn.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'x') ORDER BY conname",
        [table],
    ).fetchall()
    for conname, contype, definition in constraints:
        drops.append(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(name, sql.Identifier(conname))
        )
        add = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            name, sql.Identifier(conname), sql.SQL(definition)
        )
        (foreign if contype == "f" else creates).append(add)
    indexes = conn.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname",
        [table],
    ).fetchall()
    for indexname, definition in indexes:
        drops.append(sql.SQL("DROP INDEX {}").format(sql.Identifier(indexname)))
        creates.append(sql.SQL(definition))
    return Rebuild(drops, creates + foreign)


def ascii_ids(prefix: str, numbers: NDArray[np.int64], width: int) -> NDArray[np.bytes_]:
    """``prefix`` + zero-padded ``numbers`` as fixed-width bytes (numpy ``S``), vectorised."""
    digits = np.empty((len(numbers), len(prefix) + width), dtype=np.uint8)
    digits[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    rest = numbers.astype(np.int64)
    for col in range(len(prefix) + width - 1, len(prefix) - 1, -1):
        rest, digit = np.divmod(rest, 10)
        digits[:, col] = digit + ord("0")
    return digits.view(f"S{len(prefix) + width}").ravel()


def _customer_columns(shop: Shop) -> list[tuple[str, str, Any]]:
    """(column, PostgreSQL type, values) of every customer row."""
    ids = np.arange(1, shop.customers + 1, dtype=np.int64)
    external = ascii_ids("C", ids, len(str(shop.customers)) + 1)
    return [
        ("id", "int8", ids),
        ("external_id", f"text{external.itemsize}", external),
        *((name, "text0", b"") for name in CUSTOMER_TEXT),
        ("acquired_on", "date", shop.customer_acquired),
        ("marketing_consent", "bool", 0),
        ("created_at", "timestamptz", shop.customer_created),
        ("updated_at", "timestamptz", shop.customer_created),
    ]


def _order_columns(shop: Shop, rows: slice, width: int) -> list[tuple[str, Any]]:
    """(PostgreSQL type, values) of the orders in ``rows``, in ``ORDER_COLUMNS`` order."""
    external = ascii_ids("O", np.arange(rows.start + 1, rows.stop + 1), width)
    return [
        (f"text{external.itemsize}", external),
        ("int8", shop.order_customer[rows]),
        ("timestamptz", shop.order_placed[rows]),
        ("text9", b"completed"),
        ("numeric", shop.order_cents[rows]),
        ("text3", b"USD"),
        ("timestamptz", shop.order_placed[rows]),
    ]


def _copy_orders(conn: psycopg.Connection[Any], shop: Shop) -> None:
    """The orders in chunks of ``LOAD_CHUNK``, one COPY stream (one header, one trailer)."""
    width = len(str(shop.orders)) + 1
    statement = _copy_sql("customers_order", ORDER_COLUMNS)
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(HEADER)
        for first in range(0, shop.orders, LOAD_CHUNK):
            rows = slice(first, min(first + LOAD_CHUNK, shop.orders))
            copy.write(binary_copy_rows(_order_columns(shop, rows, width)))
        copy.write(TRAILER)


def _copy(
    conn: psycopg.Connection[Any], table: str, columns: Sequence[tuple[str, str, Any]]
) -> None:
    """One binary COPY of (column, PostgreSQL type, values) into ``table``."""
    statement = _copy_sql(table, [name for name, _, _ in columns])
    payload = binary_copy_payload([(pg_type, values) for _, pg_type, values in columns])
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(payload)


def _copy_sql(table: str, names: Sequence[str]) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(name) for name in names)
    )
