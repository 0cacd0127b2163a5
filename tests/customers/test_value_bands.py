"""Predicted-CLV bands: the cut-offs of a run's top shares, computed once and stored."""

from decimal import Decimal

import pytest

from customers.clv_runs.value_bands import current_cut, customer_value
from customers.models import Customer, PredictedClvCut
from tests.customers.interaction_builders import customers_valued

pytestmark = pytest.mark.django_db

# Ten predicted values 10 … 100 and one customer the run predicted nothing for.
VALUES = [str(v) for v in range(10, 101, 10)]


def test_cut_offs_rank_the_predicted_customers_and_are_stored_once(django_assert_num_queries):
    customers = customers_valued([*VALUES, None])
    top = customers[9]  # predicted 100
    third = customers[7]  # predicted 80: not in the top 20 % (2 of 10), in the top 50 %

    # The first question: the read, then the count and one offset per share, the insert.
    with django_assert_num_queries(5):
        value = customer_value(customer_id=third.pk, percents=[20, 50])
    # Every later one: the read alone.
    with django_assert_num_queries(1):
        again = customer_value(customer_id=top.pk, percents=[50, 20])

    assert value is not None
    assert again is not None
    assert value.cuts == {20: Decimal("90.00"), 50: Decimal("60.00")}
    assert (value.predicted_clv, value.top_percent()) == (Decimal("80.00"), 50)
    assert (again.predicted_clv, again.top_percent()) == (Decimal("100.00"), 20)
    assert sorted(PredictedClvCut.objects.values_list("top_percent", "value", "customers")) == [
        (20, Decimal("90.00"), 10),
        (50, Decimal("60.00"), 10),
    ]


def test_customers_below_every_band_without_prediction_or_score():
    customers = customers_valued([*VALUES, None])
    unscored = Customer.objects.create(external_id="NEW")

    low = customer_value(customer_id=customers[0].pk, percents=[20, 50])
    unpredicted = customer_value(customer_id=customers[10].pk, percents=[20, 50])

    assert low is not None
    assert low.top_percent() is None
    assert unpredicted is not None
    assert unpredicted.predicted_clv is None
    assert unpredicted.top_percent() is None
    assert customer_value(customer_id=unscored.pk, percents=[20]) is None


def test_the_current_cut_of_a_share(django_assert_num_queries):
    assert current_cut(20) is None  # no scores at all
    customers_valued(VALUES)

    assert current_cut(10) == Decimal("100.00")
    with django_assert_num_queries(1):
        assert current_cut(10) == Decimal("100.00")
    assert current_cut(100) == Decimal("10.00")
    # 15 % of 10 customers is 1.5: the top 2 are in.
    assert current_cut(15) == Decimal("90.00")


def test_a_run_without_predictions_has_no_band():
    customers_valued([None, None])

    assert current_cut(20) is None
    assert PredictedClvCut.objects.get().value is None


@pytest.mark.parametrize("percents", [[0], [101], []])
def test_a_share_outside_one_to_a_hundred_is_a_programming_error(percents):
    with pytest.raises(ValueError, match="band percents must be 1 to 100"):
        customer_value(customer_id=1, percents=percents)
