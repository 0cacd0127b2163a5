"""Write a generated demo shop to the database in bulk, or clear the shop first.

One transaction for everything, so a failed or interrupted seed leaves the shop as it
was. Rows go in through ``bulk_insert`` (COPY on PostgreSQL), a fixed number of queries
per chunk whatever the shop's size.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from clvcrm.core.bulk import bulk_insert
from customers.demo.loyalty import loyalty_data_delete
from customers.demo.rows import DemoShop
from customers.models import (
    AcquisitionChannel,
    Customer,
    MarketingSpend,
    Order,
    OrderLine,
    Product,
)

CHUNK_ROWS = 5_000
"""Rows per insert statement: bounds memory and gives the progress bar its steps."""


class ShopNotEmptyError(Exception):
    """The shop already has customers and the caller did not ask to replace them."""

    def __init__(self, customers: int) -> None:
        super().__init__(f"the shop already has {customers:,} customers")
        self.customers = customers


def demo_shop_customer_count() -> int:
    """How many customers the shop has (any, not only demo ones)."""
    return Customer.objects.count()


def demo_shop_write(
    shop: DemoShop,
    *,
    replace: bool,
    currency: str,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Insert ``shop``; with ``replace`` delete the shop's data first, else need it empty.

    Raises ``ShopNotEmptyError`` (writing nothing) if the shop has customers and not
    ``replace``; ``django.db.models.ProtectedError`` if other tables still refer to rows
    that ``replace`` must delete. ``on_progress(n)`` is told as each n rows are inserted.
    """
    report = on_progress or (lambda _: None)
    with transaction.atomic(durable=True):
        if replace:
            demo_shop_delete()
        else:
            count = demo_shop_customer_count()
            if count:
                raise ShopNotEmptyError(count)
        channel_ids = _ensure(AcquisitionChannel, "name", [{"name": n} for n in shop.channels])
        product_ids = _ensure(
            Product,
            "sku",
            [{"sku": p.sku, "name": p.name, "category": p.category} for p in shop.products],
        )
        _insert_customers(shop, channel_ids, report)
        customer_ids = dict(Customer.objects.values_list("external_id", "id"))
        _insert_orders(shop, customer_ids, currency, report)
        order_ids = dict(Order.objects.values_list("external_id", "id"))
        _insert_lines(shop, order_ids, product_ids, report)


def demo_shop_delete() -> None:
    """Delete every order line, order, customer, product and channel of the shop, and the
    marketing spend on those channels.

    Children first: orders PROTECT their customers, lines their products and spend its
    channel, so those can only go once the orders, lines and spend have (deleting lines first
    also spares the cascade).
    """
    loyalty_data_delete()  # the ledger refers to orders
    OrderLine.objects.all().delete()
    Order.objects.all().delete()
    Customer.objects.all().delete()
    Product.objects.all().delete()
    MarketingSpend.objects.all().delete()
    AcquisitionChannel.objects.all().delete()


def _ensure(model: type[models.Model], key: str, rows: list[dict[str, str]]) -> dict[str, int]:
    # Channels and products may outlive their customers (a shop emptied by hand): reuse
    # them by name or SKU instead of failing on the unique constraint.
    manager = model._default_manager
    manager.bulk_create([model(**row) for row in rows], ignore_conflicts=True)
    keys = [row[key] for row in rows]
    return dict(manager.filter(**{f"{key}__in": keys}).values_list(key, "id"))


def _insert_customers(
    shop: DemoShop, channel_ids: dict[str, int], report: Callable[[int], None]
) -> None:
    now = timezone.now()
    columns = (
        "external_id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "country",
        "acquisition_channel",
        "acquired_on",
        "marketing_consent",
        "birthday",
        "created_at",
        "updated_at",
    )
    rows = (
        (
            c.external_id,
            c.email,
            c.first_name,
            c.last_name,
            c.phone,
            c.country,
            channel_ids[c.channel],
            c.acquired_on,
            c.marketing_consent,
            c.birthday,
            # The record appears with the first order; "now" would put every demo
            # customer's sign-up on the day the demo was seeded.
            c.first_order_at,
            now,
        )
        for c in shop.customers
    )
    _insert_in_chunks(Customer, columns, rows, report)


def _insert_orders(
    shop: DemoShop, customer_ids: dict[str, int], currency: str, report: Callable[[int], None]
) -> None:
    columns = ("external_id", "customer", "placed_at", "status", "total", "currency", "created_at")
    rows = (
        (
            o.external_id,
            customer_ids[o.customer_external_id],
            o.placed_at,
            o.status,
            o.total,
            currency,
            o.placed_at,
        )
        for o in shop.orders
    )
    _insert_in_chunks(Order, columns, rows, report)


def _insert_lines(
    shop: DemoShop,
    order_ids: dict[str, int],
    product_ids: dict[str, int],
    report: Callable[[int], None],
) -> None:
    columns = ("order", "line_number", "product", "quantity", "unit_price", "amount")
    rows = (
        (
            order_ids[o.external_id],
            line.line_number,
            product_ids[line.sku],
            line.quantity,
            line.unit_price,
            line.amount,
        )
        for o in shop.orders
        for line in o.lines
    )
    _insert_in_chunks(OrderLine, columns, rows, report)


def _insert_in_chunks(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    report: Callable[[int], None],
) -> None:
    for chunk in _chunks(rows, CHUNK_ROWS):
        bulk_insert(model, columns, chunk)
        report(len(chunk))


def _chunks(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk
