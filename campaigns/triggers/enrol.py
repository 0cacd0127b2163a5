"""Turn a source of entrants into assignments and pending messages (two statements)."""

from datetime import datetime
from typing import Any

from django.db import connection

from campaigns.assignment import bucket_sql

ASSIGNMENTS = "campaigns_assignment"
MESSAGES = "campaigns_message"


def enrol(cursor: Any, *, source: str, params: dict[str, Any], now: datetime) -> int:
    """Assign every entrant of ``source`` an arm and queue a message for the variants' ones.

    ``source`` selects ``campaign_id, customer_id, trigger_ref, triggered_at``; an entrant
    already assigned for that trigger is skipped (the unique constraints). Messages are due
    at once; the sender decides at send time whether each may go. Returns how many
    assignments were written.
    """
    bucket = bucket_sql(connection.vendor, "s.campaign_id", "s.customer_id")
    params = {**params, "now": connection.ops.adapt_datetimefield_value(now)}
    cursor.execute(
        f"""
        INSERT INTO {ASSIGNMENTS}
            (campaign_id, customer_id, trigger_ref, variant_id, triggered_at, assigned_at)
        SELECT s.campaign_id, s.customer_id, s.trigger_ref, v.id, s.triggered_at, %(now)s
        FROM ({source}) s
        LEFT JOIN campaigns_variant v
            ON v.campaign_id = s.campaign_id
            AND {bucket} >= v.bucket_from AND {bucket} < v.bucket_to
        WHERE TRUE
        ON CONFLICT DO NOTHING
        """,
        params,
    )
    assigned = max(cursor.rowcount, 0)
    cursor.execute(
        f"""
        INSERT INTO {MESSAGES}
            (assignment_id, campaign_id, customer_id, variant_id, trigger_ref, triggered_at,
             priority, status, suppressed_reason, due_at, attempts, to_email, subject,
             offer_code, smtp_message_id, esp_message_id, last_error, created_at, opens,
             clicks)
        SELECT a.id, a.campaign_id, a.customer_id, a.variant_id, a.trigger_ref,
               a.triggered_at, c.priority, 'pending', '', %(now)s, 0, '', '', '', '', '',
               '', %(now)s, 0, 0
        FROM ({source}) s
        JOIN {ASSIGNMENTS} a
            ON a.campaign_id = s.campaign_id AND a.customer_id = s.customer_id
            AND a.trigger_ref = s.trigger_ref
        JOIN campaigns_campaign c ON c.id = a.campaign_id
        WHERE a.variant_id IS NOT NULL
        ON CONFLICT DO NOTHING
        """,
        params,
    )
    return assigned
