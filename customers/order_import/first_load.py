"""The first import of a shop on PostgreSQL: one transaction, indexes and checks built once.

Into an empty orders table most of an import's database time goes to keeping the
secondary indexes of orders and customers up to date row by row (random places in large
B-trees) and to the foreign-key checks of each new order (a probe and a row lock on its
customer, each written to the WAL). Built once at the end, the same indexes cost a sort,
and the foreign keys one join each.

So when the orders table is empty, the whole import runs as one transaction that drops
those indexes and foreign keys, writes every batch, and creates them again from their
own catalog definitions (same names, same SQL) before it commits. PostgreSQL's DDL is
transactional: an import that fails or is killed rolls back whole, schema included, and
leaves the database as it was before, so a re-run starts over from the same state and
migrations always find the schema they made. The price: the orders and customers tables
are locked for the duration of that first import (there are no orders to show yet), and
its rows, counters and rejections appear together when it commits.

One index can be needed before the end: the orders' (customer, placed_at) index, through
which a batch looks up customers' latest stored orders (the latest-row rule for customer
details, ``customer_plans``). While the file comes in time order no lookup is needed:
every order of a batch is newer than every order stored. The first batch out of order
builds that index then, and the batches after it keep it up to date.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, transaction

from customers.models import Customer, Order, OrderImport
from customers.order_import.batches import Batch
from customers.order_import.writer import Counts, WriteRules, lock_import, record_counts

TABLES = (Customer._meta.db_table, Order._meta.db_table)
CUSTOMER_ORDERS_INDEX = "order_customer_placed_idx"

# Indexes that no constraint needs: the unique ones (external ids, the email rule) stay,
# since each batch looks rows up by them and they enforce what the import relies on.
SECONDARY_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1
"""
FOREIGN_KEYS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
FROM pg_constraint
WHERE conrelid = ANY(%s::regclass[]) AND contype = 'f'
ORDER BY 1, 2
"""


class FirstLoad:
    """Run an import's batches in one transaction if the orders table starts empty.

    ``session`` wraps the loop that writes the batches (on the thread that writes them).
    While it is ``active``, batches must leave the import's counters to :meth:`add`:
    the progress shown by the upload page updates the same row from the reading thread,
    and would wait for this transaction's row lock until the end.
    """

    def __init__(self, order_import: OrderImport | None) -> None:
        self.order_import = order_import
        self.active = False
        self.counts = Counts()
        self._indexes: dict[str, str] = {}
        self._latest_key: tuple | None = None

    def add(self, counts: Counts) -> None:
        self.counts.add(counts)

    def rules(self, batch: Batch, started: datetime) -> WriteRules:
        """How to write ``batch``: without lookups of customers' latest stored orders
        while the first load comes in time order."""
        in_order = self._in_order(batch)
        if not self.active:
            return WriteRules(started)
        if not in_order and CUSTOMER_ORDERS_INDEX in self._indexes:
            with connection.cursor() as cursor:
                cursor.execute(self._indexes.pop(CUSTOMER_ORDERS_INDEX))
        return WriteRules(started, lookup_latest=CUSTOMER_ORDERS_INDEX not in self._indexes)

    def _in_order(self, batch: Batch) -> bool:
        """Whether every order of ``batch`` comes after every order of the batches before."""
        if batch.key_range is None:
            return True
        first, last = batch.key_range
        in_order = self._latest_key is None or first > self._latest_key
        self._latest_key = last if self._latest_key is None else max(self._latest_key, last)
        return in_order

    @contextmanager
    def session(self) -> Iterator[None]:
        if connection.vendor == "postgresql" and not Order.objects.exists():
            with transaction.atomic():
                lock_import()
                if not Order.objects.exists():  # else another import got there first
                    self.active = True
                    try:
                        self._indexes, foreign_keys = _drop_indexes_and_foreign_keys()
                        yield
                        _create(list(self._indexes.values()), foreign_keys)
                        if self.order_import is not None:
                            record_counts(self.order_import, self.counts)
                    finally:
                        self.active = False
                    return
        yield  # batch by batch, each in its own transaction


def _drop_indexes_and_foreign_keys() -> tuple[dict[str, str], list[str]]:
    """Drop them; return the statements that create them again (indexes by name).

    Table and index names come from regclass, which quotes them where SQL needs it.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(SECONDARY_INDEXES, [list(TABLES)])
        indexes = cursor.fetchall()
        cursor.execute(FOREIGN_KEYS, [list(TABLES)])
        foreign_keys = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    add = "ALTER TABLE {} ADD CONSTRAINT {} {}"
    return dict(indexes), [add.format(t, quote(n), d) for t, n, d in foreign_keys]


def _create(indexes: list[str], foreign_keys: list[str]) -> None:
    with connection.cursor() as cursor:
        # A sort per index: more memory than the default 64MB saves merge passes.
        cursor.execute("SET LOCAL maintenance_work_mem TO '256MB'")
        for sql in indexes:
            cursor.execute(sql)
        # Statistics of the full tables (and of the expression indexes just made): the
        # check of each foreign key is one join, planned with them, and so are the next
        # imports' statements. Autovacuum could only analyze after the commit.
        cursor.execute(f"ANALYZE {', '.join(TABLES)}")
        for sql in foreign_keys:
            cursor.execute(sql)
