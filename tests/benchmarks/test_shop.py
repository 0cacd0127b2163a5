"""The benchmarks' simulated shop: the size asked for, and loaded into PostgreSQL as drawn."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
import pytest
from django.db import connection

from benchmarks import shop_load
from benchmarks.shop import MAX_CENTS, SPAN_DAYS, simulate
from customers.models import Customer, Order
from tests.catalog import table_catalog

BERLIN = ZoneInfo("Europe/Berlin")
AS_OF = date(2026, 3, 30)  # the window ends across a change to summer time


def _moment(microseconds: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(microseconds))


def test_the_shop_has_the_customers_and_orders_asked_for_inside_its_window() -> None:
    shop = simulate(200, 2_000, AS_OF, BERLIN, seed=3)

    assert (shop.customers, shop.orders) == (200, 2_000)
    per_customer = np.bincount(shop.order_customer, minlength=201)[1:]
    assert per_customer.min() >= 1  # everyone bought at least once
    assert np.all(np.diff(shop.order_placed) >= 0)  # orders in time order
    first_order = np.full(201, np.iinfo(np.int64).max)
    np.minimum.at(first_order, shop.order_customer, shop.order_placed)
    assert np.array_equal(first_order[1:], shop.customer_created)
    local_days = {_moment(m).astimezone(BERLIN).date() for m in shop.order_placed}
    assert min(local_days) >= AS_OF - timedelta(days=SPAN_DAYS - 1)
    assert max(local_days) <= AS_OF
    acquired = [
        (_moment(m).astimezone(BERLIN).date() - date(1970, 1, 1)).days
        for m in shop.customer_created
    ]
    assert shop.customer_acquired.tolist() == acquired
    assert shop.order_cents.min() >= 1
    assert shop.order_cents.max() <= MAX_CENTS


def test_the_same_seed_draws_the_same_shop() -> None:
    one, two = (simulate(50, 400, AS_OF, BERLIN, seed=9) for _ in range(2))

    assert np.array_equal(one.order_placed, two.order_placed)
    assert np.array_equal(one.order_cents, two.order_cents)
    assert one.facts() == two.facts()


def _database_url() -> str:
    settings = connection.settings_dict
    given = {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "password": settings["PASSWORD"],
        "host": settings["HOST"],
        "port": settings["PORT"],
    }
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in given.items() if v})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_tiny_shop_loads_as_drawn_with_every_index_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shop_load, "LOAD_CHUNK", 128)  # several chunks in one COPY stream
    shop = simulate(50, 300, AS_OF, BERLIN, seed=5)
    catalogs = [table_catalog(table) for table in ("customers_customer", "customers_order")]

    seconds = shop_load.load(_database_url(), shop)

    assert list(seconds) == ["customers", "orders", "indexes", "vacuum"]
    assert [table_catalog(t) for t in ("customers_customer", "customers_order")] == catalogs
    assert Customer.objects.count() == 50
    first = Customer.objects.get(pk=1)
    assert (first.external_id, first.email, first.country, first.marketing_consent) == (
        "C001",
        "",
        "",
        False,
    )
    assert first.created_at == first.updated_at == _moment(shop.customer_created[0])
    assert first.acquired_on == date(1970, 1, 1) + timedelta(days=int(shop.customer_acquired[0]))
    orders = list(Order.objects.order_by("external_id"))
    assert len(orders) == 300
    assert [o.external_id for o in orders[:2]] == ["O0001", "O0002"]
    assert [o.customer_id for o in orders] == shop.order_customer.tolist()
    assert [o.placed_at for o in orders] == [_moment(m) for m in shop.order_placed]
    assert [o.total for o in orders] == [Decimal(c) / 100 for c in shop.order_cents.tolist()]
    assert {(o.status, o.currency) for o in orders} == {("completed", "USD")}
    assert Customer.objects.create(external_id="C-next").pk == 51  # the id sequence moved on
