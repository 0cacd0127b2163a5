"""Compare a batch of order drafts with the database and write what is new, in bulk.

Each batch costs a fixed number of queries whatever its size: one read of the batch's
customers, one of its orders (and their lines, if any existed), one email check, then
COPY/executemany inserts. Under PostgreSQL an advisory lock serialises concurrent imports
batch by batch, so two imports of overlapping files cannot both insert the same order.
"""

from collections import defaultdict
from dataclasses import dataclass, fields

from django.conf import settings
from django.db import connection, reset_queries, transaction
from django.db.models import F
from django.utils import timezone

from clvcrm.core.bulk import bulk_insert, in_chunks
from customers.models import (
    AcquisitionChannel,
    Customer,
    ImportRejection,
    Order,
    OrderImport,
    OrderLine,
    Product,
)
from customers.order_import.batches import Batch, OrderDraft
from customers.order_import.customer_plans import CustomerPlan, customer_plans, customer_updates
from customers.order_import.errors import Rejection
from customers.order_import.existing import (
    CUSTOMER_FIELDS,
    classify_orders,
    existing_customers,
    reject_email_conflicts,
)
from customers.order_import.staged import StageText, batch_merge, stage_text
from customers.order_import.table import OrderTable

IMPORT_LOCK_KEY = 7_311_042  # any constant shared by every import process


def batch_rows_default() -> int:
    """Rows per batch (one transaction each) when the caller does not say.

    More on PostgreSQL, where a batch costs a fixed set of statements and a commit
    whatever its size; SQLite's row-by-row writer gains nothing from larger batches.
    """
    return 20_000 if connection.vendor == "postgresql" else 10_000


@dataclass
class Counts:
    """What a batch (or a whole import) did."""

    rows: int = 0
    rows_rejected: int = 0
    duplicate_rows: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    customers_created: int = 0
    customers_updated: int = 0

    def add(self, other: "Counts") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def write_batch(
    batch: Batch,
    *,
    dry_run: bool,
    order_import: OrderImport | None,
    record_counts: bool = True,
) -> Counts:
    """Validate ``batch`` against the database and, unless ``dry_run``, write it.

    Rejections found here are appended to ``batch.rejections``. The whole batch is one
    transaction: its orders, lines, customers and its rejection rows commit together
    (or part of the caller's transaction, if it has one). On PostgreSQL a batch without
    order lines is merged in SQL (``staged.py``). Without ``record_counts`` the rejections
    are recorded on ``order_import`` but its counters are left to the caller.
    """
    record = _Record(order_import, record_counts) if order_import is not None else None
    table, text = batch.staged or (_staged_table(batch), None)
    if table is not None:
        counts = _write_staged(batch, table, text, dry_run=dry_run, record=record)
    else:
        counts = _write_drafts(batch, dry_run=dry_run, record=record)
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()  # DEBUG keeps every query: thousands of batches would fill memory
    return counts


def _write_drafts(batch: Batch, *, dry_run: bool, record: "_Record | None") -> Counts:
    batch.drafts()
    if dry_run:
        counts = _plan_and_write(batch, dry_run=True, record=None)
        if record is not None:
            # A dry run from the upload page keeps its report, never the shop data.
            with transaction.atomic():
                record(batch.rejections, counts)
        return counts
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            lock_import()
        return _plan_and_write(batch, dry_run=False, record=record)


def prepare(batch: Batch) -> Batch:
    """Do ahead, on the reading thread, the Python work of writing ``batch``."""
    table = _staged_table(batch)
    if table is not None:
        batch.staged = (table, stage_text(table))
    return batch


def _staged_table(batch: Batch) -> OrderTable | None:
    if connection.vendor != "postgresql":
        return None
    if batch.table is not None:
        return batch.table
    if any(d.lines for d in batch.orders):
        return None
    return OrderTable.from_drafts(batch.orders, settings.SHOP_CURRENCY)


