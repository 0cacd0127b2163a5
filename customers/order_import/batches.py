"""Group validated rows into whole orders and cut the stream into batches.

Rows of one order must stand on consecutive rows (as every shop export writes them); a
batch never splits an order, so each batch can be written in its own transaction and an
order with its lines appears all at once or not at all.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from customers.order_import.errors import Rejection
from customers.order_import.rows import ParsedRow

if TYPE_CHECKING:
    from customers.order_import.staged import StageText
    from customers.order_import.table import OrderTable

WHOLE_ORDER = "an order is imported whole or not at all"


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

    @property
    def first_row(self) -> int:
        return self.rows[0].row


@dataclass
class Batch:
    orders: list[OrderDraft] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    duplicate_rows: int = 0
    rows: int = 0
    by_order_id: dict[str, OrderDraft] = field(default_factory=dict)
    # The fast lane's orders, column by column, instead of ``orders`` (see ``drafts``).
    table: "OrderTable | None" = None
    # What the PostgreSQL writer stages, made ahead on the reading thread (``prepare``).
    staged: "tuple[OrderTable, StageText] | None" = None

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
            _add_group(batch, group)
            group = []
            if batch.rows >= batch_rows:
                yield batch
                batch = Batch()
        group.append(item)
        group_id = order_id
    if group:
        _add_group(batch, group)
    if batch.rows:
        yield batch


def _add_group(batch: Batch, group: list[Parsed]) -> None:
    batch.rows += len(group)
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
        for row in rows:
            batch.reject(
                Rejection(
                    row.row,
                    "sku",
                    row.sku,
                    f"rows of this order mix lines with and without sku; {WHOLE_ORDER}",
                    row.order_id,
                )
            )
        return None
    if not with_sku:
        return _single_row_order(batch, rows)
    for column in ("customer_id", "placed_at", "status", "currency"):
        values = {getattr(r, column) for r in rows}
        if len(values) > 1:
            other = next(r for r in rows if getattr(r, column) != getattr(first, column))
            for row in rows:
                batch.reject(
                    Rejection(
                        row.row,
                        column,
                        str(getattr(row, column)),
                        f"rows of this order disagree on {column} (row {first.row} and row "
                        f"{other.row}); {WHOLE_ORDER}",
                        row.order_id,
                    )
                )
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
    total = sum((line.amount for line in lines), Decimal("0.00"))
    return OrderDraft(
        first.order_id,
        first.customer_id,
        first.placed_at,
        first.status,
        first.currency,
        total,
        lines,
        rows,
    )


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
    )


def _content(draft: OrderDraft) -> tuple:
    lines = [(ln.sku, ln.quantity, ln.unit_price, ln.amount) for ln in draft.lines]
    return (draft.customer_id, draft.placed_at, draft.status, draft.currency, draft.total, lines)


def _order_content(row: ParsedRow) -> tuple:
    return (row.customer_id, row.placed_at, row.amount, row.status, row.currency)


def _unit_price(row: ParsedRow) -> Decimal:
    return (row.amount / row.quantity).quantize(Decimal("0.01"))
