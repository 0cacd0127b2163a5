"""Fast multi-row inserts: COPY on PostgreSQL, executemany elsewhere.

Both paths skip model instances: the caller passes plain tuples in the order of
``field_names``. On PostgreSQL psycopg adapts Python values itself; elsewhere each value
goes through the field's ``get_db_prep_value`` so SQLite stores what the ORM would.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

from clvcrm.core.model_fields import model_field

_PG_TYPES = {
    "CharField": "text",
    "TextField": "text",
    "EmailField": "text",
    "BigAutoField": "int8",
    "BigIntegerField": "int8",
    "ForeignKey": "int8",
    "PositiveBigIntegerField": "int8",
    "IntegerField": "int4",
    "PositiveIntegerField": "int4",
    "SmallIntegerField": "int2",
    "PositiveSmallIntegerField": "int2",
    "DecimalField": "numeric",
    "FloatField": "float8",
    "BooleanField": "bool",
    "DateField": "date",
    "DateTimeField": "timestamptz",
    "JSONField": "jsonb",
}


def bulk_insert(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    csv_format: bool = False,
) -> None:
    """Insert ``rows`` into ``model``'s table without building model instances.

    ``csv_format`` sends the rows as CSV text on PostgreSQL, encoded by the csv module in
    C: the fastest way for plain rows, but an empty string arrives as NULL, so use it only
    when no text column may be empty.
    """
    fields = [model_field(model, name) for name in field_names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(_column(f)) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and csv_format:
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)
            with copy_logged(cursor, f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
            return
        if connection.vendor == "postgresql":
            # Binary COPY with declared types: about 2.5 times less Python work than text.
            sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
            with copy_logged(cursor, sql) as copy:
                copy.set_types([_PG_TYPES[f.get_internal_type()] for f in fields])
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        prepared = [
            [
                f.get_db_prep_value(v, connection, prepared=False)
                for f, v in zip(fields, row, strict=True)
            ]
            for row in rows
        ]
        if prepared:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", prepared)


def in_chunks(values: Iterable[Any]) -> Iterable[frozenset[Any]]:
    """Split ``values`` for ``__any`` lookups (SQLite limits the parameters of one query)."""
    distinct = values if isinstance(values, set | frozenset | dict) else set(values)
    size = 20_000 if connection.vendor == "postgresql" else 900
    if len(distinct) <= size:
        if distinct:
            yield frozenset(distinct)
        return
    items = list(distinct)
    for start in range(0, len(items), size):
        yield frozenset(items[start : start + size])


@contextmanager
def copy_logged(cursor: Any, sql: str) -> Iterator[Any]:
    """Open a COPY on the driver's cursor, logged like any query when queries are logged.

    COPY runs on psycopg's own cursor, past Django's debug wrapper; without this, query
    counts pinned by tests and the debug toolbar would not see it.
    """
    debug_sql = getattr(cursor, "debug_sql", None)
    if debug_sql is None:
        with cursor.cursor.copy(sql) as copy:
            yield copy
        return
    with debug_sql(sql), cursor.cursor.copy(sql) as copy:
        yield copy


def _column(field: models.Field) -> str:
    assert field.column is not None, f"{field} has no column"  # a concrete field has one
    return field.column
