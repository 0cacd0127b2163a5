"""RFM quintile scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from customers.clv import (
    quintile_breakpoints,
    quintile_scores,
    quintile_scores_at,
    rfm_breakpoints,
    rfm_scores,
)


def test_distinct_values_split_into_fifths():
    values = np.array([10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    np.testing.assert_array_equal(quintile_scores(values), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    np.testing.assert_array_equal(quintile_scores(values[::-1]), [5, 5, 4, 4, 3, 3, 2, 2, 1, 1])


def test_ties_share_the_average_rank_score():
    values = np.array([5.0, 5, 5, 5, 1, 2, 3, 4, 6, 7])
    # Ranks: 1->1, 2->2, 3->3, 4->4, the four 5s -> 6.5, 6->9, 7->10; ceil(5 r / 10).
    np.testing.assert_array_equal(quintile_scores(values), [4, 4, 4, 4, 1, 1, 2, 2, 5, 5])
    np.testing.assert_array_equal(quintile_scores(np.full(7, 3.0)), np.full(7, 3))


def test_scores_do_not_depend_on_order():
    rng = np.random.default_rng(5)
    values = rng.integers(0, 6, 101).astype(np.float64)  # many ties
    perm = rng.permutation(values.size)
    np.testing.assert_array_equal(quintile_scores(values)[perm], quintile_scores(values[perm]))


def test_rfm_scores_hand_example():
    days_since = np.array([1.0, 400, 30, 30, 90])
    frequency = np.array([10.0, 1, 3, 2, 3])
    monetary = np.array([500.0, 20, 80, 80, 300])
    s = rfm_scores(days_since, frequency, monetary)
    # Recency: fewest days = 5; the two 30s tie at rank 3.5 -> ceil(3.5) = 4.
    np.testing.assert_array_equal(s.recency, [5, 1, 4, 4, 2])
    np.testing.assert_array_equal(s.frequency, [5, 1, 4, 2, 4])
    np.testing.assert_array_equal(s.monetary, [5, 1, 3, 3, 4])
    np.testing.assert_array_equal(s.combined, [555, 111, 443, 423, 244])
    assert s.combined.dtype == np.int64


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="finite"):
        quintile_scores([1.0, np.nan])
    with pytest.raises(ValueError, match="same length"):
        rfm_scores([1.0, 2.0], [1.0], [1.0, 2.0])
    assert quintile_scores([]).shape == (0,)


def test_average_ranks_match_scipy() -> None:
    from scipy.stats import rankdata

    from customers.clv.rfm import average_ranks

    values = np.random.default_rng(4).integers(0, 50, 5000).astype(np.float64)
    np.testing.assert_array_equal(average_ranks(values), rankdata(values, method="average"))


def test_breakpoints_are_the_largest_value_of_each_score():
    values = np.array([5.0, 5, 5, 5, 1, 2, 3, 4, 6, 7])
    # Scores as in test_ties_share_the_average_rank_score: 1,2 -> 1; 3,4 -> 2; 5 -> 4.
    np.testing.assert_array_equal(quintile_breakpoints(values), [2.0, 4.0, 4.0, 5.0])
    # Four equal values share rank 2.5: all score ceil(5 * 2.5 / 4) = 4, none 3 or less.
    np.testing.assert_array_equal(
        quintile_breakpoints(np.full(4, 3.0)), [-np.inf, -np.inf, -np.inf, 3.0]
    )
    np.testing.assert_array_equal(quintile_breakpoints([]), np.full(4, -np.inf))


@settings(max_examples=200, deadline=None)
@given(
    values=arrays(np.float64, st.integers(1, 300), elements=st.integers(-20, 20).map(float)),
    data=st.data(),
)
def test_any_part_scored_with_the_whole_breakpoints_matches_scoring_the_whole(values, data):
    """What lets customer-id ranges be scored on separate workers."""
    part = data.draw(arrays(np.bool_, values.size))
    whole = quintile_scores(values)
    np.testing.assert_array_equal(
        quintile_scores_at(values[part], quintile_breakpoints(values)), whole[part]
    )


def test_rfm_scores_of_a_part_with_the_whole_breakpoints():
    rng = np.random.default_rng(8)
    days, freq, money = rng.integers(0, 400, 1000), rng.integers(1, 9, 1000), rng.gamma(2, 30, 1000)
    whole = rfm_scores(days, freq, money)
    cuts = rfm_breakpoints(days, freq, money)
    part = slice(100, 350)
    scored = rfm_scores(days[part], freq[part], money[part], breakpoints=cuts)
    np.testing.assert_array_equal(scored.combined, whole.combined[part])
    with pytest.raises(ValueError, match="shape"):
        quintile_scores_at([1.0], [1.0, 2.0])
