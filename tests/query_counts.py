"""Exact query counts for the database the tests run on.

Where SQLite and PostgreSQL run a different number of statements for the same work, the
test names both numbers and says why next to them; this picks the one that applies.
"""

from django.db import connection


def per_backend(*, sqlite: int, postgresql: int) -> int:
    """The exact number of queries on the database in use (SQLite or PostgreSQL)."""
    return postgresql if connection.vendor == "postgresql" else sqlite
