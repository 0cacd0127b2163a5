"""Replace a whole PostgreSQL table by a freshly filled copy, keeping every name.

Rewriting a million rows in place (``INSERT ... ON CONFLICT DO UPDATE``) creates a new
version of each row and updates every index entry: about 90 s on our 2-core machine.
Filling an empty table without indexes, then building the indexes and constraints once,
takes a tenth of that. The old table is dropped and the new one renamed in the caller's
transaction, so readers wait only for the moment between the drop and the commit, and a
failure leaves the old table untouched.

Indexes and constraints are copied from the live table's catalog definitions, so whatever
later migrations add to the table is carried over under the same names.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SWAP_SUFFIX = "__next"


def table_create_empty_copy(cursor: Any, table: str) -> str:
    """Create ``<table>__next`` with the columns and defaults of ``table``; return its name."""
    new = f"{table}{SWAP_SUFFIX}"
    cursor.execute(f'DROP TABLE IF EXISTS "{new}"')
    cursor.execute(f'CREATE TABLE "{new}" (LIKE "{table}" INCLUDING DEFAULTS)')
    return new


def table_swap(cursor: Any, table: str, new: str) -> None:
    """Give ``new`` the indexes and constraints of ``table``, then put it in its place."""
    indexes, constraints = _definitions(cursor, table)
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE "{new}" ADD CONSTRAINT "{name}{SWAP_SUFFIX}" {definition}')
    # "CREATE INDEX name ON [schema.]table USING ..." -> the same on the new table.
    on_table = re.compile(rf' ON (?:\w+\.)?"?{re.escape(table)}"? ')
    for name, definition in indexes:
        renamed = definition.replace(f" INDEX {name} ON", f' INDEX "{name}{SWAP_SUFFIX}" ON', 1)
        cursor.execute(on_table.sub(f' ON "{new}" ', renamed, count=1))
    cursor.execute(f'DROP TABLE "{table}"')
    cursor.execute(f'ALTER TABLE "{new}" RENAME TO "{table}"')
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{name}{SWAP_SUFFIX}" TO "{name}"')
    for name, _ in indexes:
        cursor.execute(f'ALTER INDEX "{name}{SWAP_SUFFIX}" RENAME TO "{name}"')


def _definitions(cursor: Any, table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(name, definition) of the table's indexes that back no constraint, and constraints."""
    cursor.execute(
        """
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f', 'c')
        ORDER BY contype = 'f', conname
        """,
        [table],
    )
    constraints = list(cursor.fetchall())
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        [table],
    )
    return list(cursor.fetchall()), constraints


def table_write_is_bulk(cursor: Any, table: str, rows: int, *, share: float = 0.5) -> bool:
    """Whether writing ``rows`` rows touches at least ``share`` of the table's (estimated) rows.

    Past that share, building indexes once (``table_indexes_deferred``) or rebuilding the
    table (``table_swap``) costs less than maintaining every index row by row. An empty,
    never analysed table counts as empty.
    """
    if not rows:
        return False
    cursor.execute("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [table])
    return rows >= share * cursor.fetchone()[0]


@contextmanager
def table_indexes_deferred(cursor: Any, table: str) -> Iterator[None]:
    """Drop the table's secondary indexes and unique constraints; rebuild them on exit.

    For a bulk insert of a large share of the table's rows: one index build afterwards
    costs a fraction of as many index insertions. The primary key stays (its values come
    from a sequence, so its insertions only append), and so do check and foreign-key
    constraints. A unique constraint that the inserted rows violate fails on exit with an
    IntegrityError. The table is locked (ACCESS EXCLUSIVE) until the caller's transaction
    ends.
    """
    indexes, constraints = _definitions(cursor, table)
    unique = [(name, sql) for name, sql in constraints if sql.startswith("UNIQUE")]
    for name, _ in unique:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for name, definition in unique:
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        cursor.execute(definition)