def _write_staged(
    batch: Batch,
    table: OrderTable,
    text: StageText | None,
    *,
    dry_run: bool,
    record: "_Record | None",
) -> Counts:
    # Within a caller's transaction (the first load's, a test's) a savepoint would only
    # cost: an error fails the import anyway. A dry run needs one, to roll back its batch.
    with transaction.atomic(savepoint=dry_run):
        lock_import()
        merged = batch_merge(batch, table, text)
        counts = Counts(
            rows=batch.rows,
            rows_rejected=len(batch.rejected_rows),
            duplicate_rows=batch.duplicate_rows,
            orders_created=merged.orders_created,
            orders_updated=merged.orders_updated,
            orders_unchanged=merged.orders - merged.orders_created - merged.orders_updated,
            customers_created=merged.customers_created,
            customers_updated=merged.customers_updated,
        )
        if dry_run:
            # Everything above is undone; only the report of an upload's dry run stays.
            transaction.set_rollback(True)
        elif record is not None:
            record(batch.rejections, counts)
    if dry_run and record is not None:
        with transaction.atomic():
            record(batch.rejections, counts)
    return counts


def lock_import() -> None:
    """Serialise imports: wait for the other's transaction (a batch or a first load)."""
    with connection.cursor() as cursor:
        # Don't wait for the WAL flush of each batch: a crash can lose only the last
        # moments of batches, and a re-run of an import adds exactly those. (set_config
        # with true is SET LOCAL, here in the same round trip as the lock.)
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s), set_config('synchronous_commit', 'off', true)",
            [IMPORT_LOCK_KEY],
        )


# Batches after which PostgreSQL's statistics are refreshed: a table that grew from
# nothing to millions of rows within one import would otherwise be planned as empty
# (autovacuum's analyze lags behind), and a lookup could turn into a full scan.
ANALYZE_AFTER = frozenset({1, 5, 25, 125, 625})


def statistics_refresh(batches_written: int) -> None:
    """ANALYZE the tables an import grows, after the batches named in ``ANALYZE_AFTER``."""
    if connection.vendor != "postgresql" or batches_written not in ANALYZE_AFTER:
        return
    tables = ", ".join(m._meta.db_table for m in (Customer, Order, OrderLine))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _plan_and_write(batch: Batch, *, dry_run: bool, record: "_Record | None") -> Counts:
    stored_customers = existing_customers({o.customer_id for o in batch.orders})
    orders = reject_email_conflicts(batch, batch.orders, stored_customers)
    customer_pks = {cid: row["id"] for cid, row in stored_customers.items()}
    new_orders, status_changes, unchanged = classify_orders(batch, orders, customer_pks)
    plans = customer_plans(new_orders + status_changes + unchanged)
    to_create = {cid: p for cid, p in plans.items() if cid not in stored_customers}
    to_update = customer_updates(plans, stored_customers)
    counts = Counts(
        rows=batch.rows,
        rows_rejected=len(batch.rejected_rows),
        duplicate_rows=batch.duplicate_rows,
        orders_created=len(new_orders),
        orders_updated=len(status_changes),
        orders_unchanged=len(unchanged),
        customers_created=len(to_create),
        customers_updated=len(to_update),
    )
    if dry_run:
        return counts
    channel_ids = _channel_ids({p.channel for p in plans.values() if p.channel})
    customer_ids = dict(customer_pks)
    customer_ids.update(_create_customers(to_create, channel_ids))
    _update_customers(to_update, channel_ids)
    _create_orders(new_orders, customer_ids)
    _update_statuses(status_changes)
    if record is not None:
        record(batch.rejections, counts)
    return counts


