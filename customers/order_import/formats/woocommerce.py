"""WooCommerce's order export: the Customer/Order/Coupon Export extension (SkyVerge, sold on
woocommerce.com), format "Default CSV format - One row per line item".

Sources: the extension's own column list (its ``Orders_Export_Format_Definition`` data
sources, SkyVerge, GPL; documented at docs.woocommerce.com/document/ordercustomer-csv-exporter/)
and GoDaddy's help page "About Customer/Order/Coupon Export's export formats" (the built-in
formats, among them "Default CSV format - One row per line item"). One row per line
item, each row repeating the order's columns (order_id, order_number, order_date, status,
order_total, refunded_total, order_currency, customer_id, billing_first_name,
billing_last_name, billing_email, billing_country, ...) followed by the item's (item_name,
item_sku, item_quantity, item_subtotal, item_total, ...). ``order_date`` is the shop's local
time without a zone (read in the shop's ``TIME_ZONE``); a guest checkout has customer_id 0.

Read: order_id, order_date, status, order_total, refunded_total, order_currency,
customer_id (a guest's, 0 or empty, is replaced by the billing email), billing_email,
billing_first_name, billing_last_name, billing_country, and per line item_sku, item_name,
item_quantity, item_total (the line's total after discounts; the unit price is item_total
÷ item_quantity). Every other column is left alone.
"""

from customers.order_import.errors import Rejection
from customers.order_import.formats.base import Cells, ExportFormat, OrderRows, Problems

# WooCommerce's order statuses → the order's; None: not paid (yet), not an order to count.
STATUSES: dict[str, str | None] = {
    "completed": "completed",
    "processing": "completed",
    "refunded": "refunded",
    "cancelled": "cancelled",
    "failed": "cancelled",
    "pending": None,
    "on-hold": None,
    "checkout-draft": None,
}


class _Mapper:
    def __init__(self, columns: dict[str, int]) -> None:
        self.orders = OrderRows()

    def __call__(self, row: int, cells: Cells) -> dict[str, str] | list[Rejection]:
        order_id = cells("order_id")
        first = self.orders.first_row(order_id, cells)
        problem = Problems(row, order_id)
        email = first("billing_email")
        customer_id = first("customer_id")
        if customer_id in ("", "0"):  # a guest checkout
            customer_id = email.lower()
            if not email:
                problem("billing_email", "", "missing: a guest checkout is keyed by its email")
        status = self._status(first, problem)
        if not first("order_total"):
            problem("order_total", "", "missing")
        if problem.found:
            return problem.found
        name = cells("item_name")
        return {
            "customer_id": customer_id,
            "order_id": order_id,
            "placed_at": first("order_date"),
            "amount": cells("item_total"),
            "order_total": first("order_total"),
            "refunded_amount": first("refunded_total"),
            "email": email,
            "first_name": first("billing_first_name"),
            "last_name": first("billing_last_name"),
            "country": first("billing_country"),
            "currency": first("order_currency"),
            "status": status,
            # A product without a SKU is known by its name.
            "sku": cells("item_sku") or name,
            "product_name": name,
            "quantity": cells("item_quantity"),
        }

    @staticmethod
    def _status(first: Cells, problem: Problems) -> str:
        text = first("status")
        key = text.lower().removeprefix("wc-")
        if key not in STATUSES:
            problem(
                "status",
                text,
                "unknown status (expected completed, processing, refunded, cancelled or failed)",
            )
            return ""
        status = STATUSES[key]
        if status is None:
            problem("status", text, "not paid yet: import the order once it is")
            return ""
        return status


WOOCOMMERCE = ExportFormat(
    key="woocommerce",
    label="WooCommerce order export (one row per line item)",
    required=frozenset(
        {
            "order_id",
            "order_date",
            "status",
            "order_total",
            "billing_email",
            "item_name",
            "item_quantity",
            "item_total",
        }
    ),
    columns={
        "customer_id": "customer_id",
        "order_id": "order_id",
        "placed_at": "order_date",
        "amount": "item_total",
        "order_total": "order_total",
        "refunded_amount": "refunded_total",
        "email": "billing_email",
        "first_name": "billing_first_name",
        "last_name": "billing_last_name",
        "country": "billing_country",
        "currency": "order_currency",
        "status": "status",
        "sku": "item_sku",
        "product_name": "item_name",
        "quantity": "item_quantity",
        "unit_price": "item_total",
    },
    mapper=_Mapper,
)
