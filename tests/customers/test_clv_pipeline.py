"""The CLV pipeline through the real commands on imported orders."""

import csv
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.clv_runs import run as run_module
from customers.clv_runs.run import ClvRunBusyError
from customers.models import ClvRun, Customer, CustomerScore, Order
from customers.services import clv_runs
from tests.catalog import table_catalog
from tests.datasets import data_file
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db

SCORE_FIELDS = (
    "customer__external_id",
    "frequency",
    "recency_days",
    "age_days",
    "monetary",
    "total_spent",
    "p_alive",
    "expected_purchases_90d",
    "predicted_clv",
    "historical_clv",
    "rfm_score",
    "spend_last_90d",
    "spend_prior_90d",
)


def _recalculate(*args: str) -> dict:
    out = StringIO()
    call_command("recalculate_clv", *args, "--json", stdout=out)
    return json.loads(out.getvalue().splitlines()[-1])


def test_cdnow_calibration_matches_the_published_fit(cdnow_sample):
    result = _recalculate("--as-of", "1997-09-30")

    assert result["as_of"] == "1997-09-30"
    assert result["customers"] == 2357
    assert result["time_unit"] == "W"
    for name, published in {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}.items():
        assert result["bgnbd"][name] == pytest.approx(published, rel=0.005), name
    assert result["log_likelihood"] == pytest.approx(-9582.43, abs=0.05)
    for name, published in {"p": 6.2496, "q": 3.7442, "gamma": 15.4435}.items():
        assert result["gamma_gamma"][name] == pytest.approx(published, rel=0.005), name
    assert result["gamma_gamma_log_likelihood"] == pytest.approx(-4055.92, abs=0.05)
    assert set(result["seconds"]) == {"aggregate", "fit", "score", "write", "total"}


def test_cdnow_scores_follow_the_btyd_summary(cdnow_sample):
    _recalculate("--as-of", "1997-09-30")

    with data_file("cdnow_customers_summary.csv").open() as f:
        published = {row["ID"]: row for row in csv.DictReader(f)}
    # The sample's ids are zero-padded in the transactions, plain in the summary.
    scores = {
        str(int(s.customer.external_id)): s
        for s in CustomerScore.objects.select_related("customer")
    }
    assert len(scores) == len(published) == 2357
    for external_id, row in published.items():
        score = scores[external_id]
        assert score.frequency == int(row["frequency"])
        assert score.recency_days / 7 == pytest.approx(float(row["recency"]), abs=0.005)
        assert score.age_days / 7 == pytest.approx(float(row["T"]), abs=0.005)
    one_timer = scores["3"]  # bought once, in the first week
    assert (one_timer.frequency, one_timer.p_alive) == (0, 1.0)  # plain BG/NBD's surprise
    assert all(
        s.p_alive is not None
        and 0 <= s.p_alive <= 1
        and s.predicted_clv is not None
        and s.predicted_clv >= 0
        for s in scores.values()
    )


def test_a_rerun_gives_identical_numbers_and_ignores_later_orders(cdnow_sample):
    _recalculate("--as-of", "1997-09-30")
    first = list(CustomerScore.objects.order_by("customer_id").values_list(*SCORE_FIELDS))
    Order.objects.create(
        external_id="late",
        customer=Customer.objects.get(external_id="0001"),
        placed_at=timezone.make_aware(datetime(1997, 10, 1)),
        total=Decimal("99.00"),
        currency="USD",
    )

    _recalculate("--as-of", "1997-09-30")

    assert list(CustomerScore.objects.order_by("customer_id").values_list(*SCORE_FIELDS)) == first
    assert set(CustomerScore.objects.values_list("run_id", flat=True)) == {
        ClvRun.objects.latest("id").pk
    }


def _shop(customers: int, orders_each: int) -> None:
    """A small shop: every customer buys ``orders_each`` times, a week apart."""
    for i in range(customers):
        customer = Customer.objects.create(external_id=f"C{i}", acquired_on=date(2025, 1, 1))
        Order.objects.bulk_create(
            Order(
                external_id=f"O{i}-{k}",
                customer=customer,
                placed_at=timezone.make_aware(datetime(2025, 1, 1 + 7 * k, 12)),
                total=Decimal("10.00") + k,
                currency="USD",
            )
            for k in range(orders_each if i % 2 else 1)
        )


