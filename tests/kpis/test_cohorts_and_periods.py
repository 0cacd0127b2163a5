"""Cohort matrices and month arithmetic against hand-computed examples."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from customers.kpis import (
    cohort_cumulative_revenue,
    cohort_retention,
    month_end,
    month_share,
    month_start,
    months_after,
    months_in,
    prorated,
)


def test_cohort_retention_matrix():
    # January: 4 customers, all order in January, 2 in February, 1 in March.
    # February: 5 customers, all order in February, 1 in March; April is not there yet.
    # March: nobody acquired.
    matrix = cohort_retention(
        sizes=[4, 5, 0],
        ordered=[[4, 2, 1], [5, 1, 0], [0, 0, 0]],
        observed=[3, 2, 1],
    )
    assert matrix == [
        [100.0, 50.0, 25.0],
        [100.0, 20.0, None],
        [None, None, None],
    ]


def test_cohort_retention_of_no_cohorts_is_empty():
    assert cohort_retention(sizes=[], ordered=[], observed=[]) == []


def test_cohort_cumulative_revenue_per_customer():
    # January's 4 customers bring 100, then 20, then 0; February's 5 bring 50 then 25.
    matrix = cohort_cumulative_revenue(
        sizes=[4, 5, 0],
        revenue=[[100.0, 20.0, 0.0], [50.0, 25.0, 0.0], [0.0, 0.0, 0.0]],
        observed=[3, 2, 1],
    )
    assert matrix == [
        [25.0, 30.0, 30.0],
        [10.0, 15.0, None],
        [None, None, None],
    ]


@pytest.mark.parametrize(
    ("sizes", "cells", "observed", "reason"),
    [
        ([2], [[3]], [1], "more customers ordered"),
        ([2, 1], [[1]], [1, 1], "expected sizes"),
        ([2], [[1]], [-1], "cannot be negative"),
        ([-2], [[0]], [1], "cannot be negative"),
    ],
)
def test_cohort_retention_refuses_impossible_counts(sizes, cells, observed, reason):
    with pytest.raises(ValueError, match=reason):
        cohort_retention(sizes, cells, observed)


def test_cumulative_revenue_refuses_negative_revenue():
    with pytest.raises(ValueError, match="cannot be negative"):
        cohort_cumulative_revenue([1], [[-5.0]], [1])


def test_months():
    assert month_start(date(2024, 2, 29)) == date(2024, 2, 1)
    assert month_end(date(2024, 2, 3)) == date(2024, 2, 29)
    assert month_end(date(2025, 2, 3)) == date(2025, 2, 28)
    assert months_in(date(2024, 11, 15), date(2025, 2, 1)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    assert months_in(date(2025, 3, 1), date(2025, 2, 1)) == []
    assert months_after(date(2024, 11, 30), date(2024, 11, 1)) == 0
    assert months_after(date(2024, 11, 30), date(2025, 1, 1)) == 2
    assert months_after(date(2024, 11, 30), date(2024, 10, 31)) == -1


def test_a_month_counts_by_its_days_inside_the_period():
    period = (date(2025, 1, 15), date(2025, 2, 14))
    assert month_share(date(2025, 1, 1), *period) == Fraction(17, 31)
    assert month_share(date(2025, 2, 1), *period) == Fraction(14, 28)
    assert month_share(date(2025, 3, 1), *period) == 0
    assert month_share(date(2025, 1, 1), date(2025, 1, 1), date(2025, 1, 31)) == 1
    assert month_share(date(2024, 12, 1), *period) == 0


def test_prorated_spend_is_exact_until_rounded():
    # 3,100 in January: 17 of its 31 days are 1,700; 1,000 in February 2025: half is 500.
    period = (date(2025, 1, 15), date(2025, 2, 14))
    assert prorated(Decimal("3100.00"), date(2025, 1, 1), *period) == Decimal("1700")
    assert prorated(Decimal("1000.00"), date(2025, 2, 1), *period) == Decimal("500")
    third = prorated(Decimal("100.00"), date(2025, 4, 1), date(2025, 4, 1), date(2025, 4, 10))
    assert third.quantize(Decimal("0.01")) == Decimal("33.33")
