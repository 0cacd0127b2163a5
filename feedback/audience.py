"""Who a send invites: candidates (SQL), the reasons some are skipped, the rest invited.

A source of candidates is SQL selecting ``customer_id`` (duplicates allowed) with named
parameters. The reasons are decided in SQL for all candidates at once, in this order: an
id that names no customer, no email address, unsubscribed, an address suppressed after a
bounce or complaint, invited to any survey within ``FEEDBACK_THROTTLE_DAYS`` (the
throttle). A customer whose personal data was erased (a privacy request) is skipped first,
whatever their row holds. Consent to marketing is not asked for: a survey is a feedback message (the
campaign's kind), which respects unsubscribes but is not marketing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import TextChoices

from customers.models import Segment


class SkipReason(TextChoices):
    UNKNOWN_CUSTOMER = "unknown_customer", "No such customer"
    ERASED = "erased", "Personal data erased"
    NO_EMAIL = "no_email", "No email address"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    SUPPRESSED_ADDRESS = "suppressed_address", "Address suppressed (bounce or complaint)"
    THROTTLED = "throttled", "Invited to a survey recently"


@dataclass(frozen=True)
class Candidates:
    sql: str  # SELECT customer_id ... with %(name)s parameters
    params: dict[str, Any]


def segment_members(segment: Segment) -> Candidates:
    """Everyone in ``segment`` now (a default or a custom one)."""
    table = (
        "customers_customsegmentmembership"
        if segment.kind == Segment.Kind.CUSTOM
        else "customers_customersegment"
    )
    return Candidates(
        f"SELECT m.customer_id FROM {table} m WHERE m.segment_id = %(segment)s",
        {"segment": segment.pk},
    )


def customer_list(customer_ids: Sequence[int]) -> Candidates:
    """The customers of a list of ids (ids that name nobody are skipped, counted)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return Candidates("SELECT CAST(NULL AS BIGINT) AS customer_id WHERE 1 = 0", {})
    values = ", ".join(f"(%(c{i})s)" for i in range(len(ids)))
    return Candidates(
        f"SELECT v.column1 AS customer_id FROM (VALUES {values}) v",
        {f"c{i}": customer_id for i, customer_id in enumerate(ids)},
    )


def completed_orders_between(start: datetime, end: datetime) -> Candidates:
    """Customers with a completed order placed in ``[start, end)``."""
    return Candidates(
        "SELECT o.customer_id FROM customers_order o "
        "WHERE o.status = 'completed' AND o.placed_at >= %(start)s AND o.placed_at < %(end)s",
        {"start": _db_time(start), "end": _db_time(end)},
    )


_REASONS = """
    WITH candidates AS (SELECT DISTINCT src.customer_id FROM ({source}) src)
    SELECT c.customer_id, CASE
        WHEN cu.id IS NULL THEN 'unknown_customer'
        WHEN cu.erased_at IS NOT NULL THEN 'erased'
        WHEN cu.email = '' THEN 'no_email'
        WHEN cu.unsubscribed_at IS NOT NULL THEN 'unsubscribed'
        WHEN EXISTS (
            SELECT 1 FROM campaigns_suppression x WHERE LOWER(x.email) = LOWER(cu.email)
        ) THEN 'suppressed_address'
        WHEN EXISTS (
            SELECT 1 FROM feedback_invitation i
            WHERE i.customer_id = cu.id AND i.created_at > %(throttle_since)s
        ) THEN 'throttled'
        ELSE '' END AS reason
    FROM candidates c LEFT JOIN customers_customer cu ON cu.id = c.customer_id
"""


def skipped_count(
    cursor: Any, candidates: Candidates, *, throttle_since: datetime
) -> dict[str, int]:
    """How many candidates each reason skips (reasons that skip none are absent)."""
    cursor.execute(
        f"SELECT r.reason, COUNT(*) FROM ({_REASONS.format(source=candidates.sql)}) r "
        "WHERE r.reason <> '' GROUP BY r.reason",
        {**candidates.params, "throttle_since": _db_time(throttle_since)},
    )
    return {reason: int(count) for reason, count in cursor.fetchall()}


def eligible_ids(cursor: Any, candidates: Candidates, *, throttle_since: datetime) -> list[int]:
    """The candidates no reason skips, by id."""
    cursor.execute(
        f"SELECT r.customer_id FROM ({_REASONS.format(source=candidates.sql)}) r "
        "WHERE r.reason = '' ORDER BY r.customer_id",
        {**candidates.params, "throttle_since": _db_time(throttle_since)},
    )
    return [int(row[0]) for row in cursor.fetchall()]


def _db_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)