def test_too_little_history_still_gets_historical_clv_and_rfm():
    _shop(customers=6, orders_each=3)

    result = _recalculate("--as-of", "2025-02-28")

    assert result["prediction_skipped"] == ("only 3 repeat buyers; the models need at least 200")
    assert result["bgnbd"] == {"r": None, "alpha": None, "a": None, "b": None}
    repeat = CustomerScore.objects.get(customer__external_id="C1")
    assert (repeat.frequency, repeat.recency_days, repeat.age_days) == (2, 14, 58)
    assert (repeat.total_spent, repeat.monetary, repeat.historical_clv) == (
        Decimal("33.00"),
        Decimal("11.50"),
        Decimal("33.00"),
    )
    assert repeat.p_alive is None
    assert repeat.predicted_clv is None
    # Three one-time buyers tie below three repeat buyers: ties share their average rank.
    assert sorted(CustomerScore.objects.values_list("rfm_score", flat=True)) == [
        "222",
        "222",
        "222",
        "555",
        "555",
        "555",
    ]


def test_spend_windows_are_the_last_90_shop_days_and_the_90_before(settings):
    # Auckland is 12 hours ahead of UTC in June: an order at 00:30 there is the previous
    # day in UTC, so only purchase days in the shop's time zone put these in their window.
    settings.TIME_ZONE = "Pacific/Auckland"
    as_of = date(2025, 6, 30)
    shopper = Customer.objects.create(external_id="W", acquired_on=date(2024, 1, 1))
    old = Customer.objects.create(external_id="Q", acquired_on=date(2024, 1, 1))

    def order(customer: Customer, days_before: int, hour: int, minute: int, total: str, **kw):
        day = as_of - timedelta(days=days_before)
        Order.objects.create(
            external_id=f"{customer.external_id}-{days_before}-{hour}-{total}",
            customer=customer,
            placed_at=timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute)),
            total=Decimal(total),
            currency="NZD",
            **kw,
        )

    order(shopper, 0, 23, 30, "1.01")  # the as-of day: last window
    order(shopper, 89, 0, 30, "2.02")  # first day of the last window
    order(shopper, 89, 10, 0, "4.04")  # same day, merged
    order(shopper, 90, 23, 59, "8.08")  # last day of the prior window
    order(shopper, 179, 0, 30, "16.16")  # first day of the prior window
    order(shopper, 180, 23, 30, "32.32")  # before both windows
    order(shopper, -1, 0, 30, "64.64")  # after the as-of day: ignored
    order(shopper, 10, 12, 0, "128.00", status=Order.Status.CANCELLED)  # not completed
    order(old, 400, 12, 0, "50.00")

    _recalculate("--as-of", as_of.isoformat())

    windows = CustomerScore.objects.order_by("customer__external_id").values_list(
        "customer__external_id", "total_spent", "spend_last_90d", "spend_prior_90d"
    )
    assert list(windows) == [
        ("Q", Decimal("50.00"), Decimal("0.00"), Decimal("0.00")),
        ("W", Decimal("63.63"), Decimal("7.07"), Decimal("24.24")),
    ]


def test_a_failed_write_keeps_the_previous_scores(monkeypatch):
    _shop(customers=4, orders_each=2)
    _recalculate("--as-of", "2025-02-28")
    before = list(CustomerScore.objects.values_list("customer_id", "run_id", "historical_clv"))
    real_store = run_module.scores_store  # type: ignore[attr-defined]  # the name run.py imported, which the test replaces

    def store_then_crash(*args, **kwargs):
        real_store(*args, **kwargs)  # every new score written, then the process "dies"
        raise RuntimeError("disk full")

    monkeypatch.setattr(run_module, "scores_store", store_then_crash)
    with pytest.raises(CommandError, match="CLV run failed: RuntimeError: disk full"):
        _recalculate("--as-of", "2025-03-31")

    assert (
        list(CustomerScore.objects.values_list("customer_id", "run_id", "historical_clv")) == before
    )
    failed = ClvRun.objects.latest("id")
    assert (failed.status, failed.error) == ("failed", "RuntimeError: disk full")
    assert set(failed.seconds) == {"aggregate", "fit", "score", "total"}


def test_one_run_at_a_time():
    ClvRun.objects.create(
        as_of=date(2025, 1, 1), status=ClvRun.Status.RUNNING, started_at=timezone.now()
    )
    with pytest.raises(ClvRunBusyError):
        clv_runs.clv_recalculate(as_of=date(2025, 1, 2))
    with pytest.raises(CommandError, match=r"CLV run \d+ is still running"):
        call_command("recalculate_clv", stdout=StringIO())


def test_a_run_abandoned_for_hours_no_longer_blocks():
    stale = ClvRun.objects.create(
        as_of=date(2025, 1, 1),
        status=ClvRun.Status.RUNNING,
        started_at=timezone.now() - timedelta(hours=7),
    )
    run = clv_runs.clv_recalculate(as_of=date(2025, 1, 2)).run
    stale.refresh_from_db()
    assert (stale.status, run.status) == ("failed", "succeeded")


