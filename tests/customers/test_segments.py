"""Segment reassignment: the rules, hysteresis, idempotency, a killed run, the hand-over."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from customers.models import (
    ClvRun,
    Customer,
    CustomerScore,
    CustomerSegment,
    Segment,
    SegmentReassignment,
    SegmentStatistic,
    SegmentThresholds,
    SegmentTransition,
)
from customers.segments import reassign as reassign_module
from customers.segments import write
from customers.segments.reassign import SegmentRunError
from customers.segments.statistics import statistics_write
from customers.services.segments import segments_reassign
from tests.catalog import table_catalog
from tests.datasets import cdnow_to_orders_csv, data_file
from tests.query_counts import per_backend

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def _run(as_of: date = AS_OF, *, predicted: bool = True) -> ClvRun:
    """A succeeded run, finished after every earlier one (the latest scores)."""
    return ClvRun.objects.create(
        as_of=as_of,
        status=ClvRun.Status.SUCCEEDED,
        r=1.0 if predicted else None,
        prediction_skipped="" if predicted else "too few repeat buyers",
        finished_at=timezone.now(),
    )


def _score(
    customer: Customer,
    run: ClvRun,
    *,
    p_alive: float | None = 0.9,
    predicted: str | None = "100",
    historical: str = "100",
    frequency: int = 3,
    age_days: int = 400,
    recency_days: int = 300,
    last_90d: str | None = "50",
    prior_90d: str | None = "50",
) -> None:
    """Replace the customer's score with these figures for ``run``."""
    as_of = run.as_of
    CustomerScore.objects.update_or_create(
        customer=customer,
        defaults={
            "run": run,
            "frequency": frequency,
            "recency_days": recency_days,
            "age_days": age_days,
            "monetary": Decimal("10"),
            "total_spent": Decimal(historical),
            "first_purchase": as_of - timedelta(days=age_days),
            "last_purchase": as_of - timedelta(days=age_days - recency_days),
            "p_alive": p_alive,
            "predicted_clv": None if predicted is None else Decimal(predicted),
            "historical_clv": Decimal(historical),
            "rfm_recency": 3,
            "rfm_frequency": 3,
            "rfm_monetary": 3,
            "rfm_score": "333",
            "spend_last_90d": None if last_90d is None else Decimal(last_90d),
            "spend_prior_90d": None if prior_90d is None else Decimal(prior_90d),
        },
    )


def _customers(n: int) -> list[Customer]:
    """Customers the shop had by the runs' as-of day (a run segments no later one)."""
    return [
        Customer.objects.create(external_id=f"C-{i}", acquired_on=AS_OF - timedelta(days=400))
        for i in range(n)
    ]


def _segments() -> dict[str, str]:
    return dict(CustomerSegment.objects.values_list("customer__external_id", "segment__code"))


def _reasons() -> dict[str, str]:
    return dict(CustomerSegment.objects.values_list("customer__external_id", "reason"))


def test_a_customer_acquired_after_the_runs_day_waits_for_the_next_run():
    (early,) = _customers(1)
    late = Customer.objects.create(external_id="L-1", acquired_on=AS_OF + timedelta(days=1))
    run = _run()
    _score(early, run, predicted="10")

    segments_reassign(run_id=run.pk)

    assert _segments() == {"C-0": "high_value"}  # L-1: no segment yet, not "low value"
    next_run = _run(AS_OF + timedelta(days=1))
    _score(early, next_run, predicted="10")
    segments_reassign(run_id=next_run.pk)
    assert _segments() == {"C-0": "high_value", "L-1": "low_value"}  # no purchase yet
    assert CustomerSegment.objects.get(customer=late).reason == "no_purchase"


