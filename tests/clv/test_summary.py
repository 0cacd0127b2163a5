"""RFM summary: reproduces Hardie's CDNOW summary files and handles the edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from customers.clv import day_number, repeat_purchases_per_period, rfm_summary


def round_half_up(values: np.ndarray) -> np.ndarray:
    # The published files round halves up (22.345 -> 22.35), unlike numpy's round.
    return np.floor(values * 100.0 + 0.5 + 1e-9) / 100.0


def test_reproduces_cdnow_summary_file(cdnow_summary, cdnow_reference_plain):
    ref = cdnow_reference_plain
    s = cdnow_summary
    assert s.customer.size == 2357
    np.testing.assert_array_equal(s.customer, ref["ID"].astype(np.int64))
    np.testing.assert_array_equal(s.frequency, ref["frequency"])
    np.testing.assert_array_equal(round_half_up(s.recency), ref["recency"])
    np.testing.assert_array_equal(round_half_up(s.age), ref["T"])
    assert s.frequency.sum() == 2457
    assert s.time_unit == "W"
    assert s.end_day == day_number("1997-09-30")
    # T is measured to 1997-09-30 itself: a 1997-01-01 first purchase has T = 272/7.
    assert s.age[0] == pytest.approx(272 / 7, abs=1e-12)


def test_reproduces_cdnow_mean_repeat_spend(cdnow_summary, cdnow_reference):
    ref = cdnow_reference
    np.testing.assert_array_equal(cdnow_summary.frequency, ref["x"])
    np.testing.assert_array_equal(round_half_up(cdnow_summary.monetary), ref["zbar"])
    assert int((cdnow_summary.frequency > 0).sum()) == 946


def test_cdnow_holdout_and_totals(cdnow_summary):
    s = cdnow_summary
    assert s.holdout_frequency is not None
    assert s.holdout_value is not None
    assert s.holdout_frequency.sum() == 1882
    assert s.holdout_length == pytest.approx(39.0, abs=1e-12)
    np.testing.assert_array_equal(s.n_purchase_days, s.frequency + 1)
    # 6,696 customer-days in the whole sample; calibration + holdout must add up.
    assert s.n_purchase_days.sum() + s.holdout_frequency.sum() == 6696


def test_cdnow_weekly_repeat_purchases(cdnow_transactions):
    tx = cdnow_transactions
    weekly = repeat_purchases_per_period(tx.customer, tx.day, start="1997-01-01", n_periods=78)
    assert weekly.shape == (78,)
    assert weekly[:39].sum() == 2457  # weeks 1-39 end on 1997-09-30 (day 272)
    assert weekly[39:].sum() == 1882
    assert weekly.sum() == 4339


# A hand-made log: days since 1970-01-01 (day 100 is 1970-04-11).
CUSTOMER = np.array([7, 7, 7, 7, 3, 3, 9, 7, 5])
DAY = np.array([100, 100, 114, 135, 103, 103, 120, 160, 150])
VALUE = np.array([10.0, 5.0, 20.0, 40.0, 8.0, 2.0, 30.0, 99.0, 1.0])


def test_hand_example_days():
    s = rfm_summary(CUSTOMER, DAY, VALUE, as_of=142)
    # Customer 5 (day 150) and customer 7's day-160 purchase are after as_of.
    np.testing.assert_array_equal(s.customer, [3, 7, 9])
    np.testing.assert_array_equal(s.frequency, [0.0, 2.0, 0.0])  # same-day rows merge
    np.testing.assert_array_equal(s.recency, [0.0, 35.0, 0.0])
    np.testing.assert_array_equal(s.age, [39.0, 42.0, 22.0])
    np.testing.assert_array_equal(s.monetary, [0.0, 30.0, 0.0])  # (20 + 40) / 2
    np.testing.assert_array_equal(s.total_value, [10.0, 75.0, 30.0])
    np.testing.assert_array_equal(s.n_purchase_days, [1, 3, 1])
    np.testing.assert_array_equal(s.first_day, [103, 100, 120])
    np.testing.assert_array_equal(s.last_day, [103, 135, 120])
    assert s.holdout_frequency is None


def test_hand_example_weeks_and_datetimes_agree():
    days = rfm_summary(CUSTOMER, DAY, VALUE, as_of=142)
    dates = np.datetime64("1970-01-01") + DAY.astype("timedelta64[D]")
    weeks = rfm_summary(CUSTOMER, dates, VALUE, as_of=np.datetime64("1970-05-23"), time_unit="W")
    assert day_number("1970-05-23") == 142
    np.testing.assert_allclose(weeks.recency * 7, days.recency, rtol=0, atol=1e-12)
    np.testing.assert_allclose(weeks.age * 7, days.age, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(weeks.frequency, days.frequency)


def test_hand_example_calibration_and_holdout():
    s = rfm_summary(CUSTOMER, DAY, VALUE, as_of=200, calibration_end=114)
    # Customer 9 first bought on day 120 and customer 5 on day 150: not in calibration.
    np.testing.assert_array_equal(s.customer, [3, 7])
    np.testing.assert_array_equal(s.frequency, [0.0, 1.0])
    np.testing.assert_array_equal(s.recency, [0.0, 14.0])
    np.testing.assert_array_equal(s.age, [11.0, 14.0])
    np.testing.assert_array_equal(s.monetary, [0.0, 20.0])
    assert s.holdout_frequency is not None
    assert s.holdout_value is not None
    np.testing.assert_array_equal(s.holdout_frequency, [0.0, 2.0])  # days 135 and 160
    np.testing.assert_array_equal(s.holdout_value, [0.0, 139.0])
    assert s.holdout_length == 86.0


def test_hand_example_weekly_repeats():
    counts = repeat_purchases_per_period(CUSTOMER, DAY, start=100, n_periods=9, period_days=7)
    # Repeat days: customer 7 on 114 (period 2), 135 (period 5), 160 (period 8).
    np.testing.assert_array_equal(counts, [0, 0, 1, 0, 0, 1, 0, 0, 1])


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="time_unit"):
        rfm_summary(CUSTOMER, DAY, VALUE, as_of=142, time_unit="M")  # type: ignore[arg-type]  # the wrong unit on purpose
    with pytest.raises(ValueError, match="calibration_end"):
        rfm_summary(CUSTOMER, DAY, VALUE, as_of=142, calibration_end=150)
