"""Turn a source of entrants into assignments and pending messages.

PostgreSQL does it in one statement (the assignments inserted, then the messages of those
the insert returned); SQLite, the embedded demo, in two. Either way each entrant's bucket is
computed once (a materialised step), not once per variant it is compared with.
"""

from datetime import datetime
from typing import Any

from django.db import connection

from campaigns.assignment import bucket_sql, global_control_sql
from campaigns.models import CampaignKind

ASSIGNMENTS = "campaigns_assignment"
MESSAGES = "campaigns_message"

ASSIGNMENT_COLUMNS = "campaign_id, customer_id, trigger_ref, variant_id, triggered_at, assigned_at"
MESSAGE_COLUMNS = """assignment_id, campaign_id, customer_id, variant_id, trigger_ref,
    triggered_at, priority, status, suppressed_reason, due_at, attempts, to_email, subject,
    offer_code, smtp_message_id, esp_message_id, last_error, created_at, opens, clicks"""
MESSAGE_VALUES = """a.id, a.campaign_id, a.customer_id, a.variant_id, a.trigger_ref,
    a.triggered_at, c.priority, 'pending', '', %(now)s, 0, '', '', '', '', '', '', %(now)s,
    0, 0"""


def enrol(cursor: Any, *, source: str, params: dict[str, Any], now: datetime) -> int:
    """Assign every entrant of ``source`` an arm and queue a message for the variants' ones.

    ``source`` selects ``campaign_id, customer_id, trigger_ref, triggered_at``; an entrant
    already assigned for that trigger is skipped (the unique constraints), and so is a
    member of the global control group when the campaign is a marketing one: they are in
    no campaign's experiment at all, and so is a customer whose personal data was erased
    (a privacy request): they are in no experiment from then on. Messages are due at once;
    the sender decides at send time whether each may go. Returns how many assignments were
    written.
    """
    params = {**params, "now": connection.ops.adapt_datetimefield_value(now)}
    bucket = bucket_sql(connection.vendor, "src.campaign_id", "src.customer_id")
    entrants = f"""
        WITH s AS MATERIALIZED (
            SELECT src.*, {bucket} AS bucket FROM ({source}) src {_entrants_filter(params)}
        ),
        arms AS (
            SELECT s.campaign_id, s.customer_id, s.trigger_ref, v.id AS variant_id,
                   s.triggered_at, %(now)s AS assigned_at
            FROM s
            LEFT JOIN campaigns_variant v
                ON v.campaign_id = s.campaign_id
                AND s.bucket >= v.bucket_from AND s.bucket < v.bucket_to
        )"""
    if connection.vendor == "postgresql":
        cursor.execute(
            f"""{entrants},
            a AS (
                INSERT INTO {ASSIGNMENTS} ({ASSIGNMENT_COLUMNS})
                SELECT * FROM arms
                ON CONFLICT DO NOTHING
                RETURNING id, campaign_id, customer_id, variant_id, trigger_ref, triggered_at
            ),
            m AS (
                INSERT INTO {MESSAGES} ({MESSAGE_COLUMNS})
                SELECT {MESSAGE_VALUES}
                FROM a JOIN campaigns_campaign c ON c.id = a.campaign_id
                WHERE a.variant_id IS NOT NULL
                ON CONFLICT DO NOTHING
            )
            SELECT COUNT(*) FROM a""",
            params,
        )
        return int(cursor.fetchone()[0])
    cursor.execute(
        f"""{entrants}
        INSERT INTO {ASSIGNMENTS} ({ASSIGNMENT_COLUMNS})
        SELECT * FROM arms WHERE TRUE
        ON CONFLICT DO NOTHING""",
        params,
    )
    # Python's sqlite3 reports no row count for a statement that starts with WITH.
    cursor.execute("SELECT changes()")
    assigned = int(cursor.fetchone()[0])
    cursor.execute(
        f"""
        INSERT INTO {MESSAGES} ({MESSAGE_COLUMNS})
        SELECT {MESSAGE_VALUES}
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


# The erased customers, a handful read from their partial index (customer_erased_idx):
# NOT IN makes them one hashed set checked per entrant, not a lookup of each entrant's row.
NOT_ERASED = """src.customer_id NOT IN (
                SELECT e.id FROM customers_customer e WHERE e.erased_at IS NOT NULL)"""


def _entrants_filter(params: dict[str, Any]) -> str:
    """The clause keeping erased customers out, and the global control group out of
    marketing campaigns (when it is on)."""
    members = global_control_sql(connection.vendor, "src.customer_id")
    if members is None:
        return f"WHERE {NOT_ERASED}"
    params["marketing"] = CampaignKind.MARKETING.value
    return f"""JOIN campaigns_campaign gc ON gc.id = src.campaign_id
            WHERE (gc.kind <> %(marketing)s OR NOT ({members})) AND {NOT_ERASED}"""
