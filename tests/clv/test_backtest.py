"""Back-test of BG/NBD on the CDNOW holdout period (1997-10-01..1998-06-30)."""

from __future__ import annotations

import numpy as np
import pytest

from customers.clv import backtest, fit_bgnbd, repeat_purchases_per_period


@pytest.fixture(scope="module")
def cdnow_backtest(cdnow_summary, cdnow_transactions):
    s = cdnow_summary
    tx = cdnow_transactions
    fit = fit_bgnbd(s.frequency, s.recency, s.age, time_unit="W")
    weekly = repeat_purchases_per_period(tx.customer, tx.day, start="1997-01-01", n_periods=78)
    assert s.holdout_frequency is not None
    assert s.holdout_length is not None
    return backtest(
        fit,
        s.frequency,
        s.recency,
        s.age,
        s.holdout_frequency,
        holdout_length=s.holdout_length,
        calibration_end=272 / 7,  # 1997-01-01 to 1997-09-30, in weeks
        actual_per_period=weekly,
    )


def test_holdout_totals(cdnow_backtest):
    bt = cdnow_backtest
    assert bt.actual_total == 1882
    assert bt.predicted_total == pytest.approx(1653, rel=0.01)
    assert bt.predicted_total == pytest.approx(1653.4087, abs=1e-3)
    np.testing.assert_allclose(bt.predicted.sum(), bt.predicted_total)


def test_customer_level_accuracy(cdnow_backtest):
    bt = cdnow_backtest
    assert bt.correlation == pytest.approx(0.626, abs=0.005)
    assert bt.correlation == pytest.approx(0.625647, abs=1e-5)
    assert bt.mean_absolute_error == pytest.approx(0.785454, abs=1e-5)
    assert bt.root_mean_squared_error == pytest.approx(1.607982, abs=1e-5)


def test_weekly_cumulative_tracking(cdnow_backtest):
    bt = cdnow_backtest
    assert bt.period_end.shape == bt.cumulative_predicted.shape == (78,)
    assert bt.cumulative_actual[38] == 2457
    assert bt.cumulative_actual[-1] == 4339
    assert bt.cumulative_predicted[-1] == pytest.approx(4339, rel=0.05)
    assert bt.cumulative_predicted[-1] == pytest.approx(4165.6638, abs=1e-3)
    assert bt.cumulative_predicted[38] == pytest.approx(2501.5262, abs=1e-3)
    assert np.all(np.diff(bt.cumulative_predicted) > 0)
    # Figure 2: the model tracks the calibration period within a few percent.
    assert bt.cumulative_predicted[38] == pytest.approx(2457, rel=0.02)