def test_each_rule_in_priority_order_with_its_reason():
    c = {x.external_id: x for x in _customers(9)}
    run = _run()
    _score(c["C-0"], run, age_days=30, recency_days=0, p_alive=0.01)  # new wins over churned
    _score(c["C-1"], run, p_alive=0.1)  # churned by P(alive)
    _score(c["C-2"], run, frequency=0, age_days=400, recency_days=0)  # one-time, over a year
    _score(c["C-3"], run, p_alive=0.3, historical="500")  # valuable, P(alive) fell
    _score(c["C-4"], run, p_alive=0.3, historical="1")  # same but below median value
    # Spend dropped to exactly half: counts as a drop.
    _score(c["C-5"], run, historical="500", predicted="900", last_90d="100", prior_90d="200")
    _score(c["C-6"], run, predicted="800")  # top of the rest
    _score(c["C-7"], run, predicted="10")
    # C-8 has no score: no completed purchase (signed up before the run).

    outcome = segments_reassign(run_id=run.pk)

    assert _segments() == {
        "C-0": "new",
        "C-1": "churned",
        "C-2": "churned",
        "C-3": "at_risk",
        "C-4": "low_value",
        "C-5": "at_risk",
        "C-6": "high_value",
        "C-7": "low_value",
        "C-8": "low_value",
    }
    assert _reasons() == {
        "C-0": "new",
        "C-1": "churned_p_alive",
        "C-2": "churned_one_time",
        "C-3": "at_risk_p_alive",
        "C-4": "low_value",
        "C-5": "at_risk_spend_drop",
        "C-6": "high_value",
        "C-7": "low_value",
        "C-8": "no_purchase",
    }
    # Median historical value of the 8 scored (lower middle): 100. The rest C-4, C-6, C-7
    # (3 customers): the top 20% is ceil(0.6) = 1 customer, C-6 at 800.
    assert outcome.median_value == Decimal("100.00")
    assert outcome.high_value_cut == Decimal("800.00")
    assert (outcome.customers, outcome.changed, outcome.transitions) == (9, 9, 9)
    assert SegmentTransition.objects.filter(from_segment__isnull=True).count() == 9


def test_without_a_model_churn_is_a_year_without_purchase():
    c = _customers(3)
    run = _run(predicted=False)
    _score(c[0], run, p_alive=None, predicted=None, age_days=500, recency_days=134)  # 366 d
    _score(c[1], run, p_alive=None, predicted=None, age_days=500, recency_days=135)  # 365 d
    _score(c[2], run, p_alive=None, predicted=None, age_days=500, recency_days=400, historical="9")

    segments_reassign(run_id=run.pk)

    assert _reasons() == {"C-0": "churned_no_model", "C-1": "high_value", "C-2": "low_value"}


@pytest.mark.parametrize("bulk", [False, True], ids=["plain writes", "bulk writes"])
def test_rerunning_the_same_run_changes_nothing(bulk, monkeypatch, django_assert_num_queries):
    # PostgreSQL writes the outbox with its indexes deferred when the rows are a large
    # share of the table's estimated size, which earlier tests leave behind: pin the
    # choice, each way (SQLite always writes plainly; no rows are never a bulk write).
    monkeypatch.setattr(write, "table_write_is_bulk", lambda _c, _t, rows, **_k: bulk and rows > 0)
    c = _customers(20)
    run = _run()
    for i, customer in enumerate(c):
        _score(customer, run, p_alive=i / 20, predicted=str(10 * i), historical=str(i))
    # The first run: the same reads and temporary tables as a re-run, the outbox written,
    # the new customers inserted (their update finds none), the default segments' figures
    # (DELETE, INSERT) and the reassignment recorded. PostgreSQL rebuilds the assignments
    # table (every customer changes) and swaps it in; a bulk outbox write drops and builds
    # its constraint and index around the insert.
    with django_assert_num_queries(per_backend(sqlite=29, postgresql=45 if bulk else 39)):
        first = segments_reassign(run_id=run.pk)
    before = list(CustomerSegment.objects.order_by("pk").values())
    figures = list(SegmentStatistic.objects.order_by("pk").values())
    record = SegmentReassignment.objects.get(run=run)

    # A fixed number of statements, whatever the number of customers (one more on
    # PostgreSQL: the transaction's work_mem and jit settings, but the median in one query).
    with django_assert_num_queries(per_backend(sqlite=26, postgresql=27)):
        again = segments_reassign(run_id=run.pk)

    assert first.transitions == 20
    assert (again.changed, again.transitions) == (0, 0)
    assert list(CustomerSegment.objects.order_by("pk").values()) == before
    assert list(SegmentStatistic.objects.order_by("pk").values()) == figures
    assert SegmentTransition.objects.count() == 20
    assert SegmentReassignment.objects.get(run=run).finished_at == record.finished_at


