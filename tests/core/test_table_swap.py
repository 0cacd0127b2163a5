"""Swapped tables: nothing in the migrated schema refers to them, and a swap refuses if it does.

``clvcrm.core.table_swap`` drops and renames the tables in ``SWAPPED_TABLES`` every night. A
foreign key or a view onto one of them would make the nightly run fail; a trigger on one
would vanish. The first PostgreSQL test reads the catalog after every migration of every app,
so a later model that refers to a swapped table fails here, not in production.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from clvcrm.core.table_swap import (
    SWAPPED_TABLES,
    TableSwapError,
    table_create_empty_copy,
    table_references,
    table_swap,
)
from customers.models import CustomerScore, CustomerSegment, LoyaltyStatus
from tests.catalog import table_catalog

SCORES = CustomerScore._meta.db_table

# What refers to the score table, how to make it, and how table_references names it.
REFERENCES = {
    "a foreign key": (
        [
            "CREATE TABLE probe (score_id bigint, CONSTRAINT probe_score_fkey "
            f"FOREIGN KEY (score_id) REFERENCES {SCORES} (customer_id))"
        ],
        "constraint probe_score_fkey on table probe",
    ),
    "a view": (
        [f"CREATE VIEW probe_view AS SELECT customer_id FROM {SCORES}"],
        "rule _RETURN on view probe_view",
    ),
    "a trigger on the table": (
        [
            "CREATE FUNCTION probe_keep() RETURNS trigger LANGUAGE plpgsql AS "
            "'BEGIN RETURN NEW; END'",
            f"CREATE TRIGGER probe_audit BEFORE INSERT ON {SCORES} "
            "FOR EACH ROW EXECUTE FUNCTION probe_keep()",
        ],
        f"trigger probe_audit on table {SCORES}",
    ),
    "a trigger elsewhere whose function names the table": (
        [
            "CREATE TABLE probe (customer_id bigint)",
            "CREATE FUNCTION probe_forget() RETURNS trigger LANGUAGE plpgsql AS "
            f"'BEGIN DELETE FROM {SCORES} WHERE customer_id = NEW.customer_id; RETURN NEW; END'",
            "CREATE TRIGGER probe_cleanup AFTER INSERT ON probe "
            "FOR EACH ROW EXECUTE FUNCTION probe_forget()",
        ],
        "trigger probe_cleanup on table probe (its function probe_forget names the table)",
    ),
}


def test_the_swapped_tables_are_those_the_code_swaps() -> None:
    assert {
        CustomerScore._meta.db_table,
        CustomerSegment._meta.db_table,
        LoyaltyStatus._meta.db_table,
    } == SWAPPED_TABLES


@pytest.mark.parametrize(
    "call", [table_create_empty_copy, lambda c, t: table_swap(c, t, "x")], ids=["copy", "swap"]
)
def test_a_table_not_listed_is_never_swapped(call: Callable[[Any, str], object]) -> None:
    with pytest.raises(TableSwapError) as refused:
        call(None, "customers_order")  # refused before any statement

    assert str(refused.value) == (
        "customers_order is not one of the swapped tables (customers_customerscore, "
        "customers_customersegment, customers_loyaltystatus): add it to SWAPPED_TABLES in "
        "clvcrm.core.table_swap, under its rule"
    )


@pytest.mark.postgres
@pytest.mark.django_db
def test_nothing_in_the_migrated_schema_refers_to_a_swapped_table() -> None:
    with connection.cursor() as cursor:
        found = {table: table_references(cursor, table) for table in sorted(SWAPPED_TABLES)}

    assert found == {table: [] for table in sorted(SWAPPED_TABLES)}


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(REFERENCES))
def test_each_kind_of_reference_is_found(kind: str) -> None:
    statements, description = REFERENCES[kind]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)

        assert table_references(cursor, SCORES) == [description]
        assert table_references(cursor, CustomerSegment._meta.db_table) == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_swap_refuses_a_referenced_table_before_dropping_anything() -> None:
    before = table_catalog(SCORES)
    with connection.cursor() as cursor:
        cursor.execute(REFERENCES["a foreign key"][0][0])
        new = table_create_empty_copy(cursor, SCORES)

        with pytest.raises(TableSwapError) as refused:
            table_swap(cursor, SCORES, new)

        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [new])
        assert cursor.fetchone() == (True,)  # the copy is untouched: the caller rolls back
    assert str(refused.value) == (
        f"cannot swap {SCORES}: constraint probe_score_fkey on table probe refer(s) to it "
        "(see clvcrm.core.table_swap for what to do instead)"
    )
    assert table_catalog(SCORES) == before


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_foreign_key_to_itself_is_a_reference_too() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {SCORES} ADD COLUMN probe_id bigint, ADD CONSTRAINT probe_self_fkey "
            f"FOREIGN KEY (probe_id) REFERENCES {SCORES} (customer_id)"
        )

        assert table_references(cursor, SCORES) == [f"constraint probe_self_fkey on table {SCORES}"]
