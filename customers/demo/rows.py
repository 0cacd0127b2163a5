"""Plain rows of a generated demo shop, ready for bulk inserts, and their summary.

Nothing here touches the database: the generator returns these, the store writes them,
and tests can inspect them without either.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from customers.demo.catalogue import CatalogueProduct

# The values of customers.models.Order.Status (kept free of Django so tests and the
# generator run without a database).
COMPLETED, REFUNDED, CANCELLED = "completed", "refunded", "cancelled"

NEW_CUSTOMER_DAYS = 60
"""A customer acquired this many days before the as-of day or later counts as new."""


@dataclass(frozen=True, slots=True)
class LineRow:
    """One order line: ``amount == quantity * unit_price`` (both Decimal, 2 places)."""

    line_number: int
    sku: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order: ``total == sum(line.amount for line in lines)``."""

    external_id: str
    customer_external_id: str
    placed_at: datetime
    status: str
    total: Decimal
    lines: tuple[LineRow, ...]


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """One customer; ``acquired_on`` is the local date of ``first_order_at``."""

    external_id: str
    email: str
    first_name: str
    last_name: str
    phone: str
    country: str
    channel: str
    acquired_on: date
    marketing_consent: bool
    birthday: date | None
    first_order_at: datetime


@dataclass(frozen=True)
class ShopSummary:
    """What a generated shop contains, for the command's closing report."""

    customers: int
    repeat_buyers: int
    new_customers: int
    orders: int
    refunded: int
    cancelled: int
    lines: int
    products: int
    revenue: Decimal
    first_day: date | None
    last_day: date | None

    def describe(self, currency: str) -> list[str]:
        """Human-readable lines, e.g. "Customers: 3,000 (1,254 repeat buyers, 41.8%; ...)"."""
        share = self.repeat_buyers / self.customers if self.customers else 0.0
        return [
            f"Customers: {self.customers:,} ({self.repeat_buyers:,} repeat buyers, {share:.1%};"
            f" {self.new_customers:,} acquired in the last {NEW_CUSTOMER_DAYS} days)",
            f"Orders: {self.orders:,} ({self.refunded:,} refunded, {self.cancelled:,} cancelled)",
            f"Order lines: {self.lines:,} over {self.products} products",
            f"Revenue (completed orders): {currency} {self.revenue:,.2f}",
            f"Orders placed from {self.first_day} to {self.last_day}",
        ]


@dataclass(frozen=True)
class DemoShop:
    """A whole generated shop: customers and orders sorted by time, ids numbered in order."""

    as_of: date
    channels: tuple[str, ...]
    products: tuple[CatalogueProduct, ...]
    customers: list[CustomerRow]
    orders: list[OrderRow]

    def summary(self) -> ShopSummary:
        """Counts and revenue of the shop.

        A repeat buyer has orders on at least two different days, as the CLV models count
        repeat purchases. Days are shop-local: ``placed_at`` carries the shop's time zone.
        """
        days: dict[str, set[date]] = {}
        for order in self.orders:
            days.setdefault(order.customer_external_id, set()).add(order.placed_at.date())
        new_since = self.as_of - timedelta(days=NEW_CUSTOMER_DAYS)
        statuses = [order.status for order in self.orders]
        return ShopSummary(
            customers=len(self.customers),
            repeat_buyers=sum(1 for d in days.values() if len(d) > 1),
            new_customers=sum(1 for c in self.customers if c.acquired_on >= new_since),
            orders=len(self.orders),
            refunded=statuses.count(REFUNDED),
            cancelled=statuses.count(CANCELLED),
            lines=sum(len(order.lines) for order in self.orders),
            products=len(self.products),
            revenue=sum(
                (order.total for order in self.orders if order.status == COMPLETED),
                Decimal("0.00"),
            ),
            first_day=self.orders[0].placed_at.date() if self.orders else None,
            last_day=self.orders[-1].placed_at.date() if self.orders else None,
        )
