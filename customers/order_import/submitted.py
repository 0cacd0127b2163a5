"""Orders submitted as JSON objects (``POST /api/v1/orders/``), imported as a file would be.

Each order becomes records of the CSV format, one per line (or one for an order without
lines, its amount the order's total), and goes through :func:`importer.import_records`:
the same checks, rejections, warnings and writes as an uploaded file. What the import
reports about a record is given back as the order's index in the request and the JSON
field it came from (``customer.email``, ``lines.2.quantity``), in the import's words.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection

from customers.models import Order
from customers.order_import import importer
from customers.order_import.batches import WHOLE_ORDER
from customers.order_import.errors import RowReport, RowWarning
from customers.order_import.rows import cell_text, line_amount_text
from customers.order_import.source import KNOWN_COLUMNS
from customers.order_import.writer import Counts, lock_import

# The CSV column each JSON field of an order, its customer and its lines is written to.
ORDER_COLUMNS = {
    "external_id": "order_id",
    "placed_at": "placed_at",
    "currency": "currency",
    "status": "status",
    "refunded_amount": "refunded_amount",
}
CUSTOMER_COLUMNS = {
    "external_id": "customer_id",
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "country": "country",
    "channel": "channel",
    "marketing_consent": "marketing_consent",
}
LINE_COLUMNS = ("sku", "product_name", "category", "quantity", "unit_price")
# What the records of orders without lines use: the import's fast lane takes them.
ONE_ROW_COLUMNS = ("amount", *ORDER_COLUMNS.values(), *CUSTOMER_COLUMNS.values())


class Outcome:
    """What became of one submitted order."""

    CREATED = "created"
    UPDATED = "updated"  # its status or refunded amount changed, as a file's update does
    UNCHANGED = "unchanged"  # imported before, as it is
    REJECTED = "rejected"


@dataclass(frozen=True)
class ItemReport:
    """A problem (or a warning) about the order at ``index`` of the request."""

    index: int
    field: str
    code: str
    message: str


@dataclass
class Submission:
    """The outcome of one request: each order's, its problems and warnings, the counts."""

    outcomes: dict[int, str] = field(default_factory=dict)
    errors: list[ItemReport] = field(default_factory=list)
    warnings: list[ItemReport] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    changed_anything: bool = False  # an order or a customer added or changed


@dataclass(frozen=True)
class _Place:
    """Where a record came from: the order's index, and its line's (``None``: no lines)."""

    index: int
    line: int | None


def import_submitted(orders: Sequence[Any], refused: Iterable[int] = ()) -> Submission:
    """Import ``orders`` (shapes checked by the caller; ``refused``: indexes it refused).

    An order whose external id comes earlier in the same request is refused (the file
    format would read the two as one order's lines). Every other order is imported, or
    rejected alone with its reasons, in the caller's transaction (on PostgreSQL, holding
    the import's lock until it ends).
    """
    submission = Submission()
    submission.outcomes = dict.fromkeys(refused, Outcome.REJECTED)
    first_at, records, places = _as_records(orders, submission)
    before: dict[str, tuple[str, Decimal]] = {}

    def read_stored_states() -> None:
        # Under the import's lock (held to the transaction's end), once the records are
        # checked: what this request reports is what it did, a concurrent request's order
        # "unchanged", and the checking is not done holding the lock.
        if connection.vendor == "postgresql":
            lock_import()
        before.update(_stored_states(first_at))

    reports: list[RowReport] = []
    summary = importer.import_records(
        records=records,
        on_rejection=reports.append,
        on_warning=reports.append,
        columns=KNOWN_COLUMNS if any(p.line is not None for p in places) else ONE_ROW_COLUMNS,
        before_write=read_stored_states,
    )
    submission.counts = summary.counts
    submission.changed_anything = not summary.nothing_new
    _add_reports(submission, reports, places)
    # An order not rejected was written: only those stored before may be unchanged.
    after = _stored_states(before)
    for external_id, index in first_at.items():
        if submission.outcomes.get(index) is None:
            submission.outcomes[index] = _outcome(before.get(external_id), after.get(external_id))
    return submission