def test_a_rerun_uses_the_thresholds_its_run_was_first_segmented_with():
    c = _customers(2)
    run = _run()
    _score(c[0], run, p_alive=0.2)
    _score(c[1], run, p_alive=0.9, predicted="1")
    segments_reassign(run_id=run.pk)
    SegmentThresholds.objects.filter(pk=1).update(churn_p_alive=0.3)

    assert segments_reassign(run_id=run.pk).transitions == 0
    nxt = _run()
    CustomerScore.objects.update(run=nxt)
    segments_reassign(run_id=nxt.pk)

    assert _segments()["C-0"] == "churned"  # the new threshold applies from the next run


def test_hysteresis_keeps_customers_until_they_pass_the_margin():
    SegmentThresholds.objects.filter(pk=1).update(at_risk_p_alive=0.0)  # churn only here
    c = _customers(2)
    run = _run()
    _score(c[0], run, p_alive=0.14)  # enters churned below 0.15
    _score(c[1], run, p_alive=0.16, predicted="1")  # above: not churned
    segments_reassign(run_id=run.pk)
    assert _segments() == {"C-0": "churned", "C-1": "high_value"}  # the top 20% of one

    # Both now between the entry bar (0.15) and the exit bar (0.15 × 1.1 = 0.165).
    second = _run()
    _score(c[0], second, p_alive=0.16)
    _score(c[1], second, p_alive=0.16, predicted="1")
    assert segments_reassign(run_id=second.pk).transitions == 0
    assert _segments() == {"C-0": "churned", "C-1": "high_value"}

    third = _run()
    _score(c[0], third, p_alive=0.166)
    _score(c[1], third, p_alive=0.16, predicted="1")
    segments_reassign(run_id=third.pk)
    moved = SegmentTransition.objects.get(run=third, customer=c[0])
    assert moved.from_segment is not None
    assert moved.to_segment is not None
    assert (moved.from_segment.code, moved.to_segment.code) == ("churned", "high_value")


def test_high_value_keeps_members_within_the_margin_below_the_cut():
    c = _customers(10)
    run = _run()
    for i, customer in enumerate(c):
        _score(customer, run, predicted=str(100 + i))  # C-8, C-9 are the top 20%
    segments_reassign(run_id=run.pk)
    assert {k for k, v in _segments().items() if v == "high_value"} == {"C-8", "C-9"}

    second = _run()
    for i, customer in enumerate(c):
        _score(customer, second, predicted=str(100 + i))
    _score(c[9], second, predicted="98")  # below the new cut, but within 10% of it: stays
    _score(c[8], second, predicted="90")  # more than 10% below: leaves
    _score(c[0], second, predicted="200")  # jumps to the top
    segments_reassign(run_id=second.pk)

    # Cut: the 2nd of 200, 107, 106, ... = 107 (C-7 enters); the exit bar is 96.30.
    assert {k for k, v in _segments().items() if v == "high_value"} == {"C-0", "C-7", "C-9"}


def _segmented(n: int) -> tuple[list[Customer], ClvRun]:
    """``n`` customers scored alike by a run that was segmented."""
    c = _customers(n)
    run = _run()
    for customer in c:
        _score(customer, run, p_alive=0.9)
    segments_reassign(run_id=run.pk)
    return c, run


def test_a_killed_reassignment_leaves_the_previous_segments_and_no_transitions(monkeypatch):
    c, _ = _segmented(5)
    before = _segments()
    second = _run()
    for customer in c:
        _score(customer, second, p_alive=0.05)

    def killed(*args, **kwargs):
        raise RuntimeError("killed midway")

    # Transitions are written by then; the assignments would be next.
    monkeypatch.setattr(reassign_module, "assignments_write", killed)
    with pytest.raises(RuntimeError, match="killed midway"):
        segments_reassign(run_id=second.pk)

    assert _segments() == before
    assert not SegmentTransition.objects.filter(run=second).exists()
    assert not SegmentReassignment.objects.filter(run=second).exists()
    assert not SegmentStatistic.objects.filter(run=second).exists()

    monkeypatch.undo()
    assert segments_reassign(run_id=second.pk).transitions == 5
    assert segments_reassign(run_id=second.pk).transitions == 0
    assert set(_segments().values()) == {"churned"}
    assert SegmentTransition.objects.filter(run=second).count() == 5


