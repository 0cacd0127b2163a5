"""Write the changed customers of ``segment_result``: transitions first, then assignments."""

from datetime import datetime
from typing import Any

from django.db import connection

from customers.models import CustomerSegment, SegmentTransition
from customers.segmentation.classify import RESULT


def transitions_write(cursor: Any, *, run_id: int, now: datetime) -> int:
    """One transition per customer whose segment changes; return how many.

    The (customer, run) unique constraint makes a second write for the same run fail
    loudly (rolling the reassignment back) instead of firing a campaign twice.
    """
    cursor.execute(
        f"""
        INSERT INTO {SegmentTransition._meta.db_table}
          (customer_id, from_segment_id, to_segment_id, reason, run_id, created_at, processed_at)
        SELECT customer_id, current_id, segment_id, reason, %(run)s, %(now)s, NULL
        FROM {RESULT}
        WHERE current_id IS NULL OR current_id <> segment_id
        """,
        {"run": run_id, "now": connection.ops.adapt_datetimefield_value(now)},
    )
    return cursor.rowcount


def assignments_write(cursor: Any, *, run_id: int, now: datetime) -> int:
    """Write the changed customers' segment and reason; return how many rows changed.

    Customers without a segment yet are a plain INSERT (the whole shop on the first run:
    cheaper than an upsert's speculative insertion); the others one UPDATE. ``since``
    moves only when the segment changes, not when only the reason does.
    """
    table = CustomerSegment._meta.db_table
    params = {"run": run_id, "now": connection.ops.adapt_datetimefield_value(now)}
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


def flows_count(cursor: Any) -> list[list[int | None]]:
    """[[from segment id or None, to segment id, customers], ...] of this reassignment."""
    cursor.execute(
        f"SELECT current_id, segment_id, COUNT(*) FROM {RESULT} "
        "WHERE current_id IS NULL OR current_id <> segment_id "
        "GROUP BY current_id, segment_id ORDER BY COUNT(*) DESC"
    )
    return [list(row) for row in cursor.fetchall()]