def test_the_pipeline_costs_the_same_queries_for_any_shop_size():
    def queries_of_a_run() -> int:
        with CaptureQueriesContext(connection) as queries:
            clv_runs.clv_recalculate(as_of=date(2025, 2, 28))
        return len(queries)

    _shop(customers=10, orders_each=3)
    small = queries_of_a_run()
    _shop_more(start=10, customers=300)
    large = queries_of_a_run()

    assert CustomerScore.objects.count() == 310
    assert small == large
    # Claim the run (after freeing abandoned ones), one aggregate and its refunds' read, the
    # stage table, the new scores, success recorded, the run read back. PostgreSQL reads
    # and stages by COPY and swaps in a fresh score table: its constraints and indexes
    # read, added and renamed (31 statements more, by the schema, not the data).
    assert large == per_backend(sqlite=17, postgresql=48)


def _shop_more(start: int, customers: int) -> None:
    for i in range(start, start + customers):
        customer = Customer.objects.create(external_id=f"C{i}", acquired_on=date(2025, 1, 1))
        Order.objects.create(
            external_id=f"O{i}",
            customer=customer,
            currency="USD",
            placed_at=timezone.make_aware(datetime(2025, 1, 2)),
            total=Decimal("5.00"),
        )


def test_the_nightly_task_records_a_scheduled_run():
    from django_celery_beat.models import PeriodicTask

    from clvcrm.pipeline.tasks import clv_recalculate

    _shop(customers=3, orders_each=2)
    run_id = clv_recalculate.delay("2025-02-28").get()
    assert run_id is not None

    run = ClvRun.objects.get(pk=run_id)
    assert (run.triggered_by, run.status, str(run.as_of)) == ("schedule", "succeeded", "2025-02-28")
    nightly = PeriodicTask.objects.get(name="Nightly CLV recalculation")
    assert (nightly.task, nightly.crontab.hour, nightly.crontab.minute) == (
        "clvcrm.pipeline.tasks.clv_recalculate",
        "2",
        "30",
    )


@pytest.mark.postgres
def test_swapping_in_new_scores_keeps_every_index_and_constraint_name():
    table = CustomerScore._meta.db_table
    before = table_catalog(table)
    _shop(customers=5, orders_each=2)

    clv_runs.clv_recalculate(as_of=date(2025, 2, 28))
    clv_runs.clv_recalculate(as_of=date(2025, 3, 31))

    assert table_catalog(table) == before
    assert len(before[0]) == 5  # primary key, run, predicted CLV, P(alive), RFM
    assert CustomerScore.objects.count() == 5
    assert set(CustomerScore.objects.values_list("run_id", flat=True)) == {
        ClvRun.objects.latest("id").pk
    }


def test_a_customer_past_the_score_columns_is_stored_at_their_largest_and_the_run_goes_on(
    django_capture_on_commit_callbacks,
):
    """120 orders of the largest total an order holds, two a day: every sum passes its column."""
    whale = Customer.objects.create(external_id="WHALE")
    modest = Customer.objects.create(external_id="MODEST")
    start = timezone.make_aware(datetime(2025, 1, 1, 12))
    Order.objects.bulk_create(
        Order(
            external_id=f"W-{n}",
            customer=whale,
            placed_at=start + timedelta(days=n // 2, minutes=n % 2),
            total=Decimal("9999999999.99"),
            currency="USD",
        )
        for n in range(120)
    )
    Order.objects.create(
        external_id="M-1", customer=modest, placed_at=start, total=Decimal("12.00"), currency="USD"
    )

    with django_capture_on_commit_callbacks(execute=True):  # the segments follow the run
        result = _recalculate("--as-of", "2025-03-01")

    assert ClvRun.objects.get(pk=result["id"]).status == ClvRun.Status.SUCCEEDED
    whale_score = CustomerScore.objects.get(customer=whale)
    assert (
        whale_score.total_spent,
        whale_score.historical_clv,
        whale_score.monetary,
        whale_score.spend_last_90d,
    ) == (
        Decimal("999999999999.99"),
        Decimal("999999999999.99"),
        Decimal("9999999999.99"),  # a purchase day of two such orders
        Decimal("999999999999.99"),
    )
    modest_score = CustomerScore.objects.get(customer=modest)
    assert (modest_score.total_spent, modest_score.historical_clv) == (
        Decimal("12.00"),
        Decimal("12.00"),
    )
    assert Customer.objects.filter(segment_assignment__isnull=False).count() == 2
