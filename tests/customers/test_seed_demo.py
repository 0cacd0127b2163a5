"""``manage.py seed_demo``: a deterministic, believable demo shop, written in one go.

The pinned numbers come from numpy's PCG64 stream for seed 7; a numpy release that changes
its Gamma or Beta samplers would change them (and nothing else should).
"""

import os
import pty
import re
import sys
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Min, Sum
from django.utils import timezone

from customers.clv.bgnbd import fit_bgnbd
from customers.clv.gamma_gamma import fit_gamma_gamma
from customers.clv.summary import rfm_summary
from customers.demo.behaviour import POPULATION
from customers.demo.shop import generate_shop
from customers.models import AcquisitionChannel, Customer, Order, OrderLine, Product
from tests.core.test_settings import PRODUCTION_ENV, ROOT, TEST_ONLY, run_manage

AS_OF = date(2026, 6, 30)
ARGS = ("--customers", "300", "--seed", "7", "--as-of", "2026-06-30")
EXPECTED_SUMMARY = [
    "  Customers: 300 (125 repeat buyers, 41.7%; 38 acquired in the last 60 days)",
    "  Orders: 607 (18 refunded, 13 cancelled)",
    "  Order lines: 1,067 over 61 products",
    "  Revenue (completed orders): USD 28,639.90",
    "  Orders placed from 2024-07-06 to 2026-06-28",
    "  Loyalty: Bronze 172, Silver 59, Gold 20, Platinum 4; 436 tier changes; "
    "25,068 points outstanding",
]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *ARGS, *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int, int]:
    return (
        Customer.objects.count(),
        Order.objects.count(),
        OrderLine.objects.count(),
        Product.objects.count(),
        AcquisitionChannel.objects.count(),
    )


