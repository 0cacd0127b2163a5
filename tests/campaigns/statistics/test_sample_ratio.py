"""The sample-ratio check against scipy's ``chisquare``, and the broken split it must catch."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from campaigns.statistics import SampleRatioCheck, sample_ratio_check


@pytest.mark.parametrize(
    ("observed", "shares"),
    [
        ([500, 500], [0.5, 0.5]),
        ([530, 470], [0.5, 0.5]),
        ([4_410, 4_580, 1_010], [0.45, 0.45, 0.1]),
        ([30_120, 29_700, 20_050, 20_130], [0.3, 0.3, 0.2, 0.2]),
        ([7, 2, 1], [0.6, 0.3, 0.1]),
    ],
)
def test_agrees_with_scipy_chisquare(observed, shares):
    total = sum(observed)
    reference = stats.chisquare(observed, [total * share for share in shares])
    result = sample_ratio_check(observed, shares)
    assert result.chi2 == pytest.approx(reference.statistic, rel=1e-12, abs=1e-12)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-15)


def test_a_60_40_split_of_a_50_50_campaign_is_a_mismatch():
    result = sample_ratio_check([600, 400], [0.5, 0.5])
    assert result.mismatch
    assert result.chi2 == pytest.approx(40.0)
    assert result.p_value < 1e-9


def test_a_balanced_split_is_no_mismatch():
    assert sample_ratio_check([500, 500], [0.5, 0.5]) == SampleRatioCheck(0.0, 1.0, False)
    assert not sample_ratio_check([4_480, 4_530, 990], [0.45, 0.45, 0.1]).mismatch


def test_alpha_sets_the_threshold():
    # chi2 = 4 on 1 degree of freedom: p = 0.0455.
    assert not sample_ratio_check([550, 450], [0.5, 0.5]).mismatch
    assert sample_ratio_check([550, 450], [0.5, 0.5], alpha=0.05).mismatch


def test_no_customer_yet():
    assert sample_ratio_check([0, 0, 0], [0.4, 0.4, 0.2]) == SampleRatioCheck(0.0, 1.0, False)


def test_arms_with_share_zero():
    # A paused variant (weight 0) without customers is left out ...
    with_paused = sample_ratio_check([530, 470, 0], [0.5, 0.5, 0.0])
    assert with_paused == sample_ratio_check([530, 470], [0.5, 0.5])
    # ... one with customers is a broken assignment outright.
    assert sample_ratio_check([500, 480, 20], [0.5, 0.5, 0.0]) == SampleRatioCheck(
        math.inf, 0.0, True
    )


@pytest.mark.parametrize(
    ("observed", "shares", "message"),
    [
        ([500, 500], [0.5, 0.4], "sum to 1"),
        ([500, 500], [0.6, 0.6], "sum to 1"),
        ([500, 500], [0.5], "one expected share per arm"),
        ([500], [1.0], "at least two arms"),
        ([500, -1], [0.5, 0.5], ">= 0"),
        ([500, 1.5], [0.5, 0.5], "integer"),
        ([500, 500], [1.5, -0.5], ">= 0"),
        ([500, 500], [float("nan"), 0.5], "finite"),
        ([500, 500], ["0.5", 0.5], "numbers"),
    ],
)
def test_invalid_input_raises(observed, shares, message):
    with pytest.raises(ValueError, match=message):
        sample_ratio_check(observed, shares)


def test_invalid_alpha_raises():
    with pytest.raises(ValueError, match="alpha"):
        sample_ratio_check([1, 1], [0.5, 0.5], alpha=0.0)