def test_a_replaced_or_failed_run_is_refused():
    customer = _customers(1)[0]
    old = _run()
    new = _run()
    _score(customer, new)
    failed = ClvRun.objects.create(as_of=AS_OF, status=ClvRun.Status.FAILED)

    with pytest.raises(SegmentRunError, match=f"replaced by run {new.pk}"):
        segments_reassign(run_id=old.pk)
    with pytest.raises(SegmentRunError, match="is failed"):
        segments_reassign(run_id=failed.pk)
    with pytest.raises(SegmentRunError, match="does not exist"):
        segments_reassign(run_id=999_999)
    assert not CustomerSegment.objects.exists()


def test_statistics_per_run_and_segment():
    c = _customers(3)
    run = _run()
    _score(c[0], run, p_alive=0.1, predicted="10.00")
    _score(c[1], run, p_alive=0.1, predicted="20.01")
    _score(c[2], run, predicted="5")

    segments_reassign(run_id=run.pk)

    figures = {
        s.segment.code: (s.customers, s.total_predicted_clv, s.average_predicted_clv)
        for s in SegmentStatistic.objects.filter(run=run).select_related("segment")
    }
    assert figures == {
        "new": (0, None, None),
        "churned": (2, Decimal("30.01"), Decimal("15.01")),
        "at_risk": (0, None, None),
        "high_value": (1, Decimal("5.00"), Decimal("5.00")),
        "low_value": (0, None, None),
    }


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cdnow") / "cdnow_master.csv"
    cdnow_to_orders_csv(data_file("CDNOW_master.txt"), path)
    return path


def test_cdnow_master_segments_after_the_real_commands(
    cdnow_csv, django_capture_on_commit_callbacks
):
    call_command("import_orders", str(cdnow_csv), stdout=StringIO())
    # The run queues the reassignment after its commit; tests run tasks eagerly.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("recalculate_clv", "--as-of", "1998-06-30", stdout=StringIO())
    run = ClvRun.objects.get()

    # The reassignment and the dashboard's aggregates, then the product affinities, the
    # campaign triggers and the campaigns' effect on CLV the reassignment queues.
    assert len(callbacks) == 5
    sizes = dict(
        CustomerSegment.objects.values_list("segment__code").annotate(n=Count("*")).order_by()
    )
    assert Customer.objects.count() == CustomerSegment.objects.count() == 23_570
    assert set(sizes) == {"churned", "at_risk", "high_value", "low_value"}  # nobody new
    assert all(n > 0 for n in sizes.values())
    assert SegmentTransition.objects.filter(run=run).count() == 23_570
    assert segments_reassign(run_id=run.pk).transitions == 0
    assert SegmentTransition.objects.count() == 23_570