def snapshot() -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Everything that makes up the shop, without database ids."""
    customers = list(
        Customer.objects.order_by("external_id").values_list(
            "external_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "country",
            "acquisition_channel__name",
            "acquired_on",
            "marketing_consent",
            "birthday",
        )
    )
    orders = list(
        Order.objects.order_by("external_id").values_list(
            "external_id", "customer__external_id", "placed_at", "status", "total", "currency"
        )
    )
    lines = list(
        OrderLine.objects.order_by("order__external_id", "line_number").values_list(
            "order__external_id", "line_number", "product__sku", "quantity", "unit_price", "amount"
        )
    )
    return customers, orders, lines


@pytest.mark.django_db
def test_seeds_the_pinned_shop_and_reports_it() -> None:
    out = seed()

    assert counts() == (300, 607, 1067, 61, 7)
    assert out.splitlines()[0].startswith("Seeded the demo shop (seed 7, as of 2026-06-30) in ")
    assert out.splitlines()[1:] == EXPECTED_SUMMARY
    statuses = dict(Order.objects.values_list("status").annotate(n=Count("id")))
    assert statuses == {"completed": 576, "refunded": 18, "cancelled": 13}
    revenue = Order.objects.filter(status="completed").aggregate(s=Sum("total"))["s"]
    assert revenue == Decimal("28639.90")
    channels = dict(
        Customer.objects.values_list("acquisition_channel__name").annotate(n=Count("id"))
    )
    assert channels == {
        "Organic search": 71,
        "Paid search": 55,
        "Social": 43,
        "Direct": 43,
        "Referral": 36,
        "Email": 31,
        "Affiliate": 21,
    }
    assert Customer.objects.filter(marketing_consent=True).count() == 202
    assert Customer.objects.exclude(birthday=None).count() == 83
    assert Customer.objects.exclude(phone="").count() == 183
    assert set(Order.objects.values_list("currency", flat=True)) == {"USD"}


@pytest.mark.django_db
def test_first_customer_and_first_order_are_numbered_in_time_order() -> None:
    seed()

    first = Customer.objects.get(external_id="C-00001")
    assert (first.first_name, first.last_name, first.email, first.country) == (
        "Pauline",
        "Richard",
        "pauline.richard94@example.com",
        "CA",
    )
    assert first.acquired_on == date(2024, 7, 6)
    order = Order.objects.get(external_id="D-000001")
    assert (order.customer_id, order.total, order.status) == (
        first.pk,
        Decimal("83.40"),
        "completed",
    )
    placed = list(Order.objects.order_by("external_id").values_list("placed_at", flat=True))
    assert placed == sorted(placed)
    acquired = list(Customer.objects.order_by("external_id").values_list("acquired_on", flat=True))
    assert acquired == sorted(acquired)
    assert all(
        re.fullmatch(r"C-\d{5}", c) for c in Customer.objects.values_list("external_id", flat=True)
    )
    assert all(
        re.fullmatch(r"D-\d{6}", o) for o in Order.objects.values_list("external_id", flat=True)
    )


@pytest.mark.django_db
def test_every_order_total_is_the_exact_sum_of_its_lines() -> None:
    seed()

    lines_by_order: dict[int, list[tuple[int, int, Decimal, Decimal]]] = {}
    for order_id, number, quantity, price, amount in OrderLine.objects.order_by(
        "order_id", "line_number"
    ).values_list("order_id", "line_number", "quantity", "unit_price", "amount"):
        lines_by_order.setdefault(order_id, []).append((number, quantity, price, amount))
    totals = dict(Order.objects.values_list("id", "total"))

    assert set(lines_by_order) == set(totals)
    for order_id, lines in lines_by_order.items():
        assert [n for n, *_ in lines] == list(range(1, len(lines) + 1))
        assert len(lines) in range(1, 5)
        assert all(amount == quantity * price for _, quantity, price, amount in lines)
        assert sum(amount for *_, amount in lines) == totals[order_id]
        assert totals[order_id] == totals[order_id].quantize(Decimal("0.01"))
    assert Counter(len(lines) for lines in lines_by_order.values()) == {
        1: 307,
        2: 180,
        3: 80,
        4: 40,
    }


@pytest.mark.django_db
def test_orders_cover_two_years_before_the_as_of_day_and_acquisition_is_the_first_one() -> None:
    seed()
    tz = timezone.get_current_timezone()
    end = datetime.combine(AS_OF, time(), tzinfo=tz)
    start = datetime.combine(AS_OF - timedelta(days=730), time(), tzinfo=tz)

    placed = Order.objects.aggregate(first=Min("placed_at"))["first"]
    assert start <= placed
    assert not Order.objects.filter(placed_at__gte=end).exists()
    for acquired_on, first_order in Customer.objects.annotate(
        first_order=Min("orders__placed_at")
    ).values_list("acquired_on", "first_order"):
        assert acquired_on == timezone.localtime(first_order).date()
    new = Customer.objects.filter(acquired_on__gte=AS_OF - timedelta(days=60)).count()
    assert new == 38
    repeat = Customer.objects.annotate(n=Count("orders")).filter(n__gte=2).count()
    assert repeat == 125


@pytest.mark.django_db
def test_customers_have_unique_lower_case_example_emails_and_plausible_details() -> None:
    seed()

    emails = list(Customer.objects.values_list("email", flat=True))
    assert len(set(emails)) == len(emails) == 300
    assert all(re.fullmatch(r"[a-z0-9._]+@example\.(com|org|net)", e) for e in emails)
    countries = Counter(Customer.objects.values_list("country", flat=True))
    assert countries.most_common(3) == [("US", 88), ("GB", 47), ("DE", 28)]
    us_phones = Customer.objects.filter(country="US").exclude(phone="")
    # The range reserved for fiction, so a demo number never rings anyone.
    assert all(re.fullmatch(r"\+1 \d{3}-555-01\d\d", p.phone) for p in us_phones)
    birthdays = Customer.objects.exclude(birthday=None).values_list("birthday", flat=True)
    assert all(b is not None and date(1941, 1, 1) <= b <= date(2008, 6, 30) for b in birthdays)


@pytest.mark.django_db
def test_orders_cross_sell_by_category_and_repeat_the_favourite() -> None:
    seed()
    category = dict(Product.objects.values_list("id", "category"))
    orders: dict[int, list[str]] = {}
    for order_id, product_id in OrderLine.objects.order_by(
        "order__placed_at", "order_id", "line_number"
    ).values_list("order_id", "product_id"):
        orders.setdefault(order_id, []).append(category[product_id])
    coffee = [cats for cats in orders.values() if cats[0] == "Coffee"]
    tea = [cats for cats in orders.values() if cats[0] == "Tea"]

    # Coffee orders add brewing gear, tea orders add teaware, never the other way round.
    assert (len(coffee), sum("Brewing gear" in c for c in coffee)) == (231, 42)
    assert (len(tea), sum("Brewing gear" in c for c in tea)) == (151, 0)
    assert (sum("Teaware" in c for c in tea), sum("Teaware" in c for c in coffee)) == (21, 0)
    # Later orders mostly start from the category of the customer's first order.
    anchors: dict[int, list[str]] = {}
    customer_of = dict(Order.objects.values_list("id", "customer_id"))
    for order_id, cats in orders.items():
        anchors.setdefault(customer_of[order_id], []).append(cats[0])
    later = [anchor == firsts[0] for firsts in anchors.values() for anchor in firsts[1:]]
    assert (len(later), sum(later)) == (307, 222)


@pytest.mark.django_db
def test_refuses_a_shop_with_customers_and_writes_nothing() -> None:
    seed()
    before = snapshot()

    with pytest.raises(CommandError) as excinfo:
        seed()

    assert str(excinfo.value) == "the shop already has 300 customers; use --reset to replace them"
    assert snapshot() == before


@pytest.mark.django_db
def test_if_empty_leaves_a_shop_with_customers_alone() -> None:
    seed()
    before = snapshot()

    out = seed("--if-empty")

    assert out == "Not seeding: the shop already has 300 customers.\n"
    assert snapshot() == before


@pytest.mark.django_db
def test_reset_replaces_the_shop_with_an_identical_one() -> None:
    seed()
    before = snapshot()
    first_ids = set(Customer.objects.values_list("id", flat=True))

    out = seed("--reset", "--no-input")

    assert snapshot() == before
    assert counts() == (300, 607, 1067, 61, 7)
    assert out.splitlines()[1:] == EXPECTED_SUMMARY
    assert first_ids.isdisjoint(Customer.objects.values_list("id", flat=True))


@pytest.mark.django_db
def test_reset_replaces_a_different_shop_and_a_new_seed_gives_a_different_one() -> None:
    seed()
    before = snapshot()

    call_command(
        "seed_demo", "--customers", "50", "--seed", "8", "--reset", "--no-input", stdout=StringIO()
    )

    assert Customer.objects.count() == 50
    assert snapshot() != before


@pytest.mark.django_db
def test_reset_off_a_terminal_needs_no_input_and_deletes_nothing() -> None:
    seed()
    before = snapshot()
    with pytest.raises(CommandError) as excinfo:
        seed("--reset")
    assert str(excinfo.value) == (
        "--reset deletes every order, customer, product and channel of this shop: "
        "confirm it on a terminal, or pass --no-input"
    )
    assert snapshot() == before


def test_reset_is_refused_under_the_production_settings() -> None:
    result = run_manage("seed_demo", "--reset", "--no-input", env=PRODUCTION_ENV)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "CommandError: --reset deletes every order, customer, product and channel of this "
        "shop: refused under these settings (clvcrm.settings.production)"
    )


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory) -> dict[str, str]:
    """A migrated SQLite file with a seeded shop, for commands run on a real terminal."""
    path = tmp_path_factory.mktemp("terminal") / "db.sqlite3"
    env = {
        "DJANGO_SETTINGS_MODULE": "clvcrm.settings.local",
        "DATABASE_URL": f"sqlite:///{path}",
        "CELERY_BROKER_URL": "",  # the embedded mode, whatever this test run uses
    }
    for command in (("migrate", "-v0"), ("seed_demo", "--customers", "40", "--seed", "5")):
        assert run_manage(*command, env=env).returncode == 0
    return env


def _on_a_terminal(env: dict[str, str], answer: str) -> tuple[int, str]:
    """Run ``seed_demo --reset`` with a pseudo-terminal as stdin, answering its question."""
    command = [sys.executable, "manage.py", "seed_demo", "--customers", "30", "--reset"]
    child_env = {**{k: v for k, v in os.environ.items() if k not in TEST_ONLY}, **env}
    pid, terminal = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        os.chdir(ROOT)
        os.execve(sys.executable, command, child_env)
    output = b""
    while b"Type 'yes' to go on:" not in output:
        output += os.read(terminal, 1024)
    os.write(terminal, answer.encode() + b"\n")
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode()


def _customer_count(env: dict[str, str]) -> str:
    code = "from customers.models import Customer; print(Customer.objects.count())"
    return run_manage("shell", "--no-imports", "-c", code, env=env).stdout.strip()


def test_reset_asks_on_a_terminal(demo_database: dict[str, str]) -> None:
    code, output = _on_a_terminal(demo_database, "no")
    assert code == 1
    assert "CommandError: reset cancelled: nothing was deleted" in output
    assert _customer_count(demo_database) == "40"

    code, output = _on_a_terminal(demo_database, "yes")
    assert code == 0, output
    assert "Seeded the demo shop" in output
    assert _customer_count(demo_database) == "30"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--customers", "0"), "expected a positive whole number, got '0'"),
        (("--as-of", "30/06/2026"), "expected a date as YYYY-MM-DD, got '30/06/2026'"),
        (("--reset", "--if-empty"), "not allowed with argument"),
    ],
)
def test_rejects_bad_arguments_and_writes_nothing(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("seed_demo", *args, stdout=StringIO())

    assert counts() == (0, 0, 0, 0, 0)


def test_the_clv_models_recover_the_behaviour_put_in() -> None:
    """Fitted on the demo, BG/NBD and Gamma-Gamma find roughly the population values."""
    shop = generate_shop(customers=3000, seed=42, as_of=AS_OF, tz=ZoneInfo("UTC"))
    index = {c.external_id: i for i, c in enumerate(shop.customers)}
    customer = np.array([index[o.customer_external_id] for o in shop.orders])
    day = np.array([o.placed_at.date() for o in shop.orders], dtype="datetime64[D]")
    value = np.array([float(o.total) for o in shop.orders])
    rfm = rfm_summary(customer, day, value, as_of=AS_OF - timedelta(days=1))

    assert 0.35 <= np.mean(rfm.frequency > 0) <= 0.50
    bgnbd = fit_bgnbd(rfm.frequency, rfm.recency, rfm.age).params
    assert bgnbd.r == pytest.approx(POPULATION.r, rel=0.15)
    assert bgnbd.alpha == pytest.approx(POPULATION.alpha, rel=0.15)
    spend = fit_gamma_gamma(rfm.frequency, rfm.monetary).params
    # Baskets are whole products, so order values only track the drawn ones.
    intended = POPULATION.spend_p * POPULATION.spend_gamma / (POPULATION.spend_q - 1)
    assert spend.population_mean == pytest.approx(intended, rel=0.2)
