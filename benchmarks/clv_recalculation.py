"""Benchmark the CLV recalculation end to end at shop scale (default 1M customers, 10M orders).

What is measured, and why (issue 3, "What it must show"):

* **The floor**, what this machine's PostgreSQL needs at the very least for one
  recalculation, so the pipeline's own cost can be told from the database's:

  - the bare SQL aggregate over the orders: one row per customer (count, first and last
    order, spend) of the completed orders up to the as-of date, executed server-side with
    ``EXPLAIN (ANALYZE, TIMING OFF)``: its execution time, without sending the rows (the
    pipeline reads the same orders once and groups them into purchase days in numpy);
  - one bulk write of a row per customer: a binary ``COPY`` of a million rows with every
    ``CustomerScore`` column (numeric money columns encoded as binary numerics) into a fresh
    ``CREATE TABLE ... (LIKE customers_customerscore INCLUDING ALL)`` (same indexes and
    checks, no foreign keys), committed; the payload is built beforehand, untimed.

* **The full recalculation**, ``manage.py recalculate_clv --as-of <last day> --json`` as a
  subprocess with ``DEBUG=false``, as an operator or the nightly task runs it: wall time
  (Django start-up included), the run's own seconds per stage from its JSON line, and the
  process's peak resident memory (``ru_maxrss`` from ``os.wait4``, checked against its
  ``VmHWM`` sampled from ``/proc``). Every run after the first replaces the previous run's
  scores, as every nightly run does; the score table is vacuumed (untimed) before each run
  so each one starts from the same state.

  Floor and full run are measured ``--repeat`` times, interleaved, in the same process, and
  the report shows medians: the machine is shared and noisy, and a ratio measured in the
  same run is what can be compared. Targets: full run at most 3 times the floor, peak
  memory under 1.5 GB (10^9 bytes).

* **The BG/NBD fit alone** on the same million customers' (frequency, recency, T), read by
  the pipeline's own aggregate and summary code in the pipeline's time unit:
  ``customers.clv.fit_bgnbd`` in this process against lifetimes' ``BetaGeoFitter``
  (lifetimes 0.11.3, installed into a separate virtualenv, ``--lifetimes-venv``, because it
  must never become a dependency of the app; it fits the same arrays, saved to an
  ``.npz`` file, in a subprocess). Medians of ``--repeat`` fits each. Both optima are
  compared with one likelihood function, ``customers.clv.bgnbd_log_likelihood`` (lifetimes'
  own ``_negative_log_likelihood_`` is the mean penalised negative log-likelihood in its
  rescaled time; it is reported too, converted to a total in our unit). Targets: ours at
  least 5 times faster, the same log-likelihood to 0.01.

The data: a fresh database (``--database``, dropped first) is migrated, then filled with
binary ``COPY`` straight into ``customers_customer`` and ``customers_order`` (secondary
indexes and foreign keys are dropped for the load and rebuilt after it; the load time is
reported but is not part of any measurement), then ``VACUUM ANALYZE``. Customers' first
purchases are spread uniformly over two years ending on the as-of day; their repeat orders
follow a BG/NBD process (Poisson purchases at a gamma-distributed rate, a beta-distributed
chance to drop out after each one; the rate scale is solved so the orders add up to
``--orders``, and a few customers' counts are nudged by one to hit it exactly), order values
follow the Gamma-Gamma model, and every order is ``completed``. All of it is vectorised
numpy; same-day orders are left as they fall (the pipeline merges them into purchase days).

The figures go into the "CLV recalculation" section of ``docs/benchmarks.md`` (between this
script's markers; other sections are left alone).

Usage::

    .venv/bin/python benchmarks/clv_recalculation.py [--customers 1000000]
        [--orders 10000000] [--repeat 3] [--keep-db] [--reuse-db] [--py-spy FILE]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from kombu import Connection
from numpy.typing import NDArray
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the app's modules are imported after Django is set up
from benchmarks.common import (  # noqa: E402
    DOC_PATH,
    Server,
    load_average,
    machine,
    process_memory,
    say,
    write_section,
)

TARGET_RATIO = 3.0
TARGET_RSS = 1_500_000_000  # bytes: 1.5 GB
TARGET_SPEEDUP = 5.0
TARGET_LL_DIFF = 0.01
MB = 1_000_000

# The simulated shop. BG/NBD in days: rate ~ Gamma(R, 1) / alpha (alpha solved for the
# number of orders), dropout probability ~ Beta(A, B). Gamma-Gamma spend: each customer's
# spend rate nu ~ Gamma(Q, rate GAMMA), each order's value ~ Gamma(P, rate nu), in dollars
# (the CDNOW estimates: a mean order of about $35).
SPAN_DAYS = 730
BGNBD_R, BGNBD_A, BGNBD_B = 0.4, 2.0, 20.0
GG_P, GG_Q, GG_GAMMA = 6.25, 3.74, 15.44
MAX_CENTS = 99_999_999  # $999,999.99: fits numeric(12, 2) with room to spare
LOAD_CHUNK = 1_000_000  # orders per binary COPY chunk (about 90 MB)
NUMERIC_GROUPS = 3  # base-10000 digit groups before the point: values below 10^12

LIFETIMES = "lifetimes==0.11.3"
# Tried only if the newest numpy/scipy/pandas/autograd break lifetimes 0.11.3.
LIFETIMES_FALLBACK_PINS = ("numpy<2", "scipy<1.14", "pandas<2.2", "autograd<1.7")
LIFETIMES_SCRIPT = '''\
"""Fit lifetimes' BetaGeoFitter on arrays from an .npz file; print one JSON line."""
import json
import sys
import time
from importlib.metadata import version

import numpy as np
from lifetimes import BetaGeoFitter

data = np.load(sys.argv[1])
repeat = int(sys.argv[2])
x, tx, t = data["frequency"], data["recency"], data["age"]
seconds = []
for _ in range(repeat):
    fitter = BetaGeoFitter()
    started = time.perf_counter()
    fitter.fit(x, tx, t)
    seconds.append(time.perf_counter() - started)
