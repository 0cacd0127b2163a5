"""Compare a batch of order drafts with the database and write what is new, in bulk.

Each batch costs a fixed number of queries whatever its size: one read of the batch's
customers, one of its orders (and their lines, if any existed), one email check, then
COPY/executemany inserts. Under PostgreSQL an advisory lock serialises concurrent imports
batch by batch, so two imports of overlapping files cannot both insert the same order.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Lower
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
from customers.order_import.batches import WHOLE_ORDER, Batch, OrderDraft
from customers.order_import.errors import Rejection
from customers.order_import.rows import ParsedRow

IMPORT_LOCK_KEY = 7_311_042  # any constant shared by every import process
CUSTOMER_FIELDS = ("email", "first_name", "last_name", "country", "marketing_consent")


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


@dataclass
class _CustomerPlan:
    attrs: dict[str, object]
    acquired_on: date
    channel: str


def write_batch(batch: Batch, *, dry_run: bool, order_import: OrderImport | None) -> Counts:
    """Validate ``batch`` against the database and, unless ``dry_run``, write it.

    Rejections found here are appended to ``batch.rejections``. The whole batch is one
    transaction: its orders, lines, customers and its rejection rows commit together.
    """
    if dry_run:
        counts = _plan_and_write(batch, dry_run=True, order_import=None)
        if order_import is not None:
            # A dry run from the upload page keeps its report, never the shop data.
            with transaction.atomic():
                _record(order_import, batch.rejections, counts)
        return counts
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
        return _plan_and_write(batch, dry_run=False, order_import=order_import)


def _plan_and_write(batch: Batch, *, dry_run: bool, order_import: OrderImport | None) -> Counts:
    counts = Counts(rows=batch.rows, duplicate_rows=batch.duplicate_rows)
    existing_customers = _existing_customers({o.customer_id for o in batch.orders})
    orders = _reject_email_conflicts(batch, batch.orders, existing_customers)
    new_orders, status_changes, unchanged = _classify_orders(batch, orders)
    accepted = new_orders + status_changes + unchanged
    plans = _customer_plans(accepted)
    to_create = {cid: p for cid, p in plans.items() if cid not in existing_customers}
    to_update = _customer_updates(plans, existing_customers)
    counts.orders_created = len(new_orders)
    counts.orders_updated = len(status_changes)
    counts.orders_unchanged = len(unchanged)
    counts.customers_created = len(to_create)
    counts.customers_updated = len(to_update)
    counts.rows_rejected = len(batch.rejected_rows)
    if dry_run:
        return counts
    channel_ids = _channel_ids({p.channel for p in plans.values() if p.channel})
    customer_ids = {cid: row["id"] for cid, row in existing_customers.items()}
    customer_ids.update(_create_customers(to_create, channel_ids))
    _update_customers(to_update, channel_ids)
    _create_orders(new_orders, customer_ids)
    _update_statuses(status_changes)
    if order_import is not None:
        _record(order_import, batch.rejections, counts)
    return counts


def _existing_customers(external_ids: set[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for chunk in in_chunks(external_ids):
        for row in Customer.objects.filter(external_id__any=chunk).values(
            "id", "external_id", "acquired_on", "acquisition_channel__name", *CUSTOMER_FIELDS
        ):
            found[row["external_id"]] = row
    return found


def _reject_email_conflicts(
    batch: Batch, orders: list[OrderDraft], existing: dict[str, dict]
) -> list[OrderDraft]:
    """Reject orders whose rows give a customer an email another customer already has."""
    claimed: dict[str, str] = {}
    for draft in orders:
        for row in draft.rows:
            if row.email:
                current = existing.get(draft.customer_id, {}).get("email", "")
                if row.email.lower() != current.lower():
                    claimed.setdefault(row.email.lower(), draft.customer_id)
    owners = {}
    for chunk in in_chunks(claimed):
        owners.update(
            Customer.objects.exclude(email="")
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__any=chunk)
            .values_list("email_lower", "external_id")
        )
    kept = []
    for draft in orders:
        conflict = _email_conflict(draft, owners, claimed)
        if conflict is None:
            kept.append(draft)
            continue
        row, owner = conflict
        _reject_order(
            batch, draft, "email", row.email, f"email already belongs to customer {owner}", row.row
        )
    return kept


def _email_conflict(
    draft: OrderDraft, owners: dict[str, str], claimed: dict[str, str]
) -> tuple[ParsedRow, str] | None:
    for row in draft.rows:
        email = row.email.lower()
        if not email:
            continue
        owner = owners.get(email) or claimed.get(email)
        if owner is not None and owner != draft.customer_id:
            return row, owner
    return None


def _classify_orders(
    batch: Batch, orders: list[OrderDraft]
) -> tuple[list[OrderDraft], list[OrderDraft], list[OrderDraft]]:
    existing = _existing_orders([o.order_id for o in orders])
    new, status_changes, unchanged = [], [], []
    for draft in orders:
        stored = existing.get(draft.order_id)
        if stored is None:
            new.append(draft)
            continue
        differences = _differences(draft, stored)
        if not differences:
            unchanged.append(draft)
        elif list(differences) == ["status"]:
            # Orders change status after the fact (a refund): the newer export wins.
            status_changes.append(draft)
        else:
            _reject_order(
                batch,
                draft,
                "order_id",
                draft.order_id,
                f"duplicate order id with different content ({_describe(differences)})",
            )
    return new, status_changes, unchanged


@dataclass(slots=True)
class _StoredOrder:
    id: int
    customer_id: str
    placed_at: datetime
    status: str
    total: Decimal
    currency: str
    lines: list[tuple]


def _existing_orders(order_ids: list[str]) -> dict[str, _StoredOrder]:
    found: dict[str, _StoredOrder] = {}
    columns = ("external_id", "id", "customer__external_id", "placed_at", "status", "total")
    for chunk in in_chunks(order_ids):
        rows = Order.objects.filter(external_id__any=chunk).values_list(*columns, "currency")
        for external_id, *values in rows:
            found[external_id] = _StoredOrder(*values, lines=[])
    by_id = {order.id: order for order in found.values()}
    for chunk in in_chunks(by_id):
        for line in (
            OrderLine.objects.filter(order__id__any=chunk)
            .order_by("order_id", "line_number")
            .values_list("order_id", "product__sku", "quantity", "unit_price", "amount")
        ):
            by_id[line[0]].lines.append(line[1:])
    return found


def _differences(draft: OrderDraft, stored: _StoredOrder) -> dict[str, tuple[object, object]]:
    """The columns where the file and the database disagree: ``{name: (file, database)}``."""
    lines = [(ln.sku, ln.quantity, ln.unit_price, ln.amount) for ln in draft.lines]
    pairs = {
        "customer_id": (draft.customer_id, stored.customer_id),
        "placed_at": (draft.placed_at, stored.placed_at),
        "total": (draft.total, stored.total),
        "currency": (draft.currency, stored.currency),
        "lines": (lines, stored.lines),
        "status": (draft.status, stored.status),
    }
    return {name: pair for name, pair in pairs.items() if pair[0] != pair[1]}


def _describe(differences: dict[str, tuple[object, object]]) -> str:
    parts = []
    for name, (mine, theirs) in differences.items():
        if name == "lines":
            parts.append(f"{len(mine)} line(s) in the file, {len(theirs)} in the database")  # type: ignore[arg-type]
        elif name == "placed_at":
            parts.append(
                f"placed_at {mine.isoformat()} in the file, "  # type: ignore[attr-defined]
                f"{timezone.localtime(theirs).isoformat()} in the database"
            )  # type: ignore[arg-type]
        else:
            parts.append(f"{name} {mine} in the file, {theirs} in the database")
    return "; ".join(parts)


def _reject_order(
    batch: Batch, draft: OrderDraft, column: str, value: str, reason: str, culprit: int = 0
) -> None:
    for row in draft.rows:
        if culprit and row.row != culprit:
            batch.reject(
                Rejection(
                    row.row,
                    "order_id",
                    draft.order_id,
                    f"row {culprit} of this order was rejected; {WHOLE_ORDER}",
                    draft.order_id,
                )
            )
        else:
            batch.reject(Rejection(row.row, column, value, reason, draft.order_id))


def _customer_plans(orders: list[OrderDraft]) -> dict[str, _CustomerPlan]:
    """Merge the customer columns of every accepted row: the last non-empty value wins."""
    plans: dict[str, _CustomerPlan] = {}
    local_day = _local_day_function()
    for draft in orders:
        day = local_day(draft.placed_at)
        plan = plans.get(draft.customer_id)
        if plan is None:
            plan = plans[draft.customer_id] = _CustomerPlan({}, day, "")
        plan.acquired_on = min(plan.acquired_on, day)
        for row in draft.rows:
            for name in ("email", "first_name", "last_name", "country"):
                value = getattr(row, name)
                if value:
                    plan.attrs[name] = value
            if row.marketing_consent is not None:
                plan.attrs["marketing_consent"] = row.marketing_consent
            if row.channel:
                plan.channel = row.channel
    return plans


def _local_day_function() -> Callable[[datetime], date]:
    tz = timezone.get_current_timezone()

    @lru_cache(maxsize=4096)
    def local_day(moment: datetime) -> date:
        return moment.astimezone(tz).date()

    return local_day


def _customer_updates(
    plans: dict[str, _CustomerPlan], existing: dict[str, dict]
) -> dict[int, dict[str, object]]:
    updates: dict[int, dict[str, object]] = {}
    for cid, plan in plans.items():
        stored = existing.get(cid)
        if stored is None:
            continue
        changes = {k: v for k, v in plan.attrs.items() if stored[k] != v}
        if plan.acquired_on < stored["acquired_on"]:
            changes["acquired_on"] = plan.acquired_on
        if plan.channel and plan.channel != stored["acquisition_channel__name"]:
            changes["channel"] = plan.channel
        if changes:
            updates[stored["id"]] = changes
    return updates


def _channel_ids(names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    AcquisitionChannel.objects.bulk_create(
        [AcquisitionChannel(name=n) for n in sorted(names)], ignore_conflicts=True
    )
    return dict(AcquisitionChannel.objects.filter(name__in=names).values_list("name", "id"))


def _create_customers(plans: dict[str, _CustomerPlan], channel_ids: dict[str, int]) -> dict:
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


def _record(order_import: OrderImport, rejections: list[Rejection], counts: Counts) -> None:
    bulk_insert(
        ImportRejection,
        ("order_import", "row", "order_id", "column", "value", "reason"),
        (
            (order_import.pk, r.row, r.order_id[:64], r.column, r.value[:200], r.reason[:300])
            for r in rejections
        ),
    )
    OrderImport.objects.filter(pk=order_import.pk).update(
        rows_total=F("rows_total") + counts.rows,
        rows_rejected=F("rows_rejected") + counts.rows_rejected,
        orders_created=F("orders_created") + counts.orders_created,
        orders_updated=F("orders_updated") + counts.orders_updated,
        orders_unchanged=F("orders_unchanged") + counts.orders_unchanged,
        customers_created=F("customers_created") + counts.customers_created,
        customers_updated=F("customers_updated") + counts.customers_updated,
    )