def _as_records(
    orders: Sequence[Any], submission: Submission
) -> tuple[dict[str, int], list[dict[str, str]], list[_Place]]:
    """The records of the orders not refused, where each came from, and the index of each
    order id; an order id seen before in the request is refused on ``submission``."""
    first_at: dict[str, int] = {}
    records: list[dict[str, str]] = []
    places: list[_Place] = []
    for index, order in enumerate(orders):
        if index in submission.outcomes:
            continue
        external_id = cell_text(order.get("external_id"))
        if external_id in first_at:
            message = f"the same order id as the order at index {first_at[external_id]}"
            submission.errors.append(ItemReport(index, "external_id", "duplicate", message))
            submission.outcomes[index] = Outcome.REJECTED
            continue
        if external_id:  # an empty one is the import's to reject
            first_at[external_id] = index
        for line, record in _records(order):
            records.append(record)
            places.append(_Place(index, line))
    return first_at, records, places


def _records(order: Mapping[str, Any]) -> Iterator[tuple[int | None, dict[str, str]]]:
    customer = order.get("customer") or {}
    base = {column: cell_text(order.get(name)) for name, column in ORDER_COLUMNS.items()}
    base.update(
        {column: cell_text(customer.get(name)) for name, column in CUSTOMER_COLUMNS.items()}
    )
    lines = order.get("lines") or []
    if not lines:
        yield None, {**base, "amount": cell_text(order.get("total"))}
        return
    total = cell_text(order.get("total"))
    for number, line in enumerate(lines):
        cells = {name: cell_text(line.get(name)) for name in LINE_COLUMNS}
        amount = line_amount_text(cells["quantity"], cells["unit_price"])
        yield number, {**base, **cells, "amount": amount, "order_total": total}


def _field(column: str, place: _Place) -> str:
    """The JSON field a CSV column of a record came from."""
    if place.line is not None and column in LINE_COLUMNS:
        return f"lines.{place.line}.{column}"
    if place.line is not None and column == "amount":
        return f"lines.{place.line}"
    by_column = {c: n for n, c in ORDER_COLUMNS.items()}
    by_column.update({c: f"customer.{n}" for n, c in CUSTOMER_COLUMNS.items()})
    by_column.update({"amount": "total", "order_total": "total"})
    return by_column.get(column, "")


def _add_reports(submission: Submission, reports: list[RowReport], places: list[_Place]) -> None:
    """The import's report lines as the orders' errors and warnings, each said once.

    A record rejected only because another line of its order was rejected says nothing
    the order's own errors do not; an unreadable amount is said by its quantity or price.
    """
    seen: set[tuple[int, str, str]] = set()
    rejected_for_itself = {
        places[r.row - 1].index
        for r in reports
        if not isinstance(r, RowWarning) and WHOLE_ORDER not in r.reason
    }
    for report in sorted(reports, key=lambda r: r.row):
        place = places[report.row - 1]
        warning = isinstance(report, RowWarning)
        if not warning:
            submission.outcomes[place.index] = Outcome.REJECTED
            if WHOLE_ORDER in report.reason and place.index in rejected_for_itself:
                continue
            if report.column == "amount" and not report.value and place.line is not None:
                continue
        name = _field(report.column, place)
        if (place.index, name, report.reason) in seen:
            continue
        seen.add((place.index, name, report.reason))
        item = ItemReport(place.index, name, "warning" if warning else "invalid", report.reason)
        (submission.warnings if warning else submission.errors).append(item)


def _stored_states(external_ids: Iterable[str]) -> dict[str, tuple[str, Decimal]]:
    """Each stored order's status and refunded amount, by external id (one query, none
    for no ids). An id with a NUL character (its order refused) cannot be stored, nor be
    asked of PostgreSQL, whose text cannot hold one."""
    wanted = [external_id for external_id in external_ids if "\x00" not in external_id]
    if not wanted:
        return {}
    rows = Order.objects.filter(external_id__any=frozenset(wanted)).values_list(
        "external_id", "status", "refunded_amount"
    )
    return {external_id: (status, refunded) for external_id, status, refunded in rows}


def _outcome(before: tuple[str, Decimal] | None, after: tuple[str, Decimal] | None) -> str:
    if before is None:
        return Outcome.CREATED
    return Outcome.UNCHANGED if before == after else Outcome.UPDATED
