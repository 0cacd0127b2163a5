"""The PostgreSQL catalog of a table, to check that a swapped-in copy kept every name."""

from django.db import connection


def table_catalog(table: str) -> tuple[list, list]:
    """(index name, definition) and (constraint name, definition) of ``table``, sorted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass ORDER BY conname",
            [table],
        )
        return indexes, cursor.fetchall()
