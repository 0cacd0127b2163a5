"""Write a run's scores in bulk: stage them, then replace the old ones at once.

The scores land in a temporary stage table (binary COPY on PostgreSQL, executemany on
SQLite). On PostgreSQL a fresh copy of the score table is filled from the stage and
swapped in (``table_swap``); elsewhere one ``INSERT ... ON CONFLICT DO UPDATE`` moves them
and scores of customers that no longer qualify are deleted. Run inside the caller's
transaction, so readers see either every old score or every new one.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import connection
from numpy.typing import NDArray

from clvcrm.core.bulk import copy_logged
from clvcrm.core.pgcopy import binary_copy_payload
from customers.models import CustomerScore
from customers.scoring.aggregate import PurchaseHistory
from customers.scoring.compute import Scores
from customers.scoring.table_swap import table_create_empty_copy, table_swap

STAGE = "clv_score_stage"
MONEY = ("monetary", "total_spent", "expected_order_value", "predicted_clv", "historical_clv")
PREDICTIONS = ("p_alive", "expected_purchases_90d", "expected_order_value", "predicted_clv")


def scores_store(run_id: int, as_of_day: int, history: PurchaseHistory, scores: Scores) -> int:
    """Replace every CustomerScore with this run's; return the number of rows written."""
    columns = _columns(history, scores, as_of_day)
    names = [name for name, _, _ in columns]
    table = CustomerScore._meta.db_table
    with connection.cursor() as cursor:
        _create_stage(cursor, columns)
        _load_stage(cursor, columns)
        if connection.vendor == "postgresql":
            new = table_create_empty_copy(cursor, table)
            cursor.execute(_insert_sql(new, names), [run_id])
            table_swap(cursor, table, new)
        else:
            cursor.execute(_insert_sql(table, names) + _on_conflict_sql(names), [run_id])
        cursor.execute(f"DROP TABLE {STAGE}")
    if connection.vendor != "postgresql":
        CustomerScore.objects.exclude(run_id=run_id).delete()
    return len(history)


def _columns(
    history: PurchaseHistory, scores: Scores, as_of_day: int
) -> list[tuple[str, str, NDArray[Any]]]:
    """(column, PostgreSQL type, values) for every stage column of this run."""
    s, rfm = scores.summary, scores.rfm
    columns = [
        ("customer_id", "int8", history.customer_id),
        ("frequency", "int4", s.frequency.astype(np.int32)),
        ("recency_days", "int4", (history.last_day - history.first_day).astype(np.int32)),
        ("age_days", "int4", (as_of_day - history.first_day).astype(np.int32)),
        ("monetary", "float8", s.monetary),
        ("total_spent", "float8", history.total_value),
        ("first_purchase", "date", history.first_day),
        ("last_purchase", "date", history.last_day),
        ("historical_clv", "float8", scores.historical_clv),
        ("rfm_recency", "int2", rfm.recency.astype(np.int16)),
        ("rfm_frequency", "int2", rfm.frequency.astype(np.int16)),
        ("rfm_monetary", "int2", rfm.monetary.astype(np.int16)),
        ("rfm_score", "text3", rfm.combined.astype("S3")),
    ]
    for name in PREDICTIONS:
        values = getattr(scores, name)
        if values is not None:
            columns.append((name, "float8", values))
    return columns


def _create_stage(cursor: Any, columns: Sequence[tuple[str, str, NDArray[Any]]]) -> None:
    types = {
        "int2": "smallint",
        "int4": "integer",
        "int8": "bigint",
        "float8": "double precision",
        "date": "date",
    }
    definition = ", ".join(f"{name} {types.get(pg_type, 'text')}" for name, pg_type, _ in columns)
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({definition})")


def _load_stage(cursor: Any, columns: Sequence[tuple[str, str, NDArray[Any]]]) -> None:
    names = ", ".join(name for name, _, _ in columns)
    if connection.vendor == "postgresql":
        payload = binary_copy_payload([(pg_type, values) for _, pg_type, values in columns])
        with copy_logged(cursor, f"COPY {STAGE} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(payload)
        return
    rows = zip(*(_python_values(pg_type, values) for _, pg_type, values in columns), strict=True)
    placeholders = ", ".join(["%s"] * len(columns))
    cursor.executemany(f"INSERT INTO {STAGE} ({names}) VALUES ({placeholders})", list(rows))


def _python_values(pg_type: str, values: NDArray[Any]) -> list[Any]:
    if pg_type == "date":
        return (values.astype("datetime64[D]").astype(str)).tolist()
    if pg_type.startswith("text"):
        return values.astype(str).tolist()
    return values.tolist()


def _target_and_values(names: list[str]) -> tuple[list[str], list[str]]:
    money = "ROUND(CAST({} AS NUMERIC), 2)" if connection.vendor == "postgresql" else "ROUND({}, 2)"
    target = ["run_id", *names[1:]]
    selected = [money.format(n) if n in MONEY else n for n in names[1:]]
    # Columns a run without prediction does not stage are reset to NULL.
    for name in PREDICTIONS:
        if name not in names:
            target.append(name)
            selected.append("NULL")
    return target, selected


def _insert_sql(table: str, names: list[str]) -> str:
    target, selected = _target_and_values(names)
    return (
        f'INSERT INTO "{table}" (customer_id, {", ".join(target)}) '
        f"SELECT customer_id, %s, {', '.join(selected)} FROM {STAGE} WHERE true"
    )


def _on_conflict_sql(names: list[str]) -> str:
    target, _ = _target_and_values(names)
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in target)
    return f" ON CONFLICT (customer_id) DO UPDATE SET {updates}"
