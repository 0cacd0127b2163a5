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
    """Upsert the changed customers' segment and reason; return how many rows changed.

    ``since`` moves only when the segment changes, not when only the reason does.
    """
    table = CustomerSegment._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {table} (customer_id, segment_id, reason, run_id, since)
        SELECT customer_id, segment_id, reason, %(run)s, %(now)s FROM {RESULT} WHERE true
        ON CONFLICT (customer_id) DO UPDATE SET
          segment_id = EXCLUDED.segment_id,
          reason = EXCLUDED.reason,
          run_id = EXCLUDED.run_id,
          since = CASE WHEN {table}.segment_id = EXCLUDED.segment_id
                       THEN {table}.since ELSE EXCLUDED.since END
        """,
        {"run": run_id, "now": connection.ops.adapt_datetimefield_value(now)},
    )
    return cursor.rowcount
