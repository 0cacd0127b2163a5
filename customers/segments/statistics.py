"""Per-run figures of each segment (size, total and average predicted CLV), in SQL."""

from decimal import Decimal
from typing import Any

from django.db.models import DecimalField

from clvcrm.core.input_values import decimal_largest
from customers.models import (
    CustomerScore,
    CustomerSegment,
    CustomSegmentMembership,
    Segment,
    SegmentStatistic,
)


def statistics_write(cursor: Any, *, run_id: int, segment_ids: list[int]) -> None:
    """Replace the run's figures of ``segment_ids`` (default or custom), zeros included."""
    if not segment_ids:
        return
    ids = ", ".join(str(int(i)) for i in segment_ids)
    cursor.execute(
        f"DELETE FROM {SegmentStatistic._meta.db_table} "
        f"WHERE run_id = %s AND segment_id IN ({ids})",
        [run_id],
    )
    # Aggregated per segment before the join to the segments: joined the other way round,
    # the planner loops over a freshly rebuilt assignment table it has no statistics of.
    cursor.execute(
        f"""
        INSERT INTO {SegmentStatistic._meta.db_table}
          (run_id, segment_id, customers, total_predicted_clv, average_predicted_clv)
        SELECT %(run)s, g.id, COALESCE(t.customers, 0), t.total, t.average
        FROM {Segment._meta.db_table} g
        LEFT JOIN (
          SELECT m.segment_id, COUNT(*) AS customers,
                 CASE WHEN SUM(s.predicted_clv) > %(largest)s THEN %(largest)s
                      ELSE SUM(s.predicted_clv) END AS total,
                 ROUND(AVG(s.predicted_clv), 2) AS average
          FROM ({_members_sql()}) m
          LEFT JOIN {CustomerScore._meta.db_table} s ON s.customer_id = m.customer_id
          WHERE m.segment_id IN ({ids})
          GROUP BY m.segment_id
        ) t ON t.segment_id = g.id
        WHERE g.id IN ({ids})
        """,
        # A total past its column (a million customers near the score column's largest) is
        # stored as the largest: one extreme shop must not stop the reassignment.
        {"run": run_id, "largest": _largest_total()},
    )


def _largest_total() -> Decimal:
    field = SegmentStatistic._meta.get_field("total_predicted_clv")
    assert isinstance(field, DecimalField)
    return decimal_largest(max_digits=field.max_digits, decimal_places=field.decimal_places)


def _members_sql() -> str:
    return (
        f"SELECT segment_id, customer_id FROM {CustomerSegment._meta.db_table} "
        f"UNION ALL SELECT segment_id, customer_id FROM {CustomSegmentMembership._meta.db_table}"
    )
