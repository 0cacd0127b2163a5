"""Compare a batch with what the database already holds.

Reads the batch's customers and orders (one query each, plus lines when orders with lines
exist) and sorts each order draft into new, changed (status or refund), unchanged or
rejected.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models.functions import Lower
from django.utils import timezone

from clvcrm.core.bulk import in_chunks
from customers.models import Customer, Order, OrderLine
from customers.order_import.batches import WHOLE_ORDER, Batch, OrderDraft
from customers.order_import.errors import Rejection, RowWarning

CUSTOMER_FIELDS = ("email", "first_name", "last_name", "country", "marketing_consent")


def existing_customers(external_ids: set[str]) -> dict[str, dict]:
    """The stored fields of the batch's customers that already exist, by external id."""
    found: dict[str, dict] = {}
    names = (
        "id",
        "external_id",
        "acquired_on",
        "acquisition_channel__name",
        "created_at",
        "updated_at",
        *CUSTOMER_FIELDS,
    )
    for chunk in in_chunks(external_ids):
        rows = Customer.objects.filter(external_id__any=chunk).values_list(*names)
        for row in rows:
            found[row[1]] = dict(zip(names, row, strict=True))
    return found


TAKEN_EMAIL = "email already belongs to customer {owner}; the customer keeps their address"


def email_clashes(claims: dict[str, tuple[str, int]]) -> dict[str, tuple[str, str]]:
    """The claims of an address another customer has: ``{customer: (email, owner)}``.

    ``claims`` holds the email the batch would give each customer (a new one, or another
    than stored), with the customer's first row. The address belongs to a stored customer
    who has it and keeps it (a claimant gives theirs up), else to the claimant with the
    earliest first row. An email a row gives but the latest-row rule does not take claims
    nothing.
    """
    if not claims:
        return {}  # no new addresses in this batch: nothing can clash
    holders: dict[str, str] = {}
    for chunk in in_chunks({email.lower() for email, _ in claims.values()}):
        found = (
            Customer.objects.exclude(email="")
            .annotate(email_lower=Lower("email"))
            .filter(email_lower__any=chunk)
            .values_list("email_lower", "external_id")
        )
        holders.update((email, cid) for email, cid in found if cid not in claims)
    for cid, (email, _) in sorted(claims.items(), key=lambda claim: claim[1][1]):
        holders.setdefault(email.lower(), cid)
    return {
        cid: (email, owner)
        for cid, (email, _) in claims.items()
        if (owner := holders[email.lower()]) != cid
    }


def warn_taken_emails(
    batch: Batch, orders: list[OrderDraft], clashes: dict[str, tuple[str, str]]
) -> None:
    """Warn on each row that gives its customer an address another customer has."""
    for draft in orders:
        clash = clashes.get(draft.customer_id)
        if clash is None:
            continue
        email, owner = clash
        for row in draft.rows:
            if row.email.lower() == email.lower():
                reason = TAKEN_EMAIL.format(owner=owner)
                warning = RowWarning(row.row, "email", row.email, reason, draft.order_id)
                batch.warnings.append(warning)


# What a later export may change of an order already imported (a refund, a cancellation).
CHANGEABLE = frozenset({"status", "refunded_amount"})


def classify_orders(
    batch: Batch, orders: list[OrderDraft], customer_pks: dict[str, int]
) -> tuple[list[OrderDraft], list[tuple[int, OrderDraft]], list[OrderDraft]]:
    """Sort the drafts into new, changed and unchanged; reject the conflicting ones.

    Changed orders come with their primary key: only their status and refunded amount
    differ from the stored ones (the newer export wins). ``customer_pks`` maps the batch's
    stored customers' external ids to primary keys, so the stored orders are read without
    joining the customers table.
    """
    existing = _existing_orders([o.order_id for o in orders])
    new, changed, unchanged, conflicts = [], [], [], []
    for draft in orders:
        stored = existing.get(draft.order_id)
        if stored is None:
            new.append(draft)
            continue
        differences = _differences(draft, stored, customer_pks.get(draft.customer_id))
        if not differences:
            unchanged.append(draft)
        elif differences.keys() <= CHANGEABLE:
            changed.append((stored.id, draft))
        else:
            conflicts.append((draft, differences))
    _reject_conflicts(batch, conflicts)
    return new, changed, unchanged


