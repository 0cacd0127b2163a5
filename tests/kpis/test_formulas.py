"""The KPI formulas against hand-computed examples, empty periods and zero denominators."""

from decimal import Decimal

import pytest

from customers.kpis import (
    churn_rate,
    clv_to_cac_ratio,
    customer_acquisition_cost,
    customer_retention_rate,
    payback_months,
    repeat_purchase_rate,
)


def test_retention_rate_is_the_customers_kept_over_those_at_the_start():
    # 200 at the start, 230 at the end of whom 50 are new: 180 of the 200 stayed, 90 %.
    rate = customer_retention_rate(customers_at_start=200, customers_at_end=230, new_customers=50)
    assert rate == 90.0


def test_retention_and_churn_add_up_to_a_hundred():
    # The same shop: 20 of the 200 left.
    churn = churn_rate(lost=20, customers_at_start=200)
    kept = customer_retention_rate(customers_at_start=200, customers_at_end=230, new_customers=50)
    assert churn == 10.0
    assert kept is not None
    assert kept + churn == 100.0


def test_retention_keeps_an_exact_third():
    rate = customer_retention_rate(customers_at_start=3, customers_at_end=1, new_customers=0)
    assert rate == 100 / 3


def test_an_empty_period_has_no_retention_and_no_churn():
    assert (
        customer_retention_rate(customers_at_start=0, customers_at_end=0, new_customers=0) is None
    )
    # A shop that opened in the period: everybody is new, nobody was there to keep.
    assert (
        customer_retention_rate(customers_at_start=0, customers_at_end=40, new_customers=40) is None
    )
    assert churn_rate(lost=0, customers_at_start=0) is None


def test_repeat_purchase_rate():
    assert repeat_purchase_rate(repeat_customers=3, customers=8) == 37.5
    assert repeat_purchase_rate(repeat_customers=0, customers=8) == 0.0
    assert repeat_purchase_rate(repeat_customers=0, customers=0) is None


def test_cac_is_spend_over_customers_acquired_rounded_half_up_to_cents():
    assert customer_acquisition_cost(spend=Decimal("1000.00"), customers_acquired=8) == Decimal(
        "125.00"
    )
    # 100 / 3 = 33.333… → 33.33; 0.05 / 2 = 0.025 → 0.03 (half up, not half even).
    assert customer_acquisition_cost(spend=Decimal("100.00"), customers_acquired=3) == Decimal(
        "33.33"
    )
    assert customer_acquisition_cost(spend=Decimal("0.05"), customers_acquired=2) == Decimal("0.03")


def test_cac_of_a_channel_with_spend_and_no_customers_is_none():
    assert customer_acquisition_cost(spend=Decimal("500.00"), customers_acquired=0) is None


def test_cac_of_a_channel_without_spend():
    # No spend recorded: unknown. A recorded 0 (organic): the customers cost nothing.
    assert customer_acquisition_cost(spend=None, customers_acquired=12) is None
    assert customer_acquisition_cost(spend=Decimal("0.00"), customers_acquired=12) == Decimal(
        "0.00"
    )


def test_clv_to_cac():
    assert clv_to_cac_ratio(clv=Decimal("375.00"), cac=Decimal("125.00")) == 3.0
    assert clv_to_cac_ratio(clv=Decimal("50.00"), cac=Decimal("125.00")) == 0.4
    assert clv_to_cac_ratio(clv=80.0, cac=Decimal("20.00")) == 4.0


def test_clv_to_cac_is_none_without_a_finite_ratio():
    assert clv_to_cac_ratio(clv=Decimal("375.00"), cac=None) is None
    assert clv_to_cac_ratio(clv=None, cac=Decimal("125.00")) is None
    assert clv_to_cac_ratio(clv=Decimal("375.00"), cac=Decimal("0.00")) is None


def test_payback_months_is_cac_over_the_monthly_margin():
    # CAC 125, a customer brings 25 of margin a month: paid back after 5 months.
    assert payback_months(cac=Decimal("125.00"), monthly_margin=Decimal("25.00")) == 5.0
    assert payback_months(cac=Decimal("10.00"), monthly_margin=4.0) == 2.5
    assert payback_months(cac=Decimal("0.00"), monthly_margin=Decimal("25.00")) == 0.0


def test_payback_never_comes_without_margin():
    assert payback_months(cac=Decimal("125.00"), monthly_margin=Decimal("0")) is None
    assert payback_months(cac=Decimal("125.00"), monthly_margin=None) is None
    assert payback_months(cac=None, monthly_margin=Decimal("25.00")) is None


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (
            lambda: customer_retention_rate(
                customers_at_start=-1, customers_at_end=0, new_customers=0
            ),
            "cannot be negative",
        ),
        (lambda: churn_rate(lost=3, customers_at_start=2), "more customers lost"),
        (lambda: repeat_purchase_rate(repeat_customers=5, customers=4), "more repeat customers"),
        (
            lambda: customer_acquisition_cost(spend=Decimal("-1"), customers_acquired=1),
            "spend cannot be negative",
        ),
        (
            lambda: customer_acquisition_cost(spend=Decimal("1"), customers_acquired=-1),
            "cannot be negative",
        ),
        (lambda: payback_months(cac=Decimal("-1"), monthly_margin=1.0), "CAC cannot be negative"),
    ],
)
def test_impossible_inputs_are_refused(call, reason):
    with pytest.raises(ValueError, match=reason):
        call()