def test_the_demo_shop_fills_every_default_segment(django_capture_on_commit_callbacks):
    # What `make demo` runs: seed the shop, then one CLV run, whose commit queues segments.
    call_command("seed_demo", "--as-of", "2026-06-30", stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("recalculate_clv", "--as-of", "2026-06-29", stdout=StringIO())

    sizes = dict(
        CustomerSegment.objects.values_list("segment__code").annotate(n=Count("*")).order_by()
    )
    assert set(sizes) == {"new", "churned", "at_risk", "high_value", "low_value"}
    assert min(sizes.values()) >= 50
    assert sum(sizes.values()) == Customer.objects.count() == 3000


def test_moving_most_customers_keeps_the_rest_and_since_of_a_reason_change(on_postgres):
    # Four of six change (PostgreSQL rebuilds the table then, see assignments_write).
    c = {x.external_id: x for x in _customers(6)}
    run = _run()
    for i, customer in enumerate(c.values()):
        _score(customer, run, p_alive=0.3 if i == 3 else 0.9, predicted=str(100 * (i + 1)))
    segments_reassign(run_id=run.pk)
    first = dict(CustomerSegment.objects.values_list("customer__external_id", "since"))
    table = CustomerSegment._meta.db_table
    catalog = table_catalog(table) if on_postgres else None
    nxt = _run()
    for i, customer in enumerate(c.values()):
        churns, dropped = i < 3, i == 3
        _score(
            customer,
            nxt,
            p_alive=0.05 if churns else 0.9,
            predicted=str(100 * (i + 1)),
            last_90d="10" if dropped else "50",
        )

    outcome = segments_reassign(run_id=nxt.pk)

    assert (outcome.changed, outcome.transitions) == (4, 3)
    assert _reasons() == {
        "C-0": "churned_p_alive",
        "C-1": "churned_p_alive",
        "C-2": "churned_p_alive",
        "C-3": "at_risk_spend_drop",
        "C-4": "low_value",
        "C-5": "high_value",
    }
    rows = CustomerSegment.objects.values_list("customer__external_id", "since", "run_id")
    assert {x: (since == first[x], run_id) for x, since, run_id in rows} == {
        "C-0": (False, nxt.pk),
        "C-1": (False, nxt.pk),
        "C-2": (False, nxt.pk),
        "C-3": (True, nxt.pk),  # only the reason changed: still at risk since the first run
        "C-4": (True, run.pk),
        "C-5": (True, run.pk),
    }
    if on_postgres:
        assert table_catalog(table) == catalog
        assert [name for name, _ in catalog[0]] == [
            "customers_customersegment_pkey",
            "segment_member_idx",
        ]


def test_moving_customers_twice_in_one_run_is_refused_and_changes_nothing(on_postgres):
    _, run = _segmented(3)
    before = (_reasons(), list(SegmentTransition.objects.order_by("pk").values()))
    table = SegmentTransition._meta.db_table
    catalog = table_catalog(table) if on_postgres else None
    CustomerScore.objects.update(p_alive=0.05)  # the same run's scores, changed afterwards

    with pytest.raises(SegmentRunError, match=f"CLV run {run.pk} was segmented before"):
        segments_reassign(run_id=run.pk)

    assert (_reasons(), list(SegmentTransition.objects.order_by("pk").values())) == before
    if on_postgres:  # the bulk path dropped the unique constraint: it is back, unchanged
        assert table_catalog(table) == catalog
        assert "transition_once_per_run" in dict(catalog[1])


@pytest.mark.postgres
def test_a_segment_total_past_its_column_is_stored_at_the_largest():
    """10,001 members at the score column's largest predicted CLV sum past numeric(18, 2)."""
    run = ClvRun.objects.create(as_of=date(2025, 1, 1), status=ClvRun.Status.SUCCEEDED)
    segment = Segment.objects.create(kind=Segment.Kind.CUSTOM, code="whales", name="Whales")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_customer (external_id, email, first_name, last_name, phone,"
            " country, acquired_on, marketing_consent, created_at, updated_at)"
            " SELECT 'C' || n, '', '', '', '', '', '2024-01-01', false, now(), now()"
            " FROM generate_series(1, 10001) n"
        )
        cursor.execute(
            "INSERT INTO customers_customerscore (customer_id, run_id, frequency, recency_days,"
            " age_days, monetary, total_spent, first_purchase, last_purchase, historical_clv,"
            " predicted_clv, rfm_recency, rfm_frequency, rfm_monetary, rfm_score)"
            " SELECT id, %s, 1, 1, 1, 0, 0, '2024-01-01', '2024-01-02', 0, 999999999999.99,"
            " 5, 5, 5, '555' FROM customers_customer",
            [run.pk],
        )
        cursor.execute(
            "INSERT INTO customers_customsegmentmembership (segment_id, customer_id, run_id)"
            " SELECT %s, id, %s FROM customers_customer",
            [segment.pk, run.pk],
        )
        statistics_write(cursor, run_id=run.pk, segment_ids=[segment.pk])

    figures = SegmentStatistic.objects.get(run=run, segment=segment)
    assert (figures.customers, figures.total_predicted_clv, figures.average_predicted_clv) == (
        10001,
        Decimal("9999999999999999.99"),
        Decimal("999999999999.99"),
    )
