"""Group validated rows into whole orders and cut the stream into batches.

Rows of one order must stand on consecutive rows (as every shop export writes them); a
batch never splits an order, so each batch can be written in its own transaction and an
order with its lines appears all at once or not at all.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from clvcrm.core.input_values import decimal_largest
from customers.order_import.errors import Rejection, RowWarning
from customers.order_import.rows import (
    TOTAL_FIELD,
    UNIT_PRICE_PLACES,
    ParsedRow,
    unreadable,
)

if TYPE_CHECKING:
    from customers.order_import.staged import StageText
    from customers.order_import.table import OrderTable

WHOLE_ORDER = "an order is imported whole or not at all"
LARGEST_TOTAL = decimal_largest(
    max_digits=TOTAL_FIELD.max_digits, decimal_places=TOTAL_FIELD.decimal_places
)


@dataclass(slots=True)
class LineDraft:
    sku: str
    product_name: str
    category: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(slots=True)
class OrderDraft:
    """An order assembled from its rows, ready to compare with the database."""

    order_id: str
    customer_id: str
    placed_at: datetime
    status: str
    currency: str
    total: Decimal
    lines: list[LineDraft]
    rows: list[ParsedRow]
    # None: the file does not say (a new order gets 0, a stored one keeps its figure).
    refunded_amount: Decimal | None = None
    warnings: tuple[RowWarning, ...] = ()

    @property
    def first_row(self) -> int:
        return self.rows[0].row


@dataclass
class Batch:
    orders: list[OrderDraft] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    # Of the orders accepted so far: ``kept_warnings`` leaves out those rejected later.
    warnings: list[RowWarning] = field(default_factory=list)
    duplicate_rows: int = 0
    rows: int = 0
    by_order_id: dict[str, OrderDraft] = field(default_factory=dict)
    # The fast lane's orders, column by column, instead of ``orders`` (see ``drafts``).
    table: "OrderTable | None" = None
    # What the PostgreSQL writer stages, made ahead on the reading thread (``prepare``).
    staged: "tuple[OrderTable, StageText] | None" = None
    # The first and the last of its orders by ``table.order_key`` (``prepare``).
    key_range: tuple[tuple, tuple] | None = None

    def drafts(self) -> list[OrderDraft]:
        """The batch's orders as drafts, made from the fast lane's columns on first use."""
        if self.table is not None and not self.orders:
            self.orders = self.table.drafts()
            self.by_order_id = {d.order_id: d for d in self.orders}
        return self.orders

    def add(self, draft: OrderDraft) -> None:
        """Add an order, unless the batch already has one with this id (rows apart)."""
        first = self.by_order_id.get(draft.order_id)
        if first is None:
            self.by_order_id[draft.order_id] = draft
            self.orders.append(draft)
            self.warnings.extend(draft.warnings)
        elif _content(first) == _content(draft):
            self.duplicate_rows += len(draft.rows)
        else:
            for row in draft.rows:
                self.reject(
                    Rejection(
                        row.row,
                        "order_id",
                        draft.order_id,
                        f"duplicate order id with different content than row {first.first_row}",
                        draft.order_id,
                    )
                )

    def reject(self, rejection: Rejection) -> None:
        self.rejections.append(rejection)
        self.rejected_rows.add(rejection.row)

    def reject_rows(self, rows: Iterable[ParsedRow], column: str, reason: str) -> None:
        """Reject every row given, each showing its own cell of ``column``."""
        for row in rows:
            self.reject(Rejection(row.row, column, cell_text(row, column), reason, row.order_id))

    def mark(self) -> tuple[int, int]:
        """Where its report stands, to :meth:`forget_since` what a write undone added."""
        return len(self.rejections), len(self.warnings)

    def forget_since(self, mark: tuple[int, int]) -> None:
        del self.rejections[mark[0] :]
        del self.warnings[mark[1] :]
        self.rejected_rows = {r.row for r in self.rejections}

    def absorb(self, part: "Batch") -> None:
        """Take over the report of a part written on its own."""
        for rejection in part.rejections:
            self.reject(rejection)
        self.warnings.extend(part.warnings)

    def rows_of_orders(self) -> list[int]:
        """The row numbers of the batch's orders."""
        if self.table is not None and not self.orders:
            return list(self.table.rows)
        return [row.row for draft in self.orders for row in draft.rows]

    def halves(self) -> "list[Batch] | None":
        """The batch's orders in two batches (rows and rejections stay here); ``None`` if
        it has fewer than two orders."""
        if self.table is not None and not self.orders:
            size = len(self.table)
            if size < 2:
                return None
            first = [i < size // 2 for i in range(size)]
            parts = [self.table.subset(first), self.table.subset([not f for f in first])]
            return [Batch(table=part) for part in parts]
        if len(self.orders) < 2:
            return None
        middle = len(self.orders) // 2
        return [_batch_of(self.orders[:middle]), _batch_of(self.orders[middle:])]

    def reject_order(self, column: str, reason: str) -> None:
        """Reject every row of the batch's one order."""
        if self.table is not None and not self.orders:
            order_id = self.table.order_ids[0]
            for number in self.table.rows:
                self.reject(Rejection(number, column, "", reason, order_id))
            return
        for draft in self.orders:
            for row in draft.rows:
                self.reject(Rejection(row.row, column, "", reason, draft.order_id))

    def kept_warnings(self) -> list[RowWarning]:
        """The warnings of rows that were imported in the end."""
        rejected = self.rejected_rows
        return [w for w in self.warnings if w.row not in rejected]


def _batch_of(orders: list[OrderDraft]) -> Batch:
    return Batch(orders=orders, by_order_id={d.order_id: d for d in orders})


def cell_text(row: ParsedRow, column: str) -> str:
    """A row's cell as the file gave it, for a message (clean values where the file's
    text differs only in case or spelling of the same number)."""
    if column == "placed_at":
        return row.placed_at_text
    value = getattr(row, column)
    return "" if value is None else str(value)


Parsed = tuple[int, ParsedRow | list[Rejection]]


def iter_batches(parsed: Iterable[Parsed], batch_rows: int) -> Iterator[Batch]:
    """Yield batches of about ``batch_rows`` rows, each ending at an order boundary."""
    batch = Batch()
    group: list[Parsed] = []
    group_id: str | None = None
    for item in parsed:
        parsed_row = item[1]
        order_id = (
            parsed_row.order_id if isinstance(parsed_row, ParsedRow) else parsed_row[0].order_id
        )
        if order_id != group_id and group:
            _add_group_safely(batch, group)
            group = []
            if batch.rows >= batch_rows:
                yield batch
                batch = Batch()
        group.append(item)
        group_id = order_id
    if group:
        _add_group_safely(batch, group)
    if batch.rows:
        yield batch


def _add_group_safely(batch: Batch, group: list[Parsed]) -> None:
    """Add one order's rows; whatever goes wrong with them rejects that order only."""
    batch.rows += len(group)
    try:
        _add_group(batch, group)
    except Exception as exc:  # the safety net: one order never stops the import
        rows = {n for n, _ in group} - batch.rejected_rows
        order_id = next((p.order_id for _, p in group if isinstance(p, ParsedRow)), "")
        for n in sorted(rows):
            batch.reject(Rejection(n, "", "", unreadable(exc), order_id))


def _add_group(batch: Batch, group: list[Parsed]) -> None:
    if len(group) == 1 and isinstance(row := group[0][1], ParsedRow) and not row.sku:
        # The common case of a one-row order, without the checks a multi-row order needs.
        batch.add(
            OrderDraft(
                row.order_id,
                row.customer_id,
                row.placed_at,
                row.status,
                row.currency,
                row.amount,
                [],
                [row],
                row.refunded_amount,
                row.warnings,
            )
        )
        return
    good = [p for _, p in group if isinstance(p, ParsedRow)]
    bad = [p for _, p in group if not isinstance(p, ParsedRow)]
    for rejections in bad:
        for rejection in rejections:
            batch.reject(rejection)
    if not good:
        return
    order_id = good[0].order_id
    if bad and order_id:
        first_bad = bad[0][0].row
        for row in good:
            batch.reject(
                Rejection(
                    row.row,
                    "order_id",
                    order_id,
                    f"row {first_bad} of this order was rejected; {WHOLE_ORDER}",
                    order_id,
                )
            )
        return
    draft = _draft(batch, good)
    if draft is not None:
        batch.add(draft)


def _draft(batch: Batch, rows: list[ParsedRow]) -> OrderDraft | None:
    first = rows[0]
    with_sku = [r for r in rows if r.sku]
    if with_sku and len(with_sku) != len(rows):
        reason = f"rows of this order mix lines with and without sku; {WHOLE_ORDER}"
        batch.reject_rows(rows, "sku", reason)
        return None
    if not with_sku:
        return _single_row_order(batch, rows)
    for column in ("customer_id", "status", "currency", "refunded_amount", "order_total"):
        other = next((r for r in rows if getattr(r, column) != getattr(first, column)), None)
        if other is not None:
            reason = (
                f"rows of this order disagree on {column} (row {first.row} and row "
                f"{other.row}); {WHOLE_ORDER}"
            )
            batch.reject_rows(rows, column, reason)
            return None
    lines = [
        LineDraft(
            sku=r.sku,
            product_name=r.product_name,
            category=r.category,
            quantity=r.quantity,
            unit_price=r.unit_price if r.unit_price is not None else _unit_price(r),
            amount=r.amount,
        )
        for r in rows
    ]
    total = first.order_total
    if total is None:
        total = sum((line.amount for line in lines), Decimal("0.00"))
    problem = _total_problem(total, first.refunded_amount)
    if problem:
        column, reason = problem
        batch.reject_rows(rows, column, f"{reason}; {WHOLE_ORDER}")
        return None
    earliest, warnings = _earliest(rows)
    return OrderDraft(
        first.order_id,
        first.customer_id,
        earliest.placed_at,
        first.status,
        first.currency,
        total,
        lines,
        rows,
        first.refunded_amount,
        tuple(w for r in rows for w in r.warnings) + warnings,
    )


def _total_problem(total: Decimal, refunded: Decimal | None) -> tuple[str, str] | None:
    if total > LARGEST_TOTAL:
        return "amount", f"the lines add up to {total}, more than an order holds ({LARGEST_TOTAL})"
    if refunded is not None and refunded > total:
        return "refunded_amount", f"larger than the order's total {total}"
    return None


def _earliest(rows: list[ParsedRow]) -> tuple[ParsedRow, tuple[RowWarning, ...]]:
    """The row with the earliest time, and a warning for each line stamped later.

    Shops stamp each line as it is scanned or saved, a moment apart: the order was placed
    when its first line was.
    """
    earliest = min(rows, key=lambda r: r.placed_at)  # the first of equals
    reason = (
        f"the lines of this order have different times; the earliest, "
        f"{earliest.placed_at_text} (row {earliest.row}), is used"
    )
    warnings = tuple(
        RowWarning(r.row, "placed_at", r.placed_at_text, reason, r.order_id)
        for r in rows
        if r.placed_at != earliest.placed_at
    )
    return earliest, warnings


def _single_row_order(batch: Batch, rows: list[ParsedRow]) -> OrderDraft:
    first = rows[0]
    for row in rows[1:]:
        if _order_content(row) == _order_content(first):
            batch.duplicate_rows += 1
        else:
            batch.reject(
                Rejection(
                    row.row,
                    "order_id",
                    row.order_id,
                    f"duplicate order id with different content than row {first.row}",
                    row.order_id,
                )
            )
    return OrderDraft(
        first.order_id,
        first.customer_id,
        first.placed_at,
        first.status,
        first.currency,
        first.amount,
        [],
        [first],
        first.refunded_amount,
        first.warnings,
    )


def _content(draft: OrderDraft) -> tuple:
    lines = [(ln.sku, ln.quantity, ln.unit_price, ln.amount) for ln in draft.lines]
    return (
        draft.customer_id,
        draft.placed_at,
        draft.status,
        draft.currency,
        draft.total,
        draft.refunded_amount,
        lines,
    )


def _order_content(row: ParsedRow) -> tuple:
    return (
        row.customer_id,
        row.placed_at,
        row.amount,
        row.status,
        row.currency,
        row.refunded_amount,
    )


def _unit_price(row: ParsedRow) -> Decimal:
    """A line's unit price the file left out: its amount over its quantity."""
    return (row.amount / row.quantity).quantize(UNIT_PRICE_PLACES, ROUND_HALF_UP)