print(json.dumps({
    "seconds": seconds,
    "params": {k: float(v) for k, v in fitter.params_.items()},
    "mean_penalised_nll": float(fitter._negative_log_likelihood_),
    "scale": float(fitter._scale),
    "versions": {p: version(p) for p in ("lifetimes", "numpy", "scipy", "pandas", "autograd")},
}))
'''

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
PG_EPOCH_DAYS = 10_957  # 2000-01-01 in days since 1970-01-01
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


class BenchmarkError(Exception):
    pass


@contextmanager
def timed(seconds: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[name] = time.perf_counter() - started


# --------------------------------------------------------------------------- binary COPY


@dataclass(frozen=True)
class Column:
    """One field of a binary COPY row: its name, numpy dtype of its bytes, and values.

    ``dtype`` None is an empty string (length 0, no bytes). Values are an array of shape
    (n,) or one value for every row.
    """

    name: str
    dtype: str | None
    values: Any = None


def binary_copy_payload(columns: Sequence[Column], n: int) -> bytes:
    """Encode n rows as a PostgreSQL binary COPY payload, without a loop over rows.

    Like ``clvcrm.core.pgcopy.binary_copy_payload``, which has no booleans, empty strings,
    timestamps or numerics: every field has a fixed width, so the rows are one numpy
    structured array (a 16-bit field count, then per field a 32-bit length and the bytes).
    """
    layout: list[tuple[str, str]] = [("count", ">i2")]
    for i, column in enumerate(columns):
        layout.append((f"len{i}", ">i4"))
        if column.dtype is not None:
            layout.append((f"val{i}", column.dtype))
    table = np.empty(n, dtype=np.dtype(layout))
    table["count"] = len(columns)
    for i, column in enumerate(columns):
        if column.dtype is None:
            table[f"len{i}"] = 0
        else:
            table[f"len{i}"] = np.dtype(column.dtype).itemsize
            table[f"val{i}"] = column.values
    return COPY_HEADER + table.tobytes() + COPY_TRAILER


def numeric_binary(cents: NDArray[np.int64], groups: int = NUMERIC_GROUPS) -> NDArray[np.void]:
    """Binary ``numeric`` values with two decimals, fixed width, from integer cents.

    PostgreSQL's numeric is ndigits, weight, sign, dscale, then base-10000 digits; the
    server strips leading and trailing zero digits on receipt, so every value can carry
    ``groups`` digit groups before the point and one after it.
    """
    layout = [
        ("ndigits", ">i2"),
        ("weight", ">i2"),
        ("sign", ">u2"),
        ("dscale", ">i2"),
        ("digits", ">i2", (groups + 1,)),
    ]
    units, fraction = np.divmod(np.abs(cents), 100)
    if units.size and units.max() >= 10_000**groups:
        raise ValueError("value too large for the numeric encoding")
    out = np.empty(len(cents), dtype=np.dtype(layout))
    out["ndigits"] = groups + 1
    out["weight"] = groups - 1
    out["sign"] = np.where(cents < 0, 0x4000, 0)
    out["dscale"] = 2
    for g in range(groups):
        out["digits"][:, g] = (units // 10_000 ** (groups - 1 - g)) % 10_000
    out["digits"][:, groups] = fraction * 100
    return out.view(f"V{out.dtype.itemsize}")


def ascii_ids(prefix: str, numbers: NDArray[np.int64], width: int) -> NDArray[np.bytes_]:
    """``prefix`` + zero-padded ``numbers`` as fixed-width bytes (numpy ``S``), vectorised."""
    digits = np.empty((len(numbers), len(prefix) + width), dtype=np.uint8)
    digits[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    rest = numbers.astype(np.int64)
    for col in range(len(prefix) + width - 1, len(prefix) - 1, -1):
        rest, digit = np.divmod(rest, 10)
        digits[:, col] = digit + ord("0")
    return digits.view(f"S{len(prefix) + width}").ravel()


# --------------------------------------------------------------------------- the shop


@dataclass(frozen=True)
class Shop:
    """The simulated customers and orders, ready to COPY (ids are 1-based)."""

    as_of: date
    customer_created: NDArray[np.int64]  # first purchase, microseconds since 2000-01-01 UTC
    customer_acquired: NDArray[np.int32]  # local day of the first purchase, days since 2000
    order_customer: NDArray[np.int64]  # customer id of each order, orders sorted by time
    order_placed: NDArray[np.int64]  # microseconds since 2000-01-01 UTC
    order_cents: NDArray[np.int64]
    alpha: float  # solved BG/NBD alpha, in days
    nudged: int  # customers whose repeat purchase count was moved by one

    @property
    def customers(self) -> int:
        return len(self.customer_created)

    @property
    def orders(self) -> int:
        return len(self.order_customer)


def simulate(customers: int, orders: int, as_of: date, tz: ZoneInfo, seed: int) -> Shop:
    """Draw the shop: BG/NBD purchases and Gamma-Gamma values over two years to ``as_of``."""
    rng = np.random.default_rng(seed)
    n, repeats, span = customers, orders - customers, float(SPAN_DAYS)
    rate_shape = rng.gamma(BGNBD_R, 1.0, n)  # lambda_i * alpha
    survives = rng.geometric(rng.beta(BGNBD_A, BGNBD_B, n))  # repeat purchases until dropout
    start = rng.uniform(0.0, span, n)  # first purchase, days into the window
    age = span - start
    alpha, arrivals = _solve_alpha(rng, rate_shape * age, survives, repeats)
    bought = np.minimum(arrivals, survives)
    bought, arrivals, nudged = _nudge(rng, bought, arrivals, survives, repeats)

    # A customer who dropped out made the first ``bought`` of ``arrivals`` Poisson purchases:
    # the last at T * Beta(x, k - x + 1), the others uniform before it. Otherwise uniform on T.
    dropped = np.flatnonzero((arrivals > bought) & (bought > 0))
    last = age.copy()
    last[dropped] = age[dropped] * rng.beta(
        bought[dropped], arrivals[dropped] - bought[dropped] + 1
    )
    owner = np.repeat(np.arange(n), bought)
    offset = rng.random(len(owner))
    offset[(np.cumsum(bought) - bought)[dropped]] = 1.0
    when = np.concatenate([start, start[owner] + offset * last[owner]])
    who = np.concatenate([np.arange(n), owner])
    del owner, offset
    when = np.minimum(when, np.nextafter(span, 0.0))
    order = np.argsort(when, kind="stable")
    when, who = when[order], who[order]
    del order

    spend_rate = rng.gamma(GG_Q, 1.0 / GG_GAMMA, n)
    value = rng.gamma(GG_P, 1.0, len(who)) / spend_rate[who]
    cents = np.clip(np.rint(value * 100), 1, MAX_CENTS).astype(np.int64)
    del value

    first_day = as_of - timedelta(days=SPAN_DAYS - 1)
    midnights = local_midnights(first_day, SPAN_DAYS, tz)
    first_offset = (first_day - PG_EPOCH.date()).days
    return Shop(
        as_of=as_of,
        customer_created=_instants(start, midnights),
        customer_acquired=(first_offset + start.astype(np.int64)).astype(np.int32),
        order_customer=who + 1,
        order_placed=_instants(when, midnights),
        order_cents=cents,
        alpha=alpha,
        nudged=nudged,
    )


def _solve_alpha(
    rng: np.random.Generator,
    shape_age: NDArray[np.float64],
    survives: NDArray[np.int64],
    repeats: int,
) -> tuple[float, NDArray[np.int64]]:
    """Bisect alpha so the repeat purchases add up to about ``repeats``.

    Returns alpha and the Poisson purchase counts over each customer's T of the draw closest
    to the target (counts before dropout).
    """
    if repeats == 0:
        return float("inf"), np.zeros(len(shape_age), dtype=np.int64)
    low, high = np.log(1e-3), np.log(1e5)
    best: tuple[int, float, NDArray[np.int64]] | None = None
    for _ in range(40):
        middle = (low + high) / 2
        arrivals = rng.poisson(shape_age / np.exp(middle))
        total = int(np.minimum(arrivals, survives).sum())
        if best is None or abs(total - repeats) < best[0]:
            best = (abs(total - repeats), float(np.exp(middle)), arrivals)
        if total > repeats:
            low = middle
        else:
            high = middle
    assert best is not None
    return best[1], best[2]


def _nudge(
    rng: np.random.Generator,
    bought: NDArray[np.int64],
    arrivals: NDArray[np.int64],
    survives: NDArray[np.int64],
    repeats: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], int]:
    """Add or remove one repeat purchase for random customers to hit ``repeats`` exactly."""
    nudged = 0
    while (missing := repeats - int(bought.sum())) != 0:
        if missing > 0:  # one more purchase for customers still alive at the end
            eligible = np.flatnonzero((bought == arrivals) & (bought < survives))
            if eligible.size == 0:
                eligible = np.arange(len(bought))
        else:
            eligible = np.flatnonzero(bought > 0)
        chosen = rng.choice(eligible, min(abs(missing), eligible.size), replace=False)
        bought[chosen] += 1 if missing > 0 else -1
        arrivals = np.maximum(arrivals, bought)
        nudged += len(chosen)
    return bought, arrivals, nudged


def local_midnights(first_day: date, days: int, tz: ZoneInfo) -> NDArray[np.int64]:
    """Microseconds since 2000-01-01 UTC of each local midnight, ``days + 1`` of them."""
    return np.array(
        [
            round(
                (
                    datetime.combine(first_day + timedelta(days=k), datetime.min.time(), tz)
                    - PG_EPOCH
                ).total_seconds()
            )
            * 1_000_000
            for k in range(days + 1)
        ],
        dtype=np.int64,
    )


def _instants(days: NDArray[np.float64], midnights: NDArray[np.int64]) -> NDArray[np.int64]:
    """Instants of fractional local days since the window start (DST-aware)."""
    whole = days.astype(np.int64)
    length = midnights[whole + 1] - midnights[whole]
    return midnights[whole] + ((days - whole) * length).astype(np.int64)


# --------------------------------------------------------------------------- the database


def execute(database: str, *statements: str | sql.Composable) -> None:
    """Run statements in autocommit mode (VACUUM, CHECKPOINT)."""
    with psycopg.connect(database, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def count_rows(database: str, table: str) -> int:
    with psycopg.connect(database, autocommit=True) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        return int(row.fetchone()[0])  # type: ignore[index]


def migrate(database_uri: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=django_env(database_uri),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BenchmarkError(f"migrate failed:\n{done.stdout}{done.stderr}")


def django_env(database_uri: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=database_uri, DEBUG="false")
    env.setdefault("DJANGO_SETTINGS_MODULE", "clvcrm.settings.local")
    return env


@dataclass(frozen=True)
class Rebuild:
    """How to drop and re-create a table's secondary indexes and constraints."""

    drops: list[sql.Composable]
    creates: list[sql.Composable]


def secondary_indexes(conn: psycopg.Connection[Any], table: str) -> Rebuild:
    """Every index except the primary key, unique and foreign-key constraints of ``table``."""
    name = sql.Identifier(table)
    drops: list[sql.Composable] = []
    creates: list[sql.Composable] = []
    foreign: list[sql.Composable] = []
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
            _copy_customers(conn, shop)
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


def _copy_customers(conn: psycopg.Connection[Any], shop: Shop) -> None:
    n = shop.customers
    ids = np.arange(1, n + 1, dtype=np.int64)
    external = ascii_ids("C", ids, len(str(n)) + 1)
    columns = [
        Column("id", ">i8", ids),
        Column("external_id", external.dtype.str, external),
        *(Column(name, None) for name in ("email", "first_name", "last_name", "phone", "country")),
        Column("acquired_on", ">i4", shop.customer_acquired),
        Column("marketing_consent", "u1", 0),
        Column("created_at", ">i8", shop.customer_created),
        Column("updated_at", ">i8", shop.customer_created),
    ]
    _copy(conn, "customers_customer", columns, n)


def _copy_orders(conn: psycopg.Connection[Any], shop: Shop) -> None:
    width = len(str(shop.orders)) + 1
    statement = sql.SQL(
        "COPY customers_order (external_id, customer_id, placed_at, status, total, currency, "
        "created_at) FROM STDIN (FORMAT BINARY)"
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for first in range(0, shop.orders, LOAD_CHUNK):
            rows = slice(first, min(first + LOAD_CHUNK, shop.orders))
            external = ascii_ids("O", np.arange(rows.start + 1, rows.stop + 1), width)
            total = numeric_binary(shop.order_cents[rows])
            columns = [
                Column("external_id", external.dtype.str, external),
                Column("customer_id", ">i8", shop.order_customer[rows]),
                Column("placed_at", ">i8", shop.order_placed[rows]),
                Column("status", "S9", b"completed"),
                Column("total", total.dtype.str, total),
                Column("currency", "S3", b"USD"),
                Column("created_at", ">i8", shop.order_placed[rows]),
            ]
            payload = binary_copy_payload(columns, rows.stop - rows.start)
            # One COPY stream: drop the header of every chunk but the first, and every trailer.
            if first:
                payload = payload[len(COPY_HEADER) :]
            copy.write(payload[: -len(COPY_TRAILER)])
        copy.write(COPY_TRAILER)


def _copy(conn: psycopg.Connection[Any], table: str, columns: Sequence[Column], n: int) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(binary_copy_payload(columns, n))


# --------------------------------------------------------------------------- the floor


def setup_django(database_uri: str) -> None:
    """Set up Django in this process on the benchmark database (for the pipeline's code)."""
    os.environ.update(django_env(database_uri))
    import django

    django.setup()


def aggregate_sql(as_of: date) -> tuple[str, Sequence[Any]]:
    """The bare aggregate over the orders: one row per customer, as the issue's floor.

    Count, first and last order and spend per customer of the completed orders up to the
    as-of date; the pipeline itself reads the same orders once (``completed_orders_sql``)
    and groups them into purchase days in numpy.
    """
    from customers.scoring.aggregate import end_of_day

    query = (
        "SELECT customer_id, COUNT(*), MIN(placed_at), MAX(placed_at), SUM(total) "
        "FROM customers_order WHERE status = 'completed' AND placed_at < %s "
        "GROUP BY customer_id"
    )
    return query, [end_of_day(as_of)]


def floor_aggregate(query: str, params: Sequence[Any]) -> tuple[float, str]:
    """Server-side execution time of the aggregate (``EXPLAIN ANALYZE``, rows not sent).

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


AGGREGATE_STRATEGIES = {"Sorted": "GroupAggregate", "Hashed": "HashAggregate"}


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


def explain_aggregate(query: str, params: Sequence[Any]) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) {query}", list(params))
        return "\n".join(row[0] for row in cursor.fetchall())


FLOOR_TABLE = "bench_score_floor"
SCORE_COLUMNS = (
    "customer_id",
    "frequency",
    "recency_days",
    "age_days",
    "monetary",
    "total_spent",
    "first_purchase",
    "last_purchase",
    "p_alive",
    "expected_purchases_90d",
    "expected_order_value",
    "predicted_clv",
    "historical_clv",
    "rfm_recency",
    "rfm_frequency",
    "rfm_monetary",
    "rfm_score",
    "spend_last_90d",
    "spend_prior_90d",
    "run_id",
)


def score_rows(history: Any, as_of_day: int, seed: int) -> tuple[list[Column], int]:
    """A row per customer with every CustomerScore column, realistic values, for the floor."""
    rng = np.random.default_rng(seed)
    n = len(history.customer_id)
    frequency = history.purchase_days - 1
    total = np.rint(history.total_value * 100).astype(np.int64)
    first = np.rint(history.first_day_value * 100).astype(np.int64)
    monetary = np.where(frequency > 0, (total - first) // np.maximum(frequency, 1), 0)
    predicted = np.rint(total * rng.gamma(1.0, 1.0, n)).astype(np.int64)
    rfm = rng.integers(1, 6, (3, n)).astype(np.int16)
    rfm_score = (rfm[0] * 100 + rfm[1] * 10 + rfm[2]).astype("S3")

    def money(cents: NDArray[np.int64]) -> tuple[str, NDArray[np.void]]:
        values = numeric_binary(cents)
        return values.dtype.str, values

    values: list[tuple[str, Any]] = [
        (">i8", history.customer_id),
        (">i4", frequency),
        (">i4", history.last_day - history.first_day),
        (">i4", as_of_day - history.first_day),
        money(monetary),
        money(total),
        (">i4", history.first_day - PG_EPOCH_DAYS),
        (">i4", history.last_day - PG_EPOCH_DAYS),
        (">f8", rng.random(n)),
        (">f8", rng.gamma(0.5, 2.0, n)),
        money(monetary),
        money(predicted),
        money(total),
        (">i2", rfm[0]),
        (">i2", rfm[1]),
        (">i2", rfm[2]),
        ("S3", rfm_score),
        money(np.rint(history.spend_last_90d * 100).astype(np.int64)),
        money(np.rint(history.spend_prior_90d * 100).astype(np.int64)),
        (">i8", 1),
    ]
    columns = [
        Column(name, dtype, v) for name, (dtype, v) in zip(SCORE_COLUMNS, values, strict=True)
    ]
    return columns, n


def floor_write(database: str, columns: Sequence[Column], n: int) -> float:
    """Seconds of a committed binary COPY of ``n`` score rows into a fresh score table."""
    payload = binary_copy_payload(columns, n)
    table = sql.Identifier(FLOOR_TABLE)
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        table, sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(
            sql.SQL("CREATE TABLE {} (LIKE customers_customerscore INCLUDING ALL)").format(table)
        )
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(payload)
        seconds = time.perf_counter() - started
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
        conn.execute(sql.SQL("DROP TABLE {}").format(table))
    if row is None or row[0] != n:
        raise BenchmarkError(f"the floor COPY stored {row} rows, expected {n}")
    return seconds


# --------------------------------------------------------------------------- the full run


@dataclass
class FullRun:
    seconds: float  # wall time of the process
    cpu_seconds: float
    peak_rss: int  # bytes: max of ru_maxrss and the sampled VmHWM
    ru_maxrss: int  # bytes
    vm_hwm: int  # bytes, last sample
    parent_rss: int  # this process's RSS when it started the run (bytes)
    stages: dict[str, float]
    result: dict[str, Any]


def run_full(command: list[str], env: dict[str, str], logs: Path, label: str) -> FullRun:
    """Run ``recalculate_clv``; wall time, CPU time, peak RSS and the JSON line.

    A child started with vfork/exec inherits this process's RSS high-water mark in its
    ``ru_maxrss``, so the mark is reset first (``/proc/self/clear_refs``) and the child's
    own ``VmHWM`` (which starts afresh at exec) is sampled too.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        say("  (cannot reset this process's RSS high-water mark; ru_maxrss may include it)")
    parent_rss = process_memory(os.getpid())[0]
    out_path, err_path = logs / f"{label}.stdout", logs / f"{label}.stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        hwm = 0
        try:
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                hwm = max(hwm, process_memory(process.pid)[1])
                time.sleep(0.05)
        except BaseException:
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(errors="replace")
    if code:
        tail = "\n".join(err_path.read_text(errors="replace").splitlines()[-40:])
        raise BenchmarkError(f"{' '.join(command)} exited with {code}:\n{stdout}\n{tail}")
    # The JSON line is the command's last; a profiler may print after it.
    found = [line for line in stdout.splitlines() if line.startswith("{")]
    result = json.loads(found[-1]) if found else {}
    maxrss = usage.ru_maxrss * 1024
    return FullRun(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss=max(maxrss, hwm),
        ru_maxrss=maxrss,
        vm_hwm=hwm,
        parent_rss=parent_rss,
        stages={k: float(v) for k, v in result.get("seconds", {}).items()},
        result=result,
    )


# --------------------------------------------------------------------------- the fit


@dataclass
class FitComparison:
    customers: int
    distinct_rows: int
    time_unit: str
    ours_seconds: list[float]
    ours_params: tuple[float, float, float, float]
    ours_ll: float
    ours_iterations: int
    ours_converged: bool
    lifetimes_seconds: list[float] = field(default_factory=list)
    lifetimes_params: tuple[float, float, float, float] | None = None
    lifetimes_ll: float | None = None  # ours bgnbd_log_likelihood at lifetimes' optimum
    lifetimes_own_mean_nll: float | None = None
    lifetimes_own_total: float | None = None  # its mean NLL as a total log-lik in our unit
    lifetimes_versions: dict[str, str] = field(default_factory=dict)
    lifetimes_error: str = ""

    @property
    def ours(self) -> float:
        return statistics.median(self.ours_seconds)

    @property
    def theirs(self) -> float | None:
        return statistics.median(self.lifetimes_seconds) if self.lifetimes_seconds else None

    @property
    def speedup(self) -> float | None:
        return self.theirs / self.ours if self.theirs else None

    @property
    def ll_diff(self) -> float | None:
        return None if self.lifetimes_ll is None else self.ours_ll - self.lifetimes_ll


def compare_fits(
    summary: Any, time_unit: str, repeat: int, workdir: Path, lifetimes_python: Path | None
) -> FitComparison:
    from customers.clv import BGNBDParams, bgnbd_log_likelihood, fit_bgnbd

    x, tx, t = summary.frequency, summary.recency, summary.age
    distinct = np.unique(np.column_stack([x, tx, t]), axis=0).shape[0]
    seconds = []
    fit = None
    for _ in range(repeat):
        started = time.perf_counter()
        fit = fit_bgnbd(x, tx, t, model="bgnbd", time_unit=time_unit)  # type: ignore[arg-type]
        seconds.append(time.perf_counter() - started)
    assert fit is not None
    p = fit.params
    comparison = FitComparison(
        customers=len(x),
        distinct_rows=distinct,
        time_unit=time_unit,
        ours_seconds=seconds,
        ours_params=(p.r, p.alpha, p.a, p.b),
        ours_ll=bgnbd_log_likelihood(p, x, tx, t),
        ours_iterations=fit.iterations,
        ours_converged=fit.converged,
    )
    say(
        f"  ours: {', '.join(f'{s:.2f}' for s in seconds)} s; r={p.r:.5f} alpha={p.alpha:.4f} "
        f"a={p.a:.5f} b={p.b:.5f} LL={comparison.ours_ll:.3f} ({fit.iterations} iterations)"
    )
    if lifetimes_python is None:
        comparison.lifetimes_error = "lifetimes not run (--no-lifetimes)"
        return comparison
    arrays = workdir / "rfm.npz"
    np.savez(arrays, frequency=x, recency=tx, age=t)
    script = workdir / "lifetimes_fit.py"
    script.write_text(LIFETIMES_SCRIPT)
    done = subprocess.run(
        [str(lifetimes_python), str(script), str(arrays), str(repeat)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
    )
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        comparison.lifetimes_error = f"lifetimes failed: {tail}"
        say(f"  {comparison.lifetimes_error}")
        return comparison
    out = json.loads(done.stdout.strip().splitlines()[-1])
    lp = out["params"]
    params = BGNBDParams(lp["r"], lp["alpha"], lp["a"], lp["b"], time_unit=time_unit)  # type: ignore[arg-type]
    comparison.lifetimes_seconds = out["seconds"]
    comparison.lifetimes_params = (lp["r"], lp["alpha"], lp["a"], lp["b"])
    comparison.lifetimes_ll = bgnbd_log_likelihood(params, x, tx, t)
    comparison.lifetimes_own_mean_nll = out["mean_penalised_nll"]
    # lifetimes fits in time rescaled by s (max T = 1): LL = LL_s + sum(x) * log(s).
    own = -out["mean_penalised_nll"] * len(x)
    comparison.lifetimes_own_total = own + float(x.sum()) * float(np.log(out["scale"]))
    comparison.lifetimes_versions = out["versions"]
    say(
        f"  lifetimes: {', '.join(f'{s:.2f}' for s in out['seconds'])} s; r={lp['r']:.5f} "
        f"alpha={lp['alpha']:.4f} a={lp['a']:.5f} b={lp['b']:.5f} "
        f"LL={comparison.lifetimes_ll:.3f} (its own: mean penalised NLL "
        f"{out['mean_penalised_nll']:.6f}, total {comparison.lifetimes_own_total:.3f})"
    )
    return comparison


def lifetimes_python(venv: Path) -> Path:
    """The side virtualenv's python with lifetimes 0.11.3 working; create it if needed."""
    python = venv / "bin" / "python"
    if python.exists() and _lifetimes_works(python):
        return python
    base = getattr(sys, "_base_executable", sys.executable)
    say(f"  creating {venv} with {LIFETIMES} (not a dependency of the app) ...")
    subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, LIFETIMES], check=True)
    if _lifetimes_works(python):
        return python
    say(f"  lifetimes fails with the newest packages; pinning {' '.join(LIFETIMES_FALLBACK_PINS)}")
    subprocess.run([*pip, LIFETIMES, *LIFETIMES_FALLBACK_PINS], check=True)
    if not _lifetimes_works(python):
        raise BenchmarkError(f"{LIFETIMES} does not work in {venv}")
    return python


def _lifetimes_works(python: Path) -> bool:
    smoke = (
        "from lifetimes import BetaGeoFitter, __version__ as v; "
        "from lifetimes.datasets import load_cdnow_summary; assert v == '0.11.3', v; "
        "d = load_cdnow_summary(index_col=[0]); "
        "BetaGeoFitter().fit(d['frequency'], d['recency'], d['T'])"
    )
    done = subprocess.run([str(python), "-c", smoke], capture_output=True, text=True)
    return done.returncode == 0


# --------------------------------------------------------------------------- the report


@dataclass
class Results:
    args: argparse.Namespace
    shop_facts: dict[str, Any]
    load_seconds: dict[str, float]
    floor_aggregate: list[float]
    floor_write: list[float]
    runs: list[FullRun]
    fit: FitComparison
    box: dict[str, str]
    pg: dict[str, str]
    pipeline: dict[str, Any]
    scores_before: int = 0  # score rows in the database before the first run
    aggregate_plans: list[str] = field(default_factory=list)
    total_seconds: float = 0.0

    @property
    def floor(self) -> float:
        return statistics.median(self.floor_aggregate) + statistics.median(self.floor_write)

    @property
    def full(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def ratio(self) -> float:
        return self.full / self.floor

    @property
    def peak(self) -> int:
        return max(r.peak_rss for r in self.runs)

    def stage(self, name: str) -> float:
        return statistics.median(r.stages.get(name, float("nan")) for r in self.runs)


def _medians(count: int, what: str = "run") -> str:
    return f"medians of {count} {what}s" if count > 1 else f"one {what}"


def _met(ok: bool | None) -> str:
    return {True: "**met**", False: "**not met**", None: "**not measured**"}[ok]


def _secs(values: Sequence[float]) -> str:
    return " · ".join(f"{v:.1f}" for v in values)


def reproduce_command(args: argparse.Namespace) -> str:
    parts = [".venv/bin/python benchmarks/clv_recalculation.py"]
    if (args.customers, args.orders) != (1_000_000, 10_000_000):
        parts.append(f"--customers {args.customers} --orders {args.orders}")
    if args.repeat != 3:
        parts.append(f"--repeat {args.repeat}")
    if args.seed != 1:
        parts.append(f"--seed {args.seed}")
    return " ".join(parts)


def render_section(r: Results) -> str:
    a, f, s, box, pg = r.args, r.fit, r.shop_facts, r.box, r.pg
    runs = len(r.runs)
    agg, write = statistics.median(r.floor_aggregate), statistics.median(r.floor_write)
    stages = ("aggregate", "fit", "score", "write", "total")
    stage = {name: r.stage(name) for name in stages}
    other = r.full - stage["total"]
    first = r.runs[0]
    peak_run = max(r.runs, key=lambda run: run.peak_rss)
    lines = [
        "## CLV recalculation",
        "",
        f"Measured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by "
        f"`benchmarks/clv_recalculation.py` ({_medians(runs)}, floor and full run "
        f"interleaved in the same process; the whole benchmark took "
        f"{r.total_seconds / 60:.0f} min).",
        "",
        f"- **Machine:** {box['cpus']} CPUs ({box['cpu']}), {box['ram']} RAM, Linux "
        f"{box['kernel']}; PostgreSQL {pg['server_version']} on the same machine "
        f"(shared_buffers {pg['shared_buffers']}, work_mem {pg['work_mem']}, "
        f"max_parallel_workers_per_gather {pg['max_parallel_workers_per_gather']}, "
        f"synchronous_commit {pg['synchronous_commit']}); Python {box['python']}. Load "
        f"average {box['load']} when the run started, {box['load_end']} when it ended (the "
        "machine is shared: other work slows every figure down, which is why floor and full "
        "run are compared within one run).",
        f"- **Data:** {s['customers']:,} customers, {s['orders']:,} completed orders "
        f"({s['purchase_days']:,} customer purchase days once same-day orders merge) over "
        f"{SPAN_DAYS} days up to the as-of day {s['as_of']}; first purchases uniform over the "
        f"two years, repeat purchases from BG/NBD (r {BGNBD_R}, alpha {s['alpha']:.2f} days, "
        f"a {BGNBD_A}, b {BGNBD_B}; {s['one_time_share']:.0%} buy on one day only, at most "
        f"{s['max_orders']:,} orders per customer; {s['nudged']:,} customers' counts nudged "
        f"by one to hit the total), order values Gamma-Gamma (p {GG_P}, q {GG_Q}, gamma "
        f"{GG_GAMMA}; mean ${s['mean_order']:.2f}). Written with binary `COPY` straight into "
        f"`customers_customer` / `customers_order`, then `VACUUM ANALYZE`; the load is not "
        f"part of any figure: {_load_text(r.load_seconds)}.",
        f"- **Pipeline settings:** {r.pipeline['model']}, time unit {r.pipeline['time_unit']}, "
        f"fit on {r.pipeline['fit_sample']}; the runs wrote {s['scored']:,} score rows.",
        "",
        "| | median s | every run (s) |",
        "|---|---:|---:|",
        f"| Floor: the bare per-customer aggregate over the orders, server-side "
        f"(`EXPLAIN ANALYZE`, rows not "
        f"sent) | {agg:.1f} | {_secs(r.floor_aggregate)} |",
        f"| Floor: binary `COPY` of {s['scored']:,} score rows into an empty "
        f"`LIKE customers_customerscore INCLUDING ALL` | {write:.1f} | "
        f"{_secs(r.floor_write)} |",
        f"| **Floor** (aggregate + write) | **{r.floor:.1f}** | |",
        f"| **`manage.py recalculate_clv --as-of {s['as_of']} --json`**, wall time | "
        f"**{r.full:.1f}** | {_secs([x.seconds for x in r.runs])} |",
        *(
            f"| &nbsp;&nbsp;stage `{name}` (the run's JSON) | {stage[name]:.1f} | "
            f"{_secs([x.stages.get(name, float('nan')) for x in r.runs])} |"
            for name in stages
        ),
        f"| &nbsp;&nbsp;Django start-up, run record, exit (wall − total) | {other:.1f} | "
        f"{_secs([x.seconds - x.stages.get('total', 0) for x in r.runs])} |",
        "",
        f"The floor aggregate's plan, as PostgreSQL chose it: {_plans_text(r.aggregate_plans)}.",
        "",
        f"{_first_run_text(r.scores_before, first.seconds)} (the score table is vacuumed, "
        "untimed, before each run). Process CPU time (user + system) of the full "
        f"runs: {_secs([x.cpu_seconds for x in r.runs])} s; PostgreSQL's own CPU is not in it.",
        "",
        f"**Full run ÷ floor: {r.ratio:.2f}×** (target ≤ {TARGET_RATIO:.0f}×): "
        f"{_met(r.ratio <= TARGET_RATIO)}.",
        "",
        f"**Peak RSS of the run: {r.peak / MB:,.0f} MB** (`ru_maxrss` "
        f"{peak_run.ru_maxrss / MB:,.0f} MB, sampled `VmHWM` {peak_run.vm_hwm / MB:,.0f} MB; "
        f"target < {TARGET_RSS / MB:,.0f} MB): {_met(r.peak < TARGET_RSS)}. Runs: "
        f"{' · '.join(f'{x.peak_rss / MB:,.0f}' for x in r.runs)} MB.",
        "",
        *_fit_lines(f),
        "",
        "Reproduce (PostgreSQL you may create databases on, as a superuser for `CHECKPOINT`; "
        "about 4 GB of disk for the database, which is dropped at the end):",
        "",
        "```sh",
        *_reproduce_lines(a),
        "```",
        "",
        f"lifetimes is installed on first use into `{a.lifetimes_venv}` "
        f"(`python3 -m venv {a.lifetimes_venv} && {a.lifetimes_venv}/bin/pip install "
        f"{LIFETIMES}`), never into `.venv`.",
    ]
    return "\n".join(lines)


def _plans_text(plans: Sequence[str]) -> str:
    distinct = list(dict.fromkeys(plans))
    if len(distinct) == 1:
        return f"`{distinct[0]}`"
    return "; ".join(f"run {plans.index(p) + 1}: `{p}`" for p in distinct)


def _first_run_text(scores_before: int, seconds: float) -> str:
    if scores_before:
        return (
            f"Every run replaced {scores_before:,} scores of an earlier run, as the nightly "
            "run does"
        )
    return (
        f"The first run wrote into an empty score table ({seconds:.1f} s); every later run "
        "replaced the previous run's scores, as the nightly run does"
    )


def _reproduce_lines(args: argparse.Namespace) -> list[str]:
    command = reproduce_command(args)
    full = ".venv/bin/python benchmarks/clv_recalculation.py"
    if command == full:
        return [f"make bench-clv    # = {command}"]
    return [command, f"make bench-clv    # the full size: {full}"]


def _load_text(seconds: dict[str, float]) -> str:
    parts = [f"{name} {value:.0f} s" for name, value in seconds.items()]
    return f"{sum(seconds.values()):.0f} s ({', '.join(parts)})"


def _fit_lines(f: FitComparison) -> list[str]:
    def row(name: str, secs: float | None, p: Sequence[float] | None, ll: float | None) -> str:
        if p is None or secs is None or ll is None:
            return f"| {name} | — | — | — | — | — | — |"
        return (
            f"| {name} | {secs:.2f} | {p[0]:.5f} | {p[1]:.4f} | {p[2]:.5f} | {p[3]:.5f} | "
            f"{ll:,.3f} |"
        )

    unit = {"W": "weeks", "D": "days"}.get(f.time_unit, f.time_unit)
    versions = ", ".join(f"{k} {v}" for k, v in f.lifetimes_versions.items())
    lines = [
        f"**BG/NBD fit alone** on the same {f.customers:,} customers' (frequency, recency, "
        f"T) as the pipeline reads them ({f.distinct_rows:,} distinct rows; time in {unit}); "
        f"{_medians(len(f.ours_seconds), 'fit')} each. Log-likelihood: the total over all "
        "customers, both evaluated with `customers.clv.bgnbd_log_likelihood` at each fit's "
        "parameters.",
        "",
        f"| | median s | r | alpha ({unit}) | a | b | log-likelihood |",
        "|---|---:|---:|---:|---:|---:|---:|",
        row("`customers.clv.fit_bgnbd`", f.ours, f.ours_params, f.ours_ll),
        row(
            "lifetimes `BetaGeoFitter().fit` (subprocess)",
            f.theirs,
            f.lifetimes_params,
            f.lifetimes_ll,
        ),
        "",
        f"Every fit (s): ours {_secs_2(f.ours_seconds)}; lifetimes "
        f"{_secs_2(f.lifetimes_seconds) or '—'}.",
    ]
    if f.lifetimes_error:
        lines += ["", f"lifetimes: {f.lifetimes_error}"]
        return lines
    assert f.speedup is not None
    assert f.ll_diff is not None
    lines += [
        "",
        f"lifetimes ({versions}) reports its own `_negative_log_likelihood_`, the *mean* "
        f"penalised negative log-likelihood in time rescaled to max T = 1: "
        f"{f.lifetimes_own_mean_nll:.6f}, i.e. a total log-likelihood of "
        f"{f.lifetimes_own_total:,.3f} in {unit}.",
        "",
        f"**Speed-up {f.speedup:.1f}×** (target ≥ {TARGET_SPEEDUP:.0f}×): "
        f"{_met(f.speedup >= TARGET_SPEEDUP)}. **Log-likelihoods differ by {f.ll_diff:+.4f}** "
        f"(ours − lifetimes; target |Δ| ≤ {TARGET_LL_DIFF}): "
        f"{_met(abs(f.ll_diff) <= TARGET_LL_DIFF)}.",
    ]
    return lines


def _secs_2(values: Sequence[float]) -> str:
    return " · ".join(f"{v:.2f}" for v in values)


# --------------------------------------------------------------------------- main


def purge_queue(broker: str) -> None:
    """Drop the tasks the runs queued (nothing consumes them here)."""
    with Connection(broker) as conn:
        purged = conn.default_channel.queue_purge("celery") or 0
    say(f"Purged {purged} queued task(s) from {broker}")


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
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="maintenance database URL of the PostgreSQL server (env BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--database", default=database, help="scratch database")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="reuse the database if a previous --keep-db run loaded the same shop",
    )
    parser.add_argument("--doc", type=Path, default=DOC_PATH, help="report file to update")
    parser.add_argument("--no-doc", action="store_true", help="print only, do not write --doc")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser


def shop_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse and check the arguments of a ``shop_parser``."""
    args = parser.parse_args(argv)
    if not 1 <= args.customers <= args.orders or args.repeat < 1:
        parser.error("need 1 <= --customers <= --orders and --repeat >= 1")
    return args


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = shop_parser((__doc__ or "").split("\n\n")[0], database="clvcrm_bench_clv")
    parser.add_argument(
        "--lifetimes-venv", type=Path, default=Path("/tmp/bench-lifetimes-venv"), metavar="DIR"
    )
    parser.add_argument("--no-lifetimes", action="store_true", help="skip the lifetimes fit")
    parser.add_argument("--explain", action="store_true", help="print the aggregate's plan")
    parser.add_argument(
        "--broker",
        default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12"),
        help="Redis the runs queue their segment hand-over to (env BENCH_BROKER_URL; purged)",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="FILE",
        help="profile one extra full run with py-spy (raw format) into FILE",
    )
    return shop_args(parser, argv)


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
    facts = _shop_facts(shop)
    say(f"  {seconds['simulate']:.1f} s; alpha {shop.alpha:.3f} days; {facts}")
    say(f"Creating {args.database}, migrating ...")
    with timed(seconds, "migrate"):
        server.recreate(args.database)
        migrate(server.database_uri(args.database))
    say("Loading with binary COPY ...")
    seconds.update(load(server.database_url(args.database), shop))
    del shop
    say("  " + _load_text(seconds))
    meta = {
        **wanted,
        "as_of": as_of.isoformat(),
        "facts": facts,
        "load_seconds": seconds,
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    server.set_comment(args.database, json.dumps(meta))
    return as_of, facts, seconds


def _shop_facts(shop: Shop) -> dict[str, Any]:
    per_customer = np.bincount(shop.order_customer, minlength=shop.customers + 1)[1:]
    return {
        "customers": shop.customers,
        "orders": shop.orders,
        "as_of": shop.as_of.isoformat(),
        "alpha": shop.alpha,
        "nudged": shop.nudged,
        "max_orders": int(per_customer.max()),
        "mean_order": float(shop.order_cents.mean() / 100),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    server = Server(args.server)
    box, pg = machine(), server.settings()
    say(
        f"Machine: {box['cpus']} CPUs ({box['cpu']}), {box['ram']} RAM; PostgreSQL "
        f"{pg['server_version']}; load average {box['load']}"
    )
    tz = ZoneInfo(os.environ.get("TIME_ZONE", "UTC"))  # the settings' default shop time zone
    workdir = Path(tempfile.mkdtemp(prefix="clvcrm-bench-clv-"))
    keep_workdir = False
    lifetimes = None
    try:
        if not args.no_lifetimes:
            say("Checking the lifetimes side environment ...")
            lifetimes = lifetimes_python(args.lifetimes_venv)
        as_of, facts, load_seconds = prepare_database(args, server, tz)
        database = server.database_url(args.database)
        uri = server.database_uri(args.database)
        setup_django(uri)
        from django.conf import settings

        from customers import clv
        from customers.scoring import compute
        from customers.scoring.aggregate import purchase_history

        if str(settings.TIME_ZONE) != str(tz.key):
            raise BenchmarkError(f"settings.TIME_ZONE {settings.TIME_ZONE} != {tz.key}")
        as_of_day = clv.day_number(as_of)
        query, params = aggregate_sql(as_of)
        say("Reading the purchase summary with the pipeline's code (for the fit and floor) ...")
        started = time.perf_counter()
        history = purchase_history(as_of)
        summary = compute.summarise(history, as_of_day, settings.CLV_TIME_UNIT)
        say(f"  {len(history):,} customers in {time.perf_counter() - started:.1f} s")
        facts = {
            **facts,
            "purchase_days": int(history.purchase_days.sum()),
            "one_time_share": float(np.mean(history.purchase_days == 1)),
            "scored": len(history),
        }
        if args.explain:
            say(explain_aggregate(query, params))

        command = [sys.executable, "manage.py", "recalculate_clv"]
        command += ["--as-of", as_of.isoformat(), "--json"]
        # As in production, the run hands segment reassignment to a worker through the
        # broker instead of running it in-process (benchmarks/segments_reassign.py times
        # that); no worker listens here, and the queued tasks are purged afterwards.
        env = {**django_env(uri), "CELERY_BROKER_URL": args.broker}
        aggregates: list[float] = []
        plans: list[str] = []
        writes: list[float] = []
        runs: list[FullRun] = []
        scores_before = count_rows(database, "customers_customerscore")
        for number in range(1, args.repeat + 1):
            execute(database, "CHECKPOINT")
            seconds, plan = floor_aggregate(query, params)
            aggregates.append(seconds)
            plans.append(plan)
            columns, n = score_rows(history, as_of_day, args.seed + number)
            writes.append(floor_write(database, columns, n))
            del columns
            execute(database, "VACUUM ANALYZE customers_customerscore", "CHECKPOINT")
            runs.append(run_full(command, env, workdir, f"run{number}"))
            run = runs[-1]
            say(
                f"[{number}/{args.repeat}] floor: aggregate {aggregates[-1]:.2f} s + write "
                f"{writes[-1]:.2f} s; full run {run.seconds:.2f} s "
                f"(stages {run.stages}), peak RSS {run.peak_rss / MB:,.0f} MB (ru_maxrss "
                f"{run.ru_maxrss / MB:,.0f}, VmHWM {run.vm_hwm / MB:,.0f}, ours at start "
                f"{run.parent_rss / MB:,.0f}); load {load_average()}"
            )

        say("BG/NBD fit alone: ours vs lifetimes ...")
        fit = compare_fits(summary, settings.CLV_TIME_UNIT, args.repeat, workdir, lifetimes)

        if args.py_spy:
            spy = Path(sys.executable).parent / "py-spy"
            say(f"Profiling one more full run with py-spy into {args.py_spy} ...")
            execute(database, "VACUUM ANALYZE customers_customerscore", "CHECKPOINT")
            profiled = [str(spy), "record", "-f", "raw", "-r", "200", "-o", str(args.py_spy)]
            profiled += ["--", *command]
            spied = run_full(profiled, env, workdir, "py-spy")
            say(f"  {spied.seconds:.1f} s, stages {spied.stages}")

        box["load_end"] = load_average()
        sample = settings.CLV_FIT_SAMPLE_SIZE
        results = Results(
            args=args,
            shop_facts=facts,
            load_seconds=load_seconds,
            floor_aggregate=aggregates,
            floor_write=writes,
            runs=runs,
            fit=fit,
            box=box,
            pg=pg,
            pipeline={
                "model": {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD"}.get(
                    settings.CLV_MODEL, settings.CLV_MODEL
                ),
                "time_unit": settings.CLV_TIME_UNIT,
                "fit_sample": f"a sample of {sample:,}" if sample else "every customer",
            },
            scores_before=scores_before,
            aggregate_plans=plans,
            total_seconds=time.perf_counter() - began,
        )
        section = render_section(results)
        say("\n" + section + "\n")
        if not args.no_doc:
            write_section(args.doc, "clv_recalculation", section)
            say(f"Updated {args.doc}")
        missed = (
            results.ratio > TARGET_RATIO
            or results.peak >= TARGET_RSS
            or (fit.speedup or 0) < TARGET_SPEEDUP
            or abs(fit.ll_diff if fit.ll_diff is not None else 1.0) > TARGET_LL_DIFF
        )
        return 1 if args.strict and missed else 0
    except BenchmarkError as exc:
        keep_workdir = True
        say(f"\nBENCHMARK FAILED: {exc}\nLogs kept in {workdir}")
        return 2
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        purge_queue(args.broker)
        if not args.keep_db:
            server.drop(args.database)
            say(f"Dropped {args.database}")
        if keep_workdir:
            say(f"Kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
