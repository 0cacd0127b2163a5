"""Replace a whole PostgreSQL table by a freshly filled copy, keeping every name.

Rewriting a million rows in place (``INSERT ... ON CONFLICT DO UPDATE``) creates a new
version of each row and updates every index entry: about 90 s on our 2-core machine.
Filling an empty table without indexes, then building the indexes and constraints once,
takes a tenth of that. The old table is dropped and the new one renamed in the caller's
transaction, so readers wait only for the moment between the drop and the commit, and a
failure leaves the old table untouched.

Indexes and constraints (primary key, unique, check, foreign keys *from* the table) are
copied from the live table's catalog definitions, so whatever later migrations add to the
table is carried over under the same names. Nothing else is: not what other objects hang on
the table, nor its grants, comments or storage parameters (the app's role owns it).

**The swapped tables** are ``SWAPPED_TABLES``, and ``table_swap`` refuses any other:

- ``customers_customerscore``: every CLV run's scores (``customers/clv_runs/store.py``);
- ``customers_customersegment``: the segment assignments, when a reassignment changes a
  third or more of them (``customers/segments/write.py``);
- ``customers_loyaltystatus``: the loyalty statuses, on a mass tier change
  (``customers/loyalty/tier_writes.py``).

**The rule: nothing may reference a swapped table.** No foreign key from any table (the
table itself included), no view or materialized view, no trigger on it or trigger function
that names it, no rule, policy, extended statistics, SQL function body, identity or serial
column. A foreign key or a view makes ``DROP TABLE`` fail, and the nightly run with it; a
trigger, policy or identity would silently vanish with the old table. ``table_swap`` reads
the catalog before it drops anything and raises ``TableSwapError`` naming what refers to the
table (``table_references``), and ``tests/core/test_table_swap.py`` fails on any reference
in the migrated schema, so a migration that adds one never reaches a nightly run.

What to do instead: refer to the customer, by whom every swapped table is keyed (a campaign
message or an NPS response has a foreign key to ``customers.Customer``; ``customer.score``,
``customer.segment_assignment`` and ``customer.loyalty`` still reach the current row), or
keep on the new row the values it needs as they were (as an NPS response keeps the segment,
tier and CLV of its moment; a transition is not swapped and may be referenced). A Django
relation to a swapped model must have ``db_constraint=False``, which keeps it out of the
catalog while Django still applies ``on_delete``. Read the tables in selectors, not views;
do in the service that writes what a trigger would do.

``table_indexes_deferred`` keeps its table (segment transitions, the loyalty tier history)
and its primary key, but drops and rebuilds its unique constraints: a foreign key into such
a table must reference its primary key.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SWAP_SUFFIX = "__next"
SWAPPED_TABLES = frozenset(
    {"customers_customerscore", "customers_customersegment", "customers_loyaltystatus"}
)


class TableSwapError(Exception):
    """A swap that would break or lose something: an unlisted table, or a reference to it."""


def table_create_empty_copy(cursor: Any, table: str) -> str:
    """Create ``<table>__next`` with the columns and defaults of ``table``; return its name."""
    _check_swapped(table)
    new = f"{table}{SWAP_SUFFIX}"
    cursor.execute(f'DROP TABLE IF EXISTS "{new}"')
    cursor.execute(f'CREATE TABLE "{new}" (LIKE "{table}" INCLUDING DEFAULTS)')
    return new


def table_swap(cursor: Any, table: str, new: str) -> None:
    """Give ``new`` the indexes and constraints of ``table``, then put it in its place.

    Raises ``TableSwapError``, before changing anything, when something refers to ``table``.
    """
    _check_swapped(table)
    indexes, constraints, references = _definitions(cursor, table)
    if references:
        raise TableSwapError(
            f"cannot swap {table}: {'; '.join(references)} refer(s) to it "
            "(see clvcrm.core.table_swap for what to do instead)"
        )
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


def table_references(cursor: Any, table: str) -> list[str]:
    """What refers to ``table`` that a swap would break or lose, as PostgreSQL describes it.

    E.g. ``constraint message_score_id_fkey on table campaigns_message``, ``rule _RETURN
    on view score_report``, ``trigger audit on table customers_customerscore``. Empty for a
    table only its own indexes, constraints and column defaults depend on.
    """
    return _definitions(cursor, table)[2]


def _check_swapped(table: str) -> None:
    if table not in SWAPPED_TABLES:
        raise TableSwapError(
            f"{table} is not one of the swapped tables ({', '.join(sorted(SWAPPED_TABLES))}): "
            "add it to SWAPPED_TABLES in clvcrm.core.table_swap, under its rule"
        )


# The table's own constraints that table_swap rebuilds (a foreign key to itself is also a
# reference: the copy's would point at the table being dropped), and what else refers to
# it: every object that depends on it in pg_depend but its own indexes, those constraints,
# its column defaults and row type; and the triggers whose function names it.
_CATALOG_SQL = """
    SELECT 'constraint', conname::text, pg_get_constraintdef(oid), contype = 'f'
    FROM pg_constraint
    WHERE conrelid = %(table)s::regclass AND contype IN ('p', 'u', 'f', 'c')
    UNION ALL
    SELECT DISTINCT 'reference', pg_describe_object(d.classid, d.objid, 0), NULL, false
    FROM pg_depend d
    WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = %(table)s::regclass
      AND d.classid <> 'pg_type'::regclass
      AND NOT (d.classid = 'pg_attrdef'::regclass AND EXISTS (
            SELECT 1 FROM pg_attrdef a WHERE a.oid = d.objid AND a.adrelid = d.refobjid))
      AND NOT (d.classid = 'pg_class'::regclass AND EXISTS (
            SELECT 1 FROM pg_index i WHERE i.indexrelid = d.objid AND i.indrelid = d.refobjid))
      AND NOT (d.classid = 'pg_constraint'::regclass AND EXISTS (
            SELECT 1 FROM pg_constraint c
            WHERE c.oid = d.objid AND c.conrelid = d.refobjid AND c.contype IN ('p', 'u', 'f', 'c')
              AND c.confrelid <> d.refobjid))
    UNION ALL
    SELECT 'reference', pg_describe_object('pg_trigger'::regclass, t.oid, 0)
           || ' (its function ' || p.proname || ' names the table)', NULL, false
    FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE NOT t.tgisinternal AND t.tgrelid <> %(table)s::regclass
      AND p.prosrc ~* ('\\m' || %(table)s || '\\M')
    ORDER BY 1, 4, 2
"""


def _definitions(
    cursor: Any, table: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """(name, definition) of the table's indexes that back no constraint, and constraints;
    and what else refers to it (``table_references``)."""
    cursor.execute(_CATALOG_SQL, {"table": table})
    rows = cursor.fetchall()
    constraints = [(name, definition) for kind, name, definition, _ in rows if kind == "constraint"]
    references = [name for kind, name, _, _ in rows if kind == "reference"]
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
    return list(cursor.fetchall()), constraints, references


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
    indexes, constraints, _ = _definitions(cursor, table)
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
