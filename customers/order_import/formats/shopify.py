"""Shopify's "Export orders" CSV (Shopify admin: Orders, Export, "CSV for Excel, Numbers,
or other spreadsheet programs").

Sources: docs.xbp.app, "Shopify order export format" (the layout: one row per line item,
order-level fields on the order's first row, with a real export's row), and the Orders
column references of Matrixify (matrixify.app/documentation/orders/) and StoreRobo
(webtoffee.com) for ``Id`` and ``Name`` (Shopify lets several orders share a Name).
One row per line item; the order's
own fields (Email, Financial Status, Currency, Total, Refunded Amount, Created at, Cancelled
at, Billing Name, Billing Country, Accepts Marketing) are on the first row of the order and
may be empty on the rows of its other line items; rows of one order share its ``Name``
(``#1001``); its ``Id`` (on the first row) is Shopify's unique id of the order, the one its
webhooks and refunds use, so it is the order's id here (``Name`` where a file has no ``Id``).
Times are written ``2025-03-01 10:15:00 +0100``. The standard export has no
customer id: a customer is keyed by email (a ``Customer ID`` column, which some export apps
add, is used when given).

Read: Id (the order id), Name, Email, Customer ID, Financial Status, Cancelled at, Currency,
Total, Refunded Amount, Created at, Accepts Marketing, Billing Name, Billing Country, and per
line Lineitem sku, Lineitem name, Lineitem quantity, Lineitem price. Every other column is
left alone.
"""

import re

from customers.order_import.errors import Rejection
from customers.order_import.formats.base import Cells, ExportFormat, OrderRows, Problems
from customers.order_import.rows import Reject, line_amount, quantity_checked, unit_price_checked

# Financial Status → the order's status; None: not paid (yet), so not an order to count.
STATUSES: dict[str, str | None] = {
    "paid": "completed",
    "partially_paid": "completed",
    "partially_refunded": "completed",
    "refunded": "refunded",
    "voided": "cancelled",
    "expired": "cancelled",
    "pending": None,
    "authorized": None,
    "unpaid": None,
}
# "2025-03-01 10:15:00 +0100" → "2025-03-01T10:15:00+01:00"
_SHOPIFY_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?) ?([+-]\d{2}):?(\d{2})")


def _moment(text: str) -> str:
    match = _SHOPIFY_TIME.fullmatch(text)
    if match is None:
        return text  # the common check says what is wrong with it
    day, time, hours, minutes = match.groups()
    return f"{day}T{time}{hours}:{minutes}"


class _Mapper:
    def __init__(self, columns: dict[str, int]) -> None:
        self.orders = OrderRows()
        self.has_customer_id = "customer_id" in columns

    def __call__(self, row: int, cells: Cells) -> dict[str, str] | list[Rejection]:
        # Rows of one order share its Name; its Id (on the first row) is the order's key
        # wherever Shopify names the order (webhooks and refunds name it by id).
        first = self.orders.first_row(cells("name"), cells)
        order_id = first("id") or cells("name")
        problem = Problems(row, order_id)
        email = first("email")
        customer_id = first("customer_id") if self.has_customer_id else ""
        if not customer_id:
            customer_id = email.lower()
            if not email:
                problem("Email", "", "missing: an order without a customer id is keyed by email")
        status = self._status(first, problem)
        total = first("total")
        if not total:
            problem("Total", "", "missing on the order's first row")
        quantity_text, price_text = cells("lineitem_quantity"), cells("lineitem_price")
        reject = self._reject(problem, cells)
        quantity = quantity_checked(quantity_text, "Lineitem quantity", reject)
        if not price_text:
            problem("Lineitem price", "", "missing")
        price = unit_price_checked(price_text, "Lineitem price", reject)
        if problem.found:
            return problem.found
        assert quantity is not None  # else a problem was found
        assert price is not None
        name = cells("lineitem_name")
        billing = first("billing_name").split(None, 1)
        return {
            "customer_id": customer_id,
            "order_id": order_id,
            "placed_at": _moment(first("created_at")),
            "amount": str(line_amount(quantity, price)),
            "order_total": total,
            "refunded_amount": first("refunded_amount"),
            "email": email,
            "first_name": billing[0] if billing else "",
            "last_name": billing[1] if len(billing) > 1 else "",
            "country": first("billing_country"),
            "marketing_consent": first("accepts_marketing"),
            "currency": first("currency"),
            "status": status,
            # A product without a SKU is known by its name.
            "sku": cells("lineitem_sku") or name,
            "product_name": name,
            "quantity": quantity_text,
            "unit_price": price_text,
        }

    @staticmethod
    def _status(first: Cells, problem: Problems) -> str:
        if first("cancelled_at"):
            return "cancelled"
        financial = first("financial_status")
        key = financial.lower().replace(" ", "_")
        if key not in STATUSES:
            problem(
                "Financial Status",
                financial,
                "unknown status (expected paid, partially_paid, partially_refunded, refunded, "
                "voided or expired)",
            )
            return ""
        status = STATUSES[key]
        if status is None:
            problem("Financial Status", financial, "not paid yet: import the order once it is")
            return ""
        return status

    @staticmethod
    def _reject(problem: Problems, cells: Cells) -> Reject:
        names = {"Lineitem quantity": "lineitem_quantity", "Lineitem price": "lineitem_price"}
        return lambda column, reason: problem(column, cells(names[column]), reason)


SHOPIFY = ExportFormat(
    key="shopify",
    label="Shopify orders export",
    required=frozenset(
        {
            "name",
            "email",
            "financial_status",
            "created_at",
            "total",
            "lineitem_quantity",
            "lineitem_name",
            "lineitem_price",
        }
    ),
    columns={
        "customer_id": "Email",
        "order_id": "Id",
        "placed_at": "Created at",
        "amount": "Lineitem price",
        "order_total": "Total",
        "refunded_amount": "Refunded Amount",
        "email": "Email",
        "first_name": "Billing Name",
        "last_name": "Billing Name",
        "country": "Billing Country",
        "marketing_consent": "Accepts Marketing",
        "currency": "Currency",
        "status": "Financial Status",
        "sku": "Lineitem sku",
        "product_name": "Lineitem name",
        "quantity": "Lineitem quantity",
        "unit_price": "Lineitem price",
    },
    mapper=_Mapper,
    fallbacks={"order_id": ("id", "Name")},
)
