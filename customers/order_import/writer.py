"""Compare a batch of order drafts with the database and write what is new, in bulk.

Each batch costs a fixed number of queries whatever its size: one read of the batch's
customers, one of its orders (and their lines, if any existed), one email check, then
COPY/executemany inserts. Under PostgreSQL an advisory lock serialises concurrent imports
batch by batch, so two imports of overlapping files cannot both insert the same order.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from decimal import Decimal
from itertools import islice

from django.conf import settings
from django.db import DataError, IntegrityError, connection, reset_queries, transaction
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
from customers.order_import.customer_plans import (
    CustomerPlan,
    customer_plans,
    customer_updates,
    email_claims,
)
from customers.order_import.errors import ImportFileError, Rejection, RowReport, RowWarning
from customers.order_import.existing import (
    CUSTOMER_FIELDS,
    classify_orders,
    email_clashes,
    existing_customers,
    warn_taken_emails,
)
from customers.order_import.staged import Written, batch_merge, stage_text
from customers.order_import.table import OrderTable, order_key

IMPORT_LOCK_KEY = 7_311_042  # any constant shared by every import process
REPORT_CHUNK = 10_000


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
    rows_warned: int = 0
    duplicate_rows: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    customers_created: int = 0
    customers_updated: int = 0

    def add(self, other: "Counts") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


Record = Callable[[list[Rejection], list[RowWarning], Counts], None]


@dataclass(frozen=True)
class WriteRules:
    """What writing a batch needs to know of its import.

    ``started``: when the import began (a customer counts as updated once per import).
    ``lookup_latest``: false when every order of the batch is newer than every stored one
    (a first load that comes in time order), so customers' latest stored orders need no
    lookup (``customer_plans``).
    """

    started: datetime
    lookup_latest: bool = True


def write_batch(batch: Batch, *, rules: WriteRules, record: Record | None = None) -> Counts:
    """Validate ``batch`` against the database and write it.

    Rejections found here are appended to ``batch.rejections``. The whole batch is one
    transaction (or part of the caller's, if it has one: a first load's, a dry run's):
    its orders, lines, customers and the report ``record`` stores commit together. On
    PostgreSQL a batch without order lines is merged in SQL (``staged.py``). An order the
    database refuses is rejected alone (see :func:`_write_isolating`).
    """
    # A savepoint within a caller's transaction: a batch that fails the import leaves that
    # transaction usable for saying so (a first load's rolls back whole anyway).
    with transaction.atomic():
        if connection.vendor == "postgresql":
            lock_import()
        written = _write_isolating(batch, rules, _Refused())
        warnings = batch.kept_warnings()
        counts = Counts(
            rows=batch.rows,
            rows_rejected=len(batch.rejected_rows),
            rows_warned=len({w.row for w in warnings}),
            duplicate_rows=batch.duplicate_rows,
            **asdict(written),
        )
        if record is not None:
            record(batch.rejections, warnings, counts)
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()  # DEBUG keeps every query: thousands of batches would fill memory
    return counts


# More orders refused in one batch than this say the database refuses the file itself
# (a constraint every row breaks, say): isolating each would cost two writes apiece.
MOST_REFUSED_ORDERS = 100


@dataclass
class _Refused:
    """How many orders of one batch the database refused."""

    orders: int = 0

    def count(self, batch: Batch, reason: str) -> None:
        self.orders += 1
        if self.orders > MOST_REFUSED_ORDERS:
            row = min(batch.rows_of_orders(), default=0)
            raise ImportFileError(
                f"the database refused more than {MOST_REFUSED_ORDERS} orders of one batch, "
                f"the last at row {row}: {reason}"
            )


def _write_isolating(batch: Batch, rules: WriteRules, refused: _Refused) -> Written:
    """Write ``batch`` in a savepoint; if the database refuses it, write it in halves.

    Validation keeps out what the columns cannot hold, so this is the last line: a value
    no check foresaw (or a trigger, or a constraint added by hand) makes the database
    refuse one order, and halving the batch until the refused order stands alone rejects
    that order with the database's reason, while every other order goes in. It costs a
    savepoint per batch, and about two writes of the batch per refused order.
    """
    mark = batch.mark()
    try:
        with transaction.atomic():
            return _write_once(batch, rules)
    except _refusals() as exc:
        batch.forget_since(mark)
        parts = batch.halves()
        if parts is None:
            column, reason = _refusal_reason(exc)
            refused.count(batch, reason)
            batch.reject_order(column, reason)
            return Written()
    written = Written()
    for part in parts:
        written.add(_write_isolating(part, rules, refused))
        batch.absorb(part)
    return written


def _refusals() -> tuple[type[Exception], ...]:
    """Errors that say the database refused the data (COPY raises the driver's own)."""
    driver = connection.Database  # type: ignore[attr-defined]  # the DB-API module
    return (DataError, IntegrityError, driver.DataError, driver.IntegrityError)


def _refusal_reason(exc: Exception) -> tuple[str, str]:
    """The column the database named, if any, and its message's first line."""
    cause = exc.__cause__ or exc
    diagnostic = getattr(cause, "diag", None)
    column = getattr(diagnostic, "column_name", None) or ""
    message = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return column, f"the database refused this order: {message}"


def _write_once(batch: Batch, rules: WriteRules) -> Written:
    table, text = batch.staged or (_staged_table(batch), None)
    if table is not None:
        return batch_merge(
            batch, table, text, started=rules.started, lookup_latest=rules.lookup_latest
        )
    batch.drafts()
    return _plan_and_write(batch, rules)


def prepare(batch: Batch) -> Batch:
    """Do ahead, on the reading thread, the Python work of writing ``batch``."""
    table = _staged_table(batch)
    if table is not None:
        batch.staged = (table, stage_text(table))
        batch.key_range = table.key_range()
    elif batch.table is not None:
        batch.key_range = batch.table.key_range()
    elif batch.orders:
        keys = [order_key(d.placed_at, d.order_id) for d in batch.orders]
        batch.key_range = (min(keys), max(keys))
    return batch


def _staged_table(batch: Batch) -> OrderTable | None:
    if connection.vendor != "postgresql":
        return None
    if batch.table is not None:
        return batch.table
    if any(d.lines for d in batch.orders):
        return None
    return OrderTable.from_drafts(batch.orders, settings.SHOP_CURRENCY)


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


# Giving up a taken address can leave another customer's address taken (a chain of
# customers swapping addresses): a few rounds settle it; the database backs the rest.
EMAIL_ROUNDS = 4


def _plan_and_write(batch: Batch, rules: WriteRules) -> Written:
    stored_customers = existing_customers({o.customer_id for o in batch.orders})
    customer_pks = {cid: row["id"] for cid, row in stored_customers.items()}
    new_orders, changed, unchanged = classify_orders(batch, batch.orders, customer_pks)
    accepted = new_orders + [d for _, d in changed] + unchanged
    plans = customer_plans(accepted)
    to_update = customer_updates(plans, stored_customers, lookup_latest=rules.lookup_latest)
    for _ in range(EMAIL_ROUNDS):
        clashes = email_clashes(email_claims(plans, stored_customers, to_update))
        if not clashes:
            break
        warn_taken_emails(batch, accepted, clashes)
        for cid in clashes:
            plans[cid].forget("email")
        to_update = customer_updates(plans, stored_customers, lookup_latest=rules.lookup_latest)
    to_create = {cid: p for cid, p in plans.items() if cid not in stored_customers}
    channel_ids = _channel_ids({str(p.value("channel")) for p in plans.values()} - {""})
    # Addresses are unique: customers who give one up do so before a new one takes it.
    _update_customers(to_update, channel_ids)
    customer_ids = dict(customer_pks)
    customer_ids.update(_create_customers(to_create, channel_ids))
    _create_orders(new_orders, customer_ids)
    _update_orders(changed)
    by_pk = {row["id"]: row for row in stored_customers.values()}
    started = rules.started
    return Written(
        orders_created=len(new_orders),
        orders_updated=len(changed),
        orders_unchanged=len(unchanged),
        customers_created=len(to_create),
        # Once per import: not if written by an earlier batch of it.
        customers_updated=sum(
            by_pk[pk]["created_at"] < started and by_pk[pk]["updated_at"] < started
            for pk in to_update
        ),
    )


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
                p.value("email"),
                p.value("first_name"),
                p.value("last_name"),
                p.value("country"),
                p.value("marketing_consent", False),
                "",
                channel_ids.get(p.value("channel")),  # type: ignore[call-overload]  # a channel name (str) or None
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
            values["acquisition_channel_id"] = channel_ids[values.pop("channel")]  # type: ignore[index]  # a plan's "channel" is a name
        customer = Customer(id=pk, updated_at=timezone.now(), **values)
        by_fields[tuple(sorted(values))].append(customer)
    for names, customers in by_fields.items():
        Customer.objects.bulk_update(customers, [*names, "updated_at"], batch_size=1000)


def _create_orders(drafts: list[OrderDraft], customer_ids: dict[str, int]) -> None:
    if not drafts:
        return
    now = timezone.now()
    zero = Decimal("0.00")
    bulk_insert(
        Order,
        (
            "external_id",
            "customer",
            "placed_at",
            "status",
            "total",
            "refunded_amount",
            "currency",
            "created_at",
        ),
        (
            (
                d.order_id,
                customer_ids[d.customer_id],
                d.placed_at,
                d.status,
                d.total,
                zero if d.refunded_amount is None else d.refunded_amount,
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


def _update_orders(changed: list[tuple[int, OrderDraft]]) -> None:
    """Apply later exports' status and refund (where the file gives one)."""
    with_refund = [
        Order(id=pk, status=d.status, refunded_amount=d.refunded_amount)
        for pk, d in changed
        if d.refunded_amount is not None
    ]
    status_only = [Order(id=pk, status=d.status) for pk, d in changed if d.refunded_amount is None]
    Order.objects.bulk_update(with_refund, ["status", "refunded_amount"], batch_size=1000)
    Order.objects.bulk_update(status_only, ["status"], batch_size=1000)


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
class ImportRecord:
    """Stores a batch's report (rejections and warnings) with the import, and its counts
    unless ``counts`` is false (a first load adds them up and stores them at its end)."""

    order_import: OrderImport
    counts: bool = True

    def __call__(
        self, rejections: list[Rejection], warnings: list[RowWarning], counts: Counts
    ) -> None:
        record_report(self.order_import, [*rejections, *warnings])
        if self.counts:
            record_counts(self.order_import, counts)


def record_report(order_import: OrderImport, reports: Iterable[RowReport]) -> None:
    """Store lines of the import's report (``ImportRejection`` rows of either kind)."""
    pk = order_import.pk
    rows = ((pk, r.row, r.KIND, r.order_id, r.column, r.value, r.reason) for r in reports)
    while chunk := list(islice(rows, REPORT_CHUNK)):  # memory stays flat
        bulk_insert(
            ImportRejection,
            ("order_import", "row", "kind", "order_id", "column", "value", "reason"),
            chunk,
        )


def record_counts(order_import: OrderImport, counts: Counts) -> None:
    """Add ``counts`` to the import's counters."""
    OrderImport.objects.filter(pk=order_import.pk).update(
        rows_total=F("rows_total") + counts.rows,
        rows_rejected=F("rows_rejected") + counts.rows_rejected,
        rows_warned=F("rows_warned") + counts.rows_warned,
        orders_created=F("orders_created") + counts.orders_created,
        orders_updated=F("orders_updated") + counts.orders_updated,
        orders_unchanged=F("orders_unchanged") + counts.orders_unchanged,
        customers_created=F("customers_created") + counts.customers_created,
        customers_updated=F("customers_updated") + counts.customers_updated,
    )