def _reject_conflicts(batch: Batch, conflicts: list[tuple[OrderDraft, dict]]) -> None:
    owner_pks = {d["customer_id"][1] for _, d in conflicts if "customer_id" in d}
    owners = dict(Customer.objects.filter(pk__in=owner_pks).values_list("pk", "external_id"))
    for draft, differences in conflicts:
        if "customer_id" in differences:
            differences["customer_id"] = (draft.customer_id, owners[differences["customer_id"][1]])
        reason = f"duplicate order id with different content ({describe_differences(differences)})"
        _reject_order(batch, draft, "order_id", draft.order_id, reason)


@dataclass(slots=True)
class _StoredOrder:
    id: int
    customer_pk: int
    placed_at: datetime
    status: str
    total: Decimal
    currency: str
    refunded_amount: Decimal
    lines: list[tuple]


def _existing_orders(order_ids: list[str]) -> dict[str, _StoredOrder]:
    found: dict[str, _StoredOrder] = {}
    columns = (
        "external_id",
        "id",
        "customer_id",
        "placed_at",
        "status",
        "total",
        "currency",
        "refunded_amount",
    )
    for chunk in in_chunks(order_ids):
        for external_id, *values in Order.objects.filter(external_id__any=chunk).values_list(
            *columns
        ):
            found[external_id] = _StoredOrder(*values, lines=[])  # type: ignore[misc]  # values are the columns before lines
    by_id = {order.id: order for order in found.values()}
    for chunk in in_chunks(by_id):
        for line in (
            OrderLine.objects.filter(order__id__any=chunk)
            .order_by("order_id", "line_number")
            .values_list("order_id", "product__sku", "quantity", "unit_price", "amount")
        ):
            by_id[line[0]].lines.append(line[1:])
    return found


def _differences(
    draft: OrderDraft, stored: _StoredOrder, customer_pk: int | None
) -> dict[str, tuple[object, object]]:
    """The columns where the file and the database disagree: ``{name: (file, database)}``.

    A differing customer holds the stored customer's primary key until the message is made.
    """
    lines = [(ln.sku, ln.quantity, ln.unit_price, ln.amount) for ln in draft.lines]
    pairs = {
        "customer_id": (customer_pk, stored.customer_pk),
        "placed_at": (draft.placed_at, stored.placed_at),
        "total": (draft.total, stored.total),
        "currency": (draft.currency, stored.currency),
        "lines": (lines, stored.lines),
        "status": (draft.status, stored.status),
    }
    if draft.refunded_amount is not None:  # else the file does not say: the stored one stays
        pairs["refunded_amount"] = (draft.refunded_amount, stored.refunded_amount)
    differing: dict[str, tuple[object, object]] = {
        name: pair for name, pair in pairs.items() if pair[0] != pair[1]
    }
    if "placed_at" in differing:  # shown as the file wrote it
        differing["placed_at"] = (draft.rows[0].placed_at_text, stored.placed_at)
    return differing


def describe_differences(differences: dict[str, tuple[object, object]]) -> str:
    """``differences`` (``{column: (file, database)}``) in words, the file's as written."""
    parts = []
    for name, (mine, theirs) in differences.items():
        if name == "lines":
            parts.append(f"{len(mine)} line(s) in the file, {len(theirs)} in the database")  # type: ignore[arg-type]  # "lines" pairs two lists
        elif name == "placed_at":
            stored = timezone.localtime(theirs).isoformat()  # type: ignore[arg-type]  # the stored moment
            parts.append(f"placed_at {mine} in the file, {stored} in the database")
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
