"""The dashboard's aggregates on a hand-built shop: every month, lapse and cohort cell."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import (
    AcquisitionChannel,
    ClvRun,
    Customer,
    KpiCohort,
    KpiLapse,
    KpiMonth,
    KpiRefresh,
    KpiRunSummary,
    Order,
)
from customers.services.kpis import kpi_aggregates_refresh
from tests.customers.kpi_shop import AS_OF, WINDOW_MONTHS, kpi_shop
from tests.factories import score_of

pytestmark = pytest.mark.django_db

MONTH_COLUMNS = (
    "month",
    "new_customers",
    "ordering_customers",
    "repeat_customers",
    "orders",
    "revenue",
    "buyers_to_date",
    "repeat_buyers_to_date",
    "customers_at_end",
    "lost",
)


def _months(channel: AcquisitionChannel | None) -> list[tuple]:
    return list(
        KpiMonth.objects.filter(channel=channel).order_by("month").values_list(*MONTH_COLUMNS)
    )


def _m(month: int) -> date:
    return date(2025, month, 1)


@pytest.fixture
def window(settings) -> int:
    settings.KPI_CUSTOMER_WINDOW_MONTHS = WINDOW_MONTHS
    return WINDOW_MONTHS


def test_months_per_channel_with_the_active_base_and_lapses(window):
    paid = kpi_shop()

    refresh = kpi_aggregates_refresh(as_of=AS_OF, trigger="test")

    assert (refresh.as_of, refresh.window_months, refresh.trigger) == (AS_OF, 3, "test")
    d = Decimal
    # month, new, ordering, repeat, orders, revenue, buyers, repeat buyers, base, lost
    assert _months(paid) == [
        (_m(1), 1, 1, 1, 2, d("150.00"), 1, 1, 1, 0),  # A's two January orders
        (_m(2), 1, 1, 0, 1, d("180.00"), 2, 1, 2, 0),  # B: 200 less 20 refunded
        (_m(3), 0, 0, 0, 0, d("0.00"), 2, 1, 2, 0),  # B's cancelled order counts nothing
        (_m(4), 0, 1, 1, 1, d("30.00"), 2, 1, 2, 0),  # A again: still a customer
        (_m(5), 0, 0, 0, 0, d("0.00"), 2, 1, 1, 1),  # B's 3 months ran out
        (_m(6), 1, 1, 0, 1, d("10.00"), 3, 1, 2, 0),  # E
    ]
    assert _months(None) == [
        (_m(1), 0, 0, 0, 0, d("0.00"), 0, 0, 0, 0),
        (_m(2), 0, 0, 0, 0, d("0.00"), 0, 0, 0, 0),
        (_m(3), 2, 1, 0, 1, d("40.00"), 1, 0, 1, 0),  # C signed up, D ordered
        (_m(4), 0, 0, 0, 0, d("0.00"), 1, 0, 1, 0),
        (_m(5), 0, 0, 0, 0, d("0.00"), 1, 0, 1, 0),
        (_m(6), 0, 0, 0, 0, d("0.00"), 1, 0, 0, 1),  # D lapsed; July's order is after as-of
    ]
    assert set(
        KpiLapse.objects.values_list("month", "since", "returned", "channel", "customers")
    ) == {
        (_m(5), _m(2), None, paid.pk, 1),
        (_m(6), _m(3), None, None, 1),
    }


def test_cohorts_count_each_customer_once_a_month_from_the_acquisition_month(window):
    kpi_shop()

    kpi_aggregates_refresh(as_of=AS_OF)

    cells = {
        (c.cohort.month, c.months_since): (c.size, c.ordering_customers, c.revenue)
        for c in KpiCohort.objects.all()
    }
    zero = Decimal("0.00")
    assert cells == {
        **{(1, k): (1, 0, zero) for k in range(6)},
        (1, 0): (1, 1, Decimal("150.00")),
        (1, 3): (1, 1, Decimal("30.00")),
        **{(2, k): (1, 0, zero) for k in range(5)},
        (2, 0): (1, 1, Decimal("180.00")),
        **{(3, k): (2, 0, zero) for k in range(4)},
        (3, 0): (2, 1, Decimal("40.00")),
        (6, 0): (1, 1, Decimal("10.00")),
    }


def test_a_customer_who_comes_back_lapses_once_with_the_month_of_their_return(window):
    customer = Customer.objects.create(external_id="F", acquired_on=date(2025, 1, 10))
    for number, day in enumerate(("2025-01-10", "2025-05-03")):
        Order.objects.create(
            external_id=f"F{number}",
            customer=customer,
            placed_at=timezone.make_aware(datetime.fromisoformat(f"{day}T09:00:00")),
            total=Decimal("20.00"),
            currency="USD",
        )

    kpi_aggregates_refresh(as_of=AS_OF)

    bases = [row[-2] for row in _months(None)]
    assert bases == [1, 1, 1, 0, 1, 1]  # out at April's end, back in May
    assert list(KpiLapse.objects.values_list("month", "since", "returned", "customers")) == [
        (_m(4), _m(1), _m(5), 1)
    ]


def test_the_window_is_a_setting(settings):
    settings.KPI_CUSTOMER_WINDOW_MONTHS = 12
    kpi_shop()

    kpi_aggregates_refresh(as_of=AS_OF)

    # Nobody's twelve months ran out by June: A, B, D and E are all customers at its end.
    assert (
        KpiMonth.objects.filter(month=_m(6)).values_list("customers_at_end", flat=True).count() == 2
    )
    assert sum(KpiMonth.objects.filter(month=_m(6)).values_list("customers_at_end", flat=True)) == 4
    assert not KpiLapse.objects.exists()


def test_a_refresh_replaces_the_tables_and_an_empty_shop_has_no_rows(window):
    kpi_shop()
    kpi_aggregates_refresh(as_of=AS_OF)
    Order.objects.all().delete()
    Customer.objects.all().delete()

    kpi_aggregates_refresh(as_of=AS_OF)

    assert (KpiMonth.objects.count(), KpiLapse.objects.count(), KpiCohort.objects.count()) == (
        0,
        0,
        0,
    )
    assert KpiRefresh.objects.count() == 2


def test_the_latest_runs_summary_is_written_once(window):
    kpi_shop()
    run = ClvRun.objects.create(
        as_of=AS_OF, status=ClvRun.Status.SUCCEEDED, r=1.0, customers=3, finished_at=timezone.now()
    )
    a, b, e = (Customer.objects.get(external_id=name) for name in "ABE")
    score_of(a, run, p_alive=0.9, predicted_clv=Decimal("100.00"), historical_clv=Decimal("180.00"))
    score_of(b, run, p_alive=0.5, predicted_clv=Decimal("20.00"), historical_clv=Decimal("180.00"))
    score_of(e, run, p_alive=0.2, predicted_clv=Decimal("5.00"), historical_clv=Decimal("10.00"))

    kpi_aggregates_refresh(as_of=AS_OF)

    summary = KpiRunSummary.objects.get()
    assert (
        summary.run_id,
        summary.scored_customers,
        summary.active_customers,  # P(alive) 0.9 and 0.5
        summary.average_historical_clv,
        summary.average_predicted_clv,
        summary.total_predicted_clv,
    ) == (run.pk, 3, 2, Decimal("123.33"), Decimal("41.67"), Decimal("125.00"))
    assert sum(summary.histogram["counts"]) + summary.histogram["overflow"] == 3
    written = summary.computed_at

    kpi_aggregates_refresh(as_of=AS_OF)

    assert KpiRunSummary.objects.get().computed_at == written
