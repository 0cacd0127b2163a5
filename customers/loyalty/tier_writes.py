"""Write what a tier evaluation decided: the tier history, then the customers' statuses.

The evaluation leaves one row per changing customer in a temporary table (its ``action``,
``new_rank`` and the status as it was). A normal night changes a few customers and the
writes are plain statements. On the first evaluation of a shop, or a review day when most
tiers expire at once, most rows change; PostgreSQL then builds the history's indexes once
after the insert and rebuilds the status table (``clvcrm.core.table_swap``), which costs a
fraction of maintaining every index entry row by row. Both tables are locked until the
evaluation commits in that case, so the customer page waits a few seconds on such a day.
"""

from datetime import date
from typing import Any

from django.utils import timezone

from clvcrm.core.input_values import decimal_largest
from clvcrm.core.table_swap import (
    table_create_empty_copy,
    table_indexes_deferred,
    table_swap,
    table_write_is_bulk,
)
from customers.loyalty.sql import (
    TABLES,
    add_months,
    least,
    literal,
    on_postgres,
    param,
    plus_days,
)
from customers.models import LoyaltySettings, LoyaltyTier, LoyaltyTierChange

STATUS_COLUMNS = (
    "customer_id",
    "tier_id",
    "tier_since",
    "review_on",
    "downgrade_on",
    "downgrade_flagged_on",
)
# Rebuild the status table when the evaluation rewrites at least this share of its rows.
STATUS_REBUILD_SHARE = 1 / 3


def tier_changes_write(
    cursor: Any,
    evaluation: str,
    as_of: date,
    rules: LoyaltySettings,
    tiers: list[LoyaltyTier],
    counts: dict[str, int],
) -> None:
    """Record the upgrades and downgrades, then give every changing customer their status.

    ``evaluation`` names the temporary table of changing customers, ``counts`` its rows
    per action.
    """
    changes = counts.get("upgrade", 0) + counts.get("downgrade", 0)
    history = TABLES["history"]
    if on_postgres() and table_write_is_bulk(cursor, history, changes):
        with table_indexes_deferred(cursor, history):
            cursor.execute(*_history_sql(evaluation, as_of, tiers))
    elif changes:
        cursor.execute(*_history_sql(evaluation, as_of, tiers))
    rewritten = sum(counts.values())
    status = TABLES["status"]
    if on_postgres() and table_write_is_bulk(cursor, status, rewritten, share=STATUS_REBUILD_SHARE):
        _statuses_rebuild(cursor, evaluation, as_of, rules, tiers)
    elif rewritten:
        for statement in _status_sql(evaluation, as_of, rules, tiers):
            cursor.execute(*statement)


def _tier_of(column: str, tiers: list[LoyaltyTier]) -> str:
    whens = " ".join(f"WHEN {literal(t.rank)} THEN {literal(t.pk)}" for t in tiers)
    return f"CASE {column} {whens} END"


def _history_sql(evaluation: str, as_of: date, tiers: list[LoyaltyTier]) -> tuple[str, list[Any]]:
    column = LoyaltyTierChange._meta.get_field("spend_12m")
    # A year of the largest orders sums past what the column holds: record it capped.
    largest = decimal_largest(max_digits=column.max_digits, decimal_places=column.decimal_places)
    sql = f"""
        INSERT INTO {TABLES["history"]}
            (customer_id, from_tier_id, to_tier_id, reason, effective_on, spend_12m,
             orders_12m, created_at)
        SELECT customer_id, old_tier_id, {_tier_of("new_rank", tiers)}, action, %s,
               {least("spend", literal(largest))}, orders, %s
        FROM {evaluation} WHERE action IN ('upgrade', 'downgrade')
    """
    return sql, [param(as_of), param(timezone.now())]


def _new_status(
    as_of: date, rules: LoyaltySettings, tiers: list[LoyaltyTier]
) -> tuple[dict[str, str], list[Any]]:
    """Each status column's new value for the evaluation's row ``e``, and their params.

    The same expressions serve a customer new to the programme (always an upgrade) and a
    known one, so the plain statements and the rebuild write identical rows.
    """
    changed = "e.action IN ('upgrade', 'downgrade')"
    due = plus_days("e.review_on", rules.grace_days)
    values = {
        "customer_id": "e.customer_id",
        "tier_id": f"CASE WHEN {changed} THEN {_tier_of('e.new_rank', tiers)} "
        "ELSE e.old_tier_id END",
        "tier_since": f"CASE WHEN {changed} THEN %s ELSE e.tier_since END",
        "review_on": f"CASE WHEN {changed} OR e.action = 'renew' THEN %s ELSE e.review_on END",
        "downgrade_on": f"CASE WHEN e.action = 'warn' THEN {due} END",
        "downgrade_flagged_on": "CASE WHEN e.action = 'warn' "
        "THEN COALESCE(e.downgrade_flagged_on, %s) END",
    }
    params = [param(as_of), param(add_months(as_of, rules.review_months)), param(as_of)]
    return values, params


def _status_sql(
    evaluation: str, as_of: date, rules: LoyaltySettings, tiers: list[LoyaltyTier]
) -> list[tuple[str, list[Any]]]:
    """Insert the statuses of customers new to the programme, update the others.

    A warned customer's row is rewritten only if the flag would change. (Two plain
    statements rather than one upsert: at a million new customers the upsert's
    speculative insertion costs more.)
    """
    values, params = _new_status(as_of, rules, tiers)
    status = TABLES["status"]
    insert = f"""
        INSERT INTO {status} ({", ".join(STATUS_COLUMNS)})
        SELECT {", ".join(values.values())}
        FROM {evaluation} e WHERE e.tier_since IS NULL
    """
    updated = {column: value for column, value in values.items() if column != "customer_id"}
    due = plus_days("e.review_on", rules.grace_days)
    update = f"""
        UPDATE {status} SET {", ".join(f"{c} = {v}" for c, v in updated.items())}
        FROM {evaluation} e
        WHERE {status}.customer_id = e.customer_id AND e.tier_since IS NOT NULL
          AND NOT (e.action = 'warn' AND e.downgrade_flagged_on IS NOT NULL
                   AND e.downgrade_on = {due})
    """
    return [(insert, params), (update, params)]


def _statuses_rebuild(
    cursor: Any, evaluation: str, as_of: date, rules: LoyaltySettings, tiers: list[LoyaltyTier]
) -> None:
    """Fill a fresh status table with the unchanged rows and the new ones; swap it in."""
    values, params = _new_status(as_of, rules, tiers)
    status = TABLES["status"]
    new = table_create_empty_copy(cursor, status)
    columns = ", ".join(STATUS_COLUMNS)
    cursor.execute(
        f"""
        INSERT INTO "{new}" ({columns})
        SELECT {columns} FROM {status} s
        WHERE NOT EXISTS (SELECT 1 FROM {evaluation} e WHERE e.customer_id = s.customer_id)
        UNION ALL
        SELECT {", ".join(values.values())} FROM {evaluation} e
        """,
        params,
    )
    table_swap(cursor, status, new)
