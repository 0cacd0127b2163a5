"""The floor of a CLV recalculation: what this machine's PostgreSQL needs at the very least.

Two parts, so the pipeline's own cost can be told from the database's:

- the bare SQL aggregate over the orders: one row per customer (count, first and last
  order, spend) of the completed orders up to the as-of date, executed server-side with
  ``EXPLAIN (ANALYZE, TIMING OFF)``: its execution time, without sending the rows (the
  pipeline reads the same orders once and groups them into purchase days in numpy);
- one bulk write of a row per customer: a binary ``COPY`` of a million rows with every
  ``CustomerScore`` column (numeric money columns encoded as binary numerics) into a fresh
  ``CREATE TABLE ... (LIKE customers_customerscore INCLUDING ALL)`` (same indexes and
  checks, no foreign keys), committed; the payload is built beforehand, untimed.
"""

import time
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray
from psycopg import sql

from benchmarks.database import BenchmarkError
from clvcrm.core.pgcopy import binary_copy_payload

FLOOR_TABLE = "bench_score_floor"
ScoreColumn = tuple[str, str, Any]  # (column, PostgreSQL type, values)


def aggregate_sql(as_of: date) -> tuple[str, Sequence[Any]]:
    """The bare aggregate over the orders: one row per customer, as the issue's floor.

    Count, first and last order and spend per customer of the completed orders up to the
    as-of date; the pipeline itself reads the same orders once (``completed_orders_sql``)
    and groups them into purchase days in numpy.
    """
    from customers.clv_runs.aggregate import end_of_day

    query = (
        "SELECT customer_id, COUNT(*), MIN(placed_at), MAX(placed_at), SUM(total) "
        "FROM customers_order WHERE status = 'completed' AND placed_at < %s "
        "GROUP BY customer_id"
    )
    return query, [end_of_day(as_of)]


def score_rows(history: Any, as_of_day: int, seed: int) -> list[ScoreColumn]:
    """A row per customer with every CustomerScore column, realistic values, for the floor.

    ``history`` is the pipeline's ``PurchaseHistory``; days are days since 1970.
    """
    rng = np.random.default_rng(seed)
    n = len(history.customer_id)
    frequency = history.purchase_days - 1
    total = _cents(history.total_value)
    first = _cents(history.first_day_value)
    monetary = np.where(frequency > 0, (total - first) // np.maximum(frequency, 1), 0)
    predicted = np.rint(total * rng.gamma(1.0, 1.0, n)).astype(np.int64)
    rfm = rng.integers(1, 6, (3, n)).astype(np.int16)
    rfm_score = (rfm[0] * 100 + rfm[1] * 10 + rfm[2]).astype("S3")
    return [
        ("customer_id", "int8", history.customer_id),
        ("frequency", "int4", frequency),
        ("recency_days", "int4", history.last_day - history.first_day),
        ("age_days", "int4", as_of_day - history.first_day),
        ("monetary", "numeric", monetary),
        ("total_spent", "numeric", total),
        ("first_purchase", "date", history.first_day),
        ("last_purchase", "date", history.last_day),
        ("p_alive", "float8", rng.random(n)),
        ("expected_purchases_90d", "float8", rng.gamma(0.5, 2.0, n)),
        ("expected_order_value", "numeric", monetary),
        ("predicted_clv", "numeric", predicted),
        ("historical_clv", "numeric", total),
        ("rfm_recency", "int2", rfm[0]),
        ("rfm_frequency", "int2", rfm[1]),
        ("rfm_monetary", "int2", rfm[2]),
        ("rfm_score", "text3", rfm_score),
        ("spend_last_90d", "numeric", _cents(history.spend_last_90d)),
        ("spend_prior_90d", "numeric", _cents(history.spend_prior_90d)),
        ("run_id", "int8", 1),
    ]


def floor_write(database: str, columns: Sequence[ScoreColumn]) -> float:
    """Seconds of a committed binary COPY of the score rows into a fresh score table."""
    payload = binary_copy_payload([(pg_type, values) for _, pg_type, values in columns])
    n = len(columns[0][2])
    table = sql.Identifier(FLOOR_TABLE)
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        table, sql.SQL(", ").join(sql.Identifier(name) for name, _, _ in columns)
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


def _cents(values: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.rint(values * 100).astype(np.int64)