def _channel_ids(names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    AcquisitionChannel.objects.bulk_create(
        [AcquisitionChannel(name=n) for n in sorted(names)], ignore_conflicts=True
    )
    return dict(AcquisitionChannel.objects.filter(name__in=names).values_list("name", "id"))


def _create_customers(plans: dict[str, CustomerPlan], channel_ids: dict[str, int]) -> dict:
    if not plans:
        return {}
    now = timezone.now()
    columns = (
        "external_id",
        *CUSTOMER_FIELDS,
        "phone",
        "acquisition_channel",
        "acquired_on",
        "created_at",
        "updated_at",
    )
    bulk_insert(
        Customer,
        columns,
        (
            (
                cid,
                p.attrs.get("email", ""),
                p.attrs.get("first_name", ""),
                p.attrs.get("last_name", ""),
                p.attrs.get("country", ""),
                p.attrs.get("marketing_consent", False),
                "",
                channel_ids.get(p.channel),
                p.acquired_on,
                now,
                now,
            )
            for cid, p in plans.items()
        ),
    )
    ids: dict[str, int] = {}
    for chunk in in_chunks(plans):
        ids.update(Customer.objects.filter(external_id__any=chunk).values_list("external_id", "id"))
    return ids


def _update_customers(updates: dict[int, dict[str, object]], channel_ids: dict[str, int]) -> None:
    by_fields: dict[tuple[str, ...], list[Customer]] = defaultdict(list)
    for pk, changes in updates.items():
        values = dict(changes)
        if "channel" in values:
            values["acquisition_channel_id"] = channel_ids[values.pop("channel")]  # type: ignore[index]
        customer = Customer(id=pk, updated_at=timezone.now(), **values)
        by_fields[tuple(sorted(values))].append(customer)
    for names, customers in by_fields.items():
        Customer.objects.bulk_update(customers, [*names, "updated_at"], batch_size=1000)


def _create_orders(drafts: list[OrderDraft], customer_ids: dict[str, int]) -> None:
    if not drafts:
        return
    now = timezone.now()
    bulk_insert(
        Order,
        ("external_id", "customer", "placed_at", "status", "total", "currency", "created_at"),
        (
            (
                d.order_id,
                customer_ids[d.customer_id],
                d.placed_at,
                d.status,
                d.total,
                d.currency,
                now,
            )
            for d in drafts
        ),
        csv_format=True,  # ids, status and currency are never empty
    )
    with_lines = [d for d in drafts if d.lines]
    if not with_lines:
        return
    product_ids = _product_ids(with_lines)
    order_ids: dict[str, int] = {}
    for chunk in in_chunks([d.order_id for d in with_lines]):
        order_ids.update(
            Order.objects.filter(external_id__any=chunk).values_list("external_id", "id")
        )
    bulk_insert(
        OrderLine,
        ("order", "line_number", "product", "quantity", "unit_price", "amount"),
        (
            (order_ids[d.order_id], n, product_ids[ln.sku], ln.quantity, ln.unit_price, ln.amount)
            for d in with_lines
            for n, ln in enumerate(d.lines, start=1)
        ),
    )


def _update_statuses(drafts: list[OrderDraft]) -> None:
    by_status: dict[str, list[str]] = defaultdict(list)
    for draft in drafts:
        by_status[draft.status].append(draft.order_id)
    for status, order_ids in by_status.items():
        for chunk in in_chunks(order_ids):
            Order.objects.filter(external_id__any=chunk).update(status=status)


def _product_ids(drafts: list[OrderDraft]) -> dict[str, int]:
    """Create unknown products; name and category of known ones follow the newest file."""
    latest = {ln.sku: ln for d in drafts for ln in d.lines}
    stored = {}
    for chunk in in_chunks(latest):
        stored.update({p.sku: p for p in Product.objects.filter(sku__any=chunk)})
    missing = [
        Product(sku=sku, name=ln.product_name or sku, category=ln.category)
        for sku, ln in latest.items()
        if sku not in stored
    ]
    Product.objects.bulk_create(missing, ignore_conflicts=True)
    changed = []
    for sku, product in stored.items():
        line = latest[sku]
        name, category = line.product_name or product.name, line.category or product.category
        if (name, category) != (product.name, product.category):
            product.name, product.category = name, category
            changed.append(product)
    Product.objects.bulk_update(changed, ["name", "category"], batch_size=500)
    ids: dict[str, int] = {}
    for chunk in in_chunks(latest):
        ids.update(Product.objects.filter(sku__any=chunk).values_list("sku", "id"))
    return ids


@dataclass
class _Record:
    """Stores a batch's rejections on the import, and its counts if ``counts``."""

    order_import: OrderImport
    counts: bool

    def __call__(self, rejections: list[Rejection], counts: Counts) -> None:
        pk = self.order_import.pk
        bulk_insert(
            ImportRejection,
            ("order_import", "row", "order_id", "column", "value", "reason"),
            (
                (pk, r.row, r.order_id[:64], r.column, r.value[:200], r.reason[:300])
                for r in rejections
            ),
        )
        if self.counts:
            record_counts(self.order_import, counts)


def record_counts(order_import: OrderImport, counts: Counts) -> None:
    """Add ``counts`` to the import's counters."""
    OrderImport.objects.filter(pk=order_import.pk).update(
        rows_total=F("rows_total") + counts.rows,
        rows_rejected=F("rows_rejected") + counts.rows_rejected,
        orders_created=F("orders_created") + counts.orders_created,
        orders_updated=F("orders_updated") + counts.orders_updated,
        orders_unchanged=F("orders_unchanged") + counts.orders_unchanged,
        customers_created=F("customers_created") + counts.customers_created,
        customers_updated=F("customers_updated") + counts.customers_updated,
    )
