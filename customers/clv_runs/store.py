"""Write a run's scores in bulk: stage them, then replace the old ones at once.

The scores land in a temporary stage table (binary COPY on PostgreSQL, executemany on
SQLite). On PostgreSQL a fresh copy of the score table is filled from the stage and
swapped in (``table_swap``); elsewhere one ``INSERT ... ON CONFLICT DO UPDATE`` moves them
and scores of customers that no longer qualify are deleted. Run inside the caller's
transaction, so readers see either every old score or every new one.
"""

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import DecimalField
from numpy.typing import NDArray

from clvcrm.core.bulk import copy_logged
from clvcrm.core.input_values import decimal_largest
from clvcrm.core.pgcopy import binary_copy_payload
from clvcrm.core.table_swap import table_create_empty_copy, table_swap
from customers.clv_runs.aggregate import PurchaseHistory
from customers.clv_runs.compute import Scores
from customers.models import CustomerScore

logger = logging.getLogger(__name__)
STAGE = "clv_score_stage"
MONEY = (
    "monetary",
    "total_spent",
    "expected_order_value",
    "predicted_clv",
    "historical_clv",
    "spend_last_90d",
    "spend_prior_90d",
)
PREDICTIONS = ("p_alive", "expected_purchases_90d", "expected_order_value", "predicted_clv")
# (column, PostgreSQL type) of the stage, without and with the prediction.
BASE_COLUMNS = (
    ("customer_id", "int8"),
    ("frequency", "int4"),
    ("recency_days", "int4"),
    ("age_days", "int4"),
    ("monetary", "float8"),
    ("total_spent", "float8"),
    ("first_purchase", "date"),
    ("last_purchase", "date"),
    ("historical_clv", "float8"),
    ("rfm_recency", "int2"),
    ("rfm_frequency", "int2"),
    ("rfm_monetary", "int2"),
    ("rfm_score", "text3"),
    ("spend_last_90d", "float8"),
    ("spend_prior_90d", "float8"),
)
PREDICTION_COLUMNS = tuple((name, "float8") for name in PREDICTIONS)
Column = tuple[str, str, NDArray[Any]]


def scores_store(run_id: int, as_of_day: int, history: PurchaseHistory, scores: Scores) -> int:
    """Replace every CustomerScore with this run's; return the number of rows written."""
    columns = stage_columns(history, scores, as_of_day)
    predicts = scores.p_alive is not None
    with connection.cursor() as cursor:
        stage_create(cursor, STAGE, stage_spec(predicts), "TEMPORARY")
        stage_load(cursor, STAGE, columns)
        scores_replace(cursor, run_id, STAGE, predicts=predicts)
        cursor.execute(f"DROP TABLE {STAGE}")
    return len(history)


def scores_replace(cursor: Any, run_id: int, stage: str, *, predicts: bool) -> None:
    """Make the rows of ``stage`` every customer's score, attributed to run ``run_id``."""
    names = [name for name, _ in stage_spec(predicts)]
    table = CustomerScore._meta.db_table
    if connection.vendor == "postgresql":
        new = table_create_empty_copy(cursor, table)
        cursor.execute(_insert_sql(new, stage, names), [run_id])
        table_swap(cursor, table, new)
        return
    cursor.execute(_insert_sql(table, stage, names) + _on_conflict_sql(names), [run_id])
    cursor.execute(f'DELETE FROM "{table}" WHERE run_id <> %s', [run_id])


def stage_spec(predicts: bool) -> list[tuple[str, str]]:
    """(column, PostgreSQL type) of a run's stage table."""
    return [*BASE_COLUMNS, *(PREDICTION_COLUMNS if predicts else ())]


def stage_columns(history: PurchaseHistory, scores: Scores, as_of_day: int) -> list[Column]:
    """(column, PostgreSQL type, values) for every stage column of these scores."""
    s, rfm = scores.summary, scores.rfm
    values: dict[str, NDArray[Any] | None] = {
        "customer_id": history.customer_id,
        "frequency": s.frequency.astype(np.int32),
        "recency_days": (history.last_day - history.first_day).astype(np.int32),
        "age_days": (as_of_day - history.first_day).astype(np.int32),
        "monetary": s.monetary,
        "total_spent": history.total_value,
        "first_purchase": history.first_day,
        "last_purchase": history.last_day,
        "historical_clv": scores.historical_clv,
        "rfm_recency": rfm.recency.astype(np.int16),
        "rfm_frequency": rfm.frequency.astype(np.int16),
        "rfm_monetary": rfm.monetary.astype(np.int16),
        "rfm_score": rfm.combined.astype("S3"),
        "spend_last_90d": history.spend_last_90d,
        "spend_prior_90d": history.spend_prior_90d,
        **{name: getattr(scores, name) for name in PREDICTIONS},
    }
    for name in MONEY:
        values[name] = money_within_column(name, values[name])
    spec = stage_spec(predicts=scores.p_alive is not None)
    return [(name, pg_type, values[name]) for name, pg_type in spec]  # type: ignore[misc]  # stage_spec names only the columns that have values


def money_within_column(name: str, values: NDArray[np.float64] | None) -> Any:
    """``values`` capped at the largest the score column ``name`` holds.

    Orders are checked against their own column, but a customer's sum of them (or a
    prediction from it) can still pass a score column's: one such customer must not stop
    every night's run, so the figure is stored at the column's largest and logged.
    """
    if values is None:
        return None
    field = CustomerScore._meta.get_field(name)
    assert isinstance(field, DecimalField)
    largest = float(
        decimal_largest(max_digits=field.max_digits, decimal_places=field.decimal_places)
    )
    capped = int(np.count_nonzero(np.abs(values) > largest))
    if not capped:
        return values
    logger.warning("%s customers have a %s beyond its column: stored as %s", capped, name, largest)
    return np.clip(values, -largest, largest)


def stage_create(cursor: Any, table: str, spec: Sequence[tuple[str, str]], kind: str) -> None:
    """(Re)create an empty stage table; ``kind`` is TEMPORARY, UNLOGGED (PostgreSQL) or ""."""
    types = {
        "int2": "smallint",
        "int4": "integer",
        "int8": "bigint",
        "float8": "double precision",
        "date": "date",
    }
    definition = ", ".join(f"{name} {types.get(pg_type, 'text')}" for name, pg_type in spec)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE {kind} TABLE {table} ({definition})")


def stage_load(cursor: Any, table: str, columns: Sequence[Column]) -> None:
    """Append the rows to a stage table: binary COPY on PostgreSQL, executemany elsewhere."""
    names = ", ".join(name for name, _, _ in columns)
    if connection.vendor == "postgresql":
        payload = binary_copy_payload([(pg_type, values) for _, pg_type, values in columns])
        with copy_logged(cursor, f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(payload)
        return
    rows = zip(*(_python_values(pg_type, values) for _, pg_type, values in columns), strict=True)
    placeholders = ", ".join(["%s"] * len(columns))
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", list(rows))


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


def _insert_sql(table: str, stage: str, names: list[str]) -> str:
    target, selected = _target_and_values(names)
    return (
        f'INSERT INTO "{table}" (customer_id, {", ".join(target)}) '
        f"SELECT customer_id, %s, {', '.join(selected)} FROM {stage} WHERE true"
    )


def _on_conflict_sql(names: list[str]) -> str:
    target, _ = _target_and_values(names)
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in target)
    return f" ON CONFLICT (customer_id) DO UPDATE SET {updates}"
