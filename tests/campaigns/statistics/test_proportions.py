"""Two-proportion comparison against Newcombe (1998), Fagerland et al. (2015) and statsmodels."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from campaigns.statistics import ProportionComparison, proportions_compare

# Newcombe (1998), Table II, method 10 (hybrid score, no continuity correction), 95%.
# (a) and (b) are the paper's first two examples; (e)-(h) its zero-count ones.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]

# Counts compared with statsmodels: small, zero, full and large arms, unequal sizes.
CASES = [
    (56, 70, 48, 80),
    (9, 10, 3, 10),
    (6, 7, 2, 7),
    (7, 34, 1, 34),
    (0, 25, 3, 40),
    (5, 56, 0, 29),
    (10, 10, 7, 10),
    (1, 1, 0, 1),
    (412, 10_000, 371, 10_050),
    (2_310, 45_000, 480, 10_000),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_newcombe_interval_matches_the_paper(counts, published):
    result = proportions_compare(*counts)
    assert result.ci_low == pytest.approx(published[0], abs=5e-5)
    assert result.ci_high == pytest.approx(published[1], abs=5e-5)


def test_fagerland_lydersen_laake_2015_worked_example():
    # Perondi et al. (2004) as used by Fagerland, Lydersen & Laake (2015), "Recommended
    # confidence intervals for two independent binomial proportions", Tables: Newcombe
    # hybrid score 0.019 to 0.34; Katz log interval of the ratio 0.91 to 54.
    result = proportions_compare(7, 34, 1, 34)
    assert result.ci_low == pytest.approx(0.019, abs=5e-4)
    assert result.ci_high == pytest.approx(0.34, abs=5e-3)
    assert result.relative_ci_low == pytest.approx(0.91 - 1, abs=5e-3)
    assert result.relative_ci_high == pytest.approx(54 - 1, abs=0.5)


@pytest.mark.parametrize("counts", CASES)
@pytest.mark.parametrize("confidence", [0.95, 0.9, 0.99])
def test_difference_interval_agrees_with_statsmodels(counts, confidence):
    result = proportions_compare(*counts, confidence=confidence)
    low, high = confint_proportions_2indep(
        *counts, method="newcomb", compare="diff", alpha=1 - confidence
    )
    assert result.ci_low == pytest.approx(low, abs=1e-9)
    assert result.ci_high == pytest.approx(high, abs=1e-9)


@pytest.mark.parametrize("counts", [c for c in CASES if c[0] and c[2]])
@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_ratio_interval_agrees_with_statsmodels(counts, confidence):
    result = proportions_compare(*counts, confidence=confidence)
    low, high = confint_proportions_2indep(
        *counts, method="log", compare="ratio", alpha=1 - confidence
    )
    assert result.relative_ci_low == pytest.approx(low - 1, rel=1e-9, abs=1e-9)
    assert result.relative_ci_high == pytest.approx(high - 1, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("counts", [c for c in CASES if c[0] + c[2] < c[1] + c[3]])
def test_p_value_agrees_with_the_statsmodels_z_test(counts):
    x_t, n_t, x_c, n_c = counts
    _, p_value = proportions_ztest([x_t, x_c], [n_t, n_c])
    assert proportions_compare(*counts).p_value == pytest.approx(p_value, rel=1e-9, abs=1e-12)


def test_point_estimates_and_counts():
    result = proportions_compare(56, 70, 48, 80)
    assert (result.absolute, result.relative) == pytest.approx((0.2, 1 / 3), rel=1e-12)
    assert result == ProportionComparison(
        treatment_rate=0.8,
        control_rate=0.6,
        absolute=result.absolute,
        relative=result.relative,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        relative_ci_low=result.relative_ci_low,
        relative_ci_high=result.relative_ci_high,
        p_value=result.p_value,
        estimable=True,
        treatment_successes=56,
        treatment_size=70,
        control_successes=48,
        control_size=80,
    )


def test_no_conversion_anywhere_is_no_difference():
    result = proportions_compare(0, 500, 0, 400)
    assert (result.absolute, result.p_value, result.relative) == (0.0, 1.0, None)
    assert (result.relative_ci_low, result.relative_ci_high) == (None, None)
    assert result.ci_low < 0 < result.ci_high
    assert result.estimable


def test_everyone_converting_in_both_arms_is_no_difference():
    result = proportions_compare(30, 30, 20, 20)
    assert (result.absolute, result.p_value, result.relative) == (0.0, 1.0, 0.0)
    # The Katz variance is 0 here: the ratio's interval is the point 1.
    assert (result.relative_ci_low, result.relative_ci_high) == (0.0, 0.0)


def test_zero_treatment_conversions_give_a_relative_of_minus_one_without_interval():
    result = proportions_compare(0, 200, 10, 200)
    assert result.relative == -1.0
    assert (result.relative_ci_low, result.relative_ci_high) == (None, None)
    assert -1.0 <= result.ci_low < result.absolute == -0.05 < result.ci_high < 0


@pytest.mark.parametrize("counts", [(0, 0, 5, 10), (5, 10, 0, 0), (0, 0, 0, 0)])
def test_an_empty_arm_is_not_estimable(counts):
    result = proportions_compare(*counts)
    assert not result.estimable
    assert (result.absolute, result.ci_low, result.ci_high, result.p_value) == (0, -1, 1, 1)
    assert result.relative is None
    assert result.relative_ci_low is None


def test_single_customer_arms():
    result = proportions_compare(1, 1, 0, 1)
    assert result.estimable
    assert (result.absolute, result.relative) == (1.0, None)
    assert -1.0 <= result.ci_low < 0 < 1.0 == result.ci_high


def test_interval_stays_inside_minus_one_to_one():
    for counts in [(10, 10, 0, 10), (0, 3, 3, 3), (1, 1, 0, 1), (0, 1, 1, 1)]:
        result = proportions_compare(*counts)
        assert -1.0 <= result.ci_low <= result.absolute <= result.ci_high <= 1.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((11, 10, 1, 10), "exceed"),
        ((1, 10, 11, 10), "exceed"),
        ((-1, 10, 1, 10), ">= 0"),
        ((1, -10, 1, 10), ">= 0"),
        ((1.0, 10, 1, 10), "integer"),
        ((True, 10, 1, 10), "integer"),
        (("1", 10, 1, 10), "integer"),
    ],
)
def test_invalid_counts_raise(arguments, message):
    with pytest.raises(ValueError, match=message):
        proportions_compare(*arguments)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, float("nan"), True])
def test_invalid_confidence_raises(confidence):
    with pytest.raises(ValueError, match="confidence"):
        proportions_compare(1, 10, 1, 10, confidence=confidence)


@st.composite
def arm_counts(draw):
    n_t, n_c = draw(st.integers(1, 5_000)), draw(st.integers(1, 5_000))
    return draw(st.integers(0, n_t)), n_t, draw(st.integers(0, n_c)), n_c


@settings(max_examples=200, deadline=None)
@given(arm_counts())
def test_every_count_gives_an_ordered_finite_result(counts):
    result = proportions_compare(*counts)
    assert -1.0 <= result.ci_low <= result.absolute <= result.ci_high <= 1.0
    assert 0.0 <= result.p_value <= 1.0
    if result.relative_ci_low is not None:
        assert result.relative_ci_high is not None
        assert result.relative is not None
        assert -1.0 < result.relative_ci_low <= result.relative <= result.relative_ci_high
    low, high = confint_proportions_2indep(*counts, method="newcomb", compare="diff")
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=1e-9)
