"""Write the changed customers of ``segment_result``: transitions first, then assignments."""

from datetime import datetime
from typing import Any

from django.db import connection

from clvcrm.core.table_swap import (
    table_create_empty_copy,
    table_indexes_deferred,
    table_swap,
    table_write_is_bulk,
)
from customers.models import CustomerSegment, SegmentTransition
from customers.segments.classify import RESULT


def transitions_write(cursor: Any, *, run_id: int, now: datetime, changing: int) -> int:
    """One transition per customer whose segment changes; return how many.

    The (customer, run) unique constraint makes a second write for the same run fail
    loudly (rolling the reassignment back) instead of firing a campaign twice. When the
    ``changing`` customers are at least half as many as the table's rows (the whole shop
    on the first run), PostgreSQL drops its secondary indexes and unique constraint and
    builds them again after the insert (``table_indexes_deferred``): a third of the cost
    of a million index insertions. Consumers of the outbox wait for the commit then.
    """
    table = SegmentTransition._meta.db_table
    insert = f"""
        INSERT INTO {table}
          (customer_id, from_segment_id, to_segment_id, reason, run_id, created_at, processed_at)
        SELECT customer_id, current_id, segment_id, reason, %(run)s, %(now)s, NULL
        FROM {RESULT}
        WHERE current_id IS NULL OR current_id <> segment_id
        """
    params = {"run": run_id, "now": connection.ops.adapt_datetimefield_value(now)}
    if connection.vendor != "postgresql" or not table_write_is_bulk(cursor, table, changing):
        cursor.execute(insert, params)
        return cursor.rowcount
    with table_indexes_deferred(cursor, table):
        cursor.execute(insert, params)
        written = cursor.rowcount
    return written


def assignments_write(
    cursor: Any, *, run_id: int, now: datetime, changing: int, customers: int
) -> int:
    """Write the changed customers' segment and reason; return how many rows changed.

    ``since`` moves only when the segment changes, not when only the reason does. When at
    least a third of the ``customers`` are ``changing`` (the rows of ``segment_result``;
    the whole shop on the first run), PostgreSQL
    rebuilds the table and swaps it in (``table_swap``, as the scores do): filling a table
    without indexes and building them once is several times cheaper than a million index
    insertions or row versions. Otherwise customers without a segment yet are a plain
    INSERT (cheaper than an upsert's speculative insertion) and the others one UPDATE.
    """
    table = CustomerSegment._meta.db_table
    params = {"run": run_id, "now": connection.ops.adapt_datetimefield_value(now)}
    if connection.vendor == "postgresql" and changing and changing * 3 >= customers:
        _assignments_rebuild(cursor, table, params)
        return changing
    cursor.execute(
        f"INSERT INTO {table} (customer_id, segment_id, reason, run_id, since) "
        f"SELECT customer_id, segment_id, reason, %(run)s, %(now)s FROM {RESULT} "
        "WHERE current_id IS NULL",
        params,
    )
    inserted = cursor.rowcount
    cursor.execute(
        f"""
        UPDATE {table} SET
          segment_id = changed.segment_id,
          reason = changed.reason,
          run_id = %(run)s,
          since = CASE WHEN {table}.segment_id = changed.segment_id
                       THEN {table}.since ELSE %(now)s END
        FROM {RESULT} changed
        WHERE changed.customer_id = {table}.customer_id AND changed.current_id IS NOT NULL
        """,
        params,
    )
    return inserted + cursor.rowcount


def _assignments_rebuild(cursor: Any, table: str, params: dict[str, Any]) -> None:
    """Fill a fresh copy of the table with the unchanged and the changed rows; swap it in."""
    new = table_create_empty_copy(cursor, table)
    cursor.execute(
        f"""
        INSERT INTO "{new}" (customer_id, segment_id, reason, run_id, since)
        SELECT a.customer_id, a.segment_id, a.reason, a.run_id, a.since
        FROM {table} a
        WHERE NOT EXISTS (SELECT 1 FROM {RESULT} r WHERE r.customer_id = a.customer_id)
        UNION ALL
        SELECT r.customer_id, r.segment_id, r.reason, %(run)s,
               CASE WHEN r.current_id = r.segment_id THEN a.since ELSE %(now)s END
        FROM {RESULT} r LEFT JOIN {table} a ON a.customer_id = r.customer_id
        """,
        params,
    )
    table_swap(cursor, table, new)


def flows_count(cursor: Any) -> list[list[int | None]]:
    """[[from segment id or None, to segment id, customers], ...] of this reassignment."""
    cursor.execute(
        f"SELECT current_id, segment_id, COUNT(*) FROM {RESULT} "
        "WHERE current_id IS NULL OR current_id <> segment_id "
        "GROUP BY current_id, segment_id ORDER BY COUNT(*) DESC"
    )
    return [list(row) for row in cursor.fetchall()]
