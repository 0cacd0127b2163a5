"""CAC, CLV:CAC and payback per channel on a hand-built shop (tests/customers/marketing_shop.py)."""

from datetime import date
from decimal import Decimal

import pytest

from customers.marketing.selectors import ChannelAcquisition, acquisition_costs
from customers.models import ClvRun, CustomerScore
from tests.customers.marketing_shop import Q1, marketing_shop

pytestmark = pytest.mark.django_db


def _figures(row: ChannelAcquisition) -> tuple:
    return (
        row.spend,
        row.customers,
        row.valued_customers,
        row.average_value,
        row.cac,
        row.clv_to_cac,
        row.payback_months,
    )


def test_the_first_quarter_per_channel(django_assert_num_queries):
    marketing_shop()

    # The run, the channels, the spend, the customers grouped by channel.
    with django_assert_num_queries(4):
        costs = acquisition_costs(*Q1)

    rows = {row.channel.name: _figures(row) for row in costs.rows if row.channel is not None}
    assert list(rows) == ["Organic", "Paid search", "Referral", "Social"]
    # Paid search: 3,000 over P1 to P4 is 750; P4 came after the run's as-of day (not valued),
    # P3 has no score by then (0): (600 + 900 + 0) / 3 = 500; predicted (500 + 700 + 0) / 3
    # = 400 over 12 months is 33.33 a month: 750 / 33.33 = 22.5 months.
    assert rows["Paid search"] == (
        Decimal("3000.00"),
        4,
        3,
        Decimal("500.00"),
        Decimal("750.00"),
        500 / 750,
        22.5,
    )
    # Referral: 200 over 2 is 100; (1,200 + 600) / 2 = 900; predicted 1,400 / 2 / 12 a month.
    assert rows["Referral"] == (
        Decimal("200.00"),
        2,
        2,
        Decimal("900.00"),
        Decimal("100.00"),
        9.0,
        pytest.approx(100 / (1400 / 2 / 12), rel=1e-12),
    )
    # Spend and nobody acquired: shown, without a CAC.
    assert rows["Social"] == (Decimal("600.00"), 0, 0, None, None, None, None)
    # Customers and no spend entered: no CAC (unknown, not 0).
    assert rows["Organic"] == (None, 1, 1, Decimal("120.00"), None, None, None)
    assert costs.no_channel.channel is None
    assert _figures(costs.no_channel) == (None, 2, 2, Decimal("55.00"), None, None, None)
    # Blended: 3,800 over the 9 customers acquired; (1,500 + 1,800 + 120 + 110) / 8 valued.
    assert _figures(costs.total) == (
        Decimal("3800.00"),
        9,
        8,
        Decimal("441.25"),
        Decimal("422.22"),
        441.25 / 422.22,
        pytest.approx(422.22 / (2750 / 8 / 12), rel=1e-12),
    )
    assert costs.run is not None
    assert costs.run.as_of == date(2025, 3, 15)


def test_months_cut_by_the_period_count_by_their_days():
    marketing_shop()

    costs = acquisition_costs(date(2025, 1, 15), date(2025, 2, 14))

    spend = {row.channel.name: row.spend for row in costs.rows if row.channel is not None}
    # January's 17 of 31 days and half of February: 1,000 × 17/31 + 500 = 1,048.39.
    assert spend == {
        "Organic": None,
        "Paid search": Decimal("1048.39"),
        "Referral": Decimal("109.68"),
        "Social": Decimal("300.00"),
    }
    assert costs.total.spend == Decimal("1458.07")
    # P2 (10 February), P3 (1 February), O1 (2 February), N1 (20 January); R1 (5 January)
    # is outside.
    customers = {row.channel.name: row.customers for row in costs.rows if row.channel}
    assert customers == {"Organic": 1, "Paid search": 2, "Referral": 0, "Social": 0}
    assert costs.no_channel.customers == 1


def test_an_empty_period_shows_every_channel_with_nothing(django_assert_num_queries):
    marketing_shop()

    with django_assert_num_queries(4):
        costs = acquisition_costs(date(2030, 1, 1), date(2030, 1, 31))

    assert [_figures(row) for row in costs.rows] == [(None, 0, 0, None, None, None, None)] * 4
    assert _figures(costs.no_channel) == (None, 0, 0, None, None, None, None)
    assert _figures(costs.total) == (None, 0, 0, None, None, None, None)


def test_without_a_successful_run_nobody_is_valued():
    marketing_shop()
    # Scores come only from a successful run: none yet.
    CustomerScore.objects.all().delete()
    ClvRun.objects.update(status=ClvRun.Status.FAILED)

    costs = acquisition_costs(*Q1)

    paid = next(row for row in costs.rows if row.channel and row.channel.name == "Paid search")
    assert _figures(paid) == (Decimal("3000.00"), 4, 0, None, Decimal("750.00"), None, None)
    assert costs.run is None


def test_a_run_without_predictions_gives_no_value():
    shop = marketing_shop()
    ClvRun.objects.filter(pk=shop.run.pk).update(prediction_skipped="too few repeat buyers")

    costs = acquisition_costs(*Q1)

    assert _figures(costs.total)[3:] == (None, Decimal("422.22"), None, None)


def test_the_monthly_aggregates_give_the_same_table_for_whole_months(
    django_assert_num_queries,
):
    from customers.marketing.selectors import acquisition_costs_of_months
    from customers.services.kpis import kpi_aggregates_refresh

    marketing_shop()
    kpi_aggregates_refresh(as_of=date(2025, 3, 31))
    direct = acquisition_costs(*Q1)

    # The run, the channels, the spend, the months' aggregates grouped by channel.
    with django_assert_num_queries(4):
        aggregated = acquisition_costs_of_months(*Q1)

    assert [_figures(row) for row in aggregated.rows] == [_figures(row) for row in direct.rows]
    assert _figures(aggregated.no_channel) == _figures(direct.no_channel)
    assert _figures(aggregated.total) == _figures(direct.total)
    assert aggregated.rows[0].customers > 0
