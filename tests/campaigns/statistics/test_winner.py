"""The automatic winner: a variant wins only with enough customers and evidence against all."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from campaigns.statistics import (
    WinnerDecision,
    holm_adjust,
    means_compare,
    proportions_compare,
    winner_choose,
)

HOLDOUT = (100, 2_000)  # 5% convert


def decide(arms, *, minimum=1_000, alpha=0.05, control=HOLDOUT, **kwargs):
    """Each arm (conversions, assigned) against the holdout, Holm-adjusted, then the winner."""
    comparisons = [proportions_compare(x, n, *control) for x, n in arms]
    adjusted = holm_adjust([c.p_value for c in comparisons])
    sizes = [n for _, n in arms] + [control[1]]
    return winner_choose(
        comparisons, adjusted, sizes=sizes, minimum_per_arm=minimum, alpha=alpha, **kwargs
    )


def test_one_variant_beating_the_holdout_wins():
    decision = decide([(160, 2_000)])
    p_value = proportions_compare(160, 2_000, *HOLDOUT).p_value
    assert decision == WinnerDecision(
        0, f"arm 1 beats the holdout (adjusted p = {p_value:.3g}) at the 0.05 level."
    )


def test_a_clear_leader_beats_the_holdout_and_the_null_variant():
    decision = decide([(102, 2_000), (170, 2_000)], names=["Plain", "Discount"])
    assert decision.winner == 1
    assert decision.reason.startswith("Discount beats the holdout (adjusted p = ")
    assert "and every other variant (largest adjusted p = " in decision.reason


def test_a_leader_that_does_not_beat_the_runner_up_does_not_win():
    decision = decide([(160, 2_000), (170, 2_000)])
    pairwise = stats.chi2_contingency([[170, 1_830], [160, 1_840]], correction=False).pvalue
    assert decision.winner is None
    assert decision.reason.startswith("arm 2 beats the holdout (adjusted p = ")
    assert decision.reason.endswith(
        f"but not arm 1 (adjusted p = {pairwise:.3g}, at the 0.05 level)."
    )


def test_pairwise_p_values_are_holm_adjusted_among_the_other_arms():
    # Against each of two weak arms the leader has p around 0.03: below 0.05 alone, not
    # after Holm's doubling of the smallest.
    arms = [(1_000, 10_000), (1_000, 10_000), (1_095, 10_000)]
    raw = proportions_compare(1_095, 10_000, 1_000, 10_000).p_value
    assert 0.025 < raw < 0.05
    decision = decide(arms, control=(800, 10_000))
    assert decision.winner is None
    assert f"but not arm 1 (adjusted p = {2 * raw:.3g}" in decision.reason


def test_no_variant_significant_against_the_holdout():
    decision = decide([(110, 2_000), (118, 2_000)])
    adjusted = holm_adjust([proportions_compare(x, 2_000, *HOLDOUT).p_value for x in (110, 118)])
    assert decision == WinnerDecision(
        None,
        "No variant beats the holdout at the 0.05 level after correction: the best, arm 2, "
        f"has an adjusted p-value of {adjusted[1]:.3g}.",
    )


def test_a_variant_significantly_worse_than_the_holdout_never_wins():
    decision = decide([(40, 2_000)])
    assert decision.winner is None
    assert decision.reason.startswith("No variant beats the holdout")


def test_too_few_customers_in_an_arm_or_the_holdout():
    assert decide([(160, 2_000), (90, 999)]) == WinnerDecision(
        None, "Not enough customers yet: arm 2 has 999 assigned, the minimum per arm is 1,000."
    )
    assert decide([(160, 2_000)], control=(40, 800)) == WinnerDecision(
        None,
        "Not enough customers yet: the holdout has 800 assigned, the minimum per arm is 1,000.",
    )


def test_sizes_may_leave_the_control_out():
    comparison = proportions_compare(160, 2_000, 5, 200)
    decision = winner_choose(
        [comparison], [comparison.p_value], sizes=[2_000], minimum_per_arm=1_000
    )
    assert decision.winner == 0


def test_tied_leaders():
    decision = decide([(170, 2_000), (170, 2_000)])
    assert decision == WinnerDecision(None, "arm 1 and arm 2 are tied.")


def test_a_stricter_alpha():
    decision = decide([(130, 2_000)], alpha=0.01)
    assert decision.winner is None
    assert "at the 0.01 level" in decision.reason


def test_revenue_winner_from_mean_comparisons():
    rng = np.random.default_rng(21)

    def arm(buy_rate, n=4_000):
        return np.where(rng.random(n) < buy_rate, rng.lognormal(3.5, 1.0, n), 0.0)

    holdout = arm(0.05)
    comparisons = [means_compare(arm(rate), holdout) for rate in (0.05, 0.09)]
    adjusted = holm_adjust([c.p_value for c in comparisons])
    decision = winner_choose(
        comparisons, adjusted, sizes=[4_000, 4_000, 4_000], minimum_per_arm=3_000
    )
    assert decision.winner == 1
    # A variant as good as the holdout: no winner.
    null = [comparisons[0]]
    assert (
        winner_choose(null, [comparisons[0].p_value], sizes=[4_000], minimum_per_arm=1).winner
        is None
    )


def test_an_arm_that_cannot_be_compared():
    empty = proportions_compare(0, 0, *HOLDOUT)
    decision = winner_choose([empty], [1.0], sizes=[0], minimum_per_arm=1)
    assert decision.winner is None  # below the minimum first
    decision = winner_choose([empty], [1.0], sizes=[5], minimum_per_arm=1)
    assert decision == WinnerDecision(None, "An arm has too few customers to compare.")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"adjusted_p": [0.01]}, "one adjusted p-value per arm"),
        ({"sizes": [2_000]}, "one size per arm"),
        ({"sizes": [2_000, 2_000, 2_000, 2_000]}, "one size per arm"),
        ({"adjusted_p": [0.01, 1.2]}, r"\[0, 1\]"),
        ({"sizes": [2_000, -1]}, ">= 0"),
        ({"minimum_per_arm": 0}, "minimum_per_arm"),
        ({"alpha": 1.0}, "alpha"),
        ({"names": ["only one"]}, "one name per arm"),
        ({"comparisons": []}, "no arm"),
    ],
)
def test_invalid_input_raises(change, message):
    comparisons = [
        proportions_compare(160, 2_000, *HOLDOUT),
        proportions_compare(90, 2_000, *HOLDOUT),
    ]
    arguments = {
        "comparisons": comparisons,
        "adjusted_p": [0.01, 0.5],
        "sizes": [2_000, 2_000],
        "minimum_per_arm": 100,
        **change,
    }
    with pytest.raises(ValueError, match=message):
        winner_choose(arguments.pop("comparisons"), arguments.pop("adjusted_p"), **arguments)


def test_mixed_kinds_raise():
    rate = proportions_compare(160, 2_000, *HOLDOUT)
    revenue = means_compare(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="all be ProportionComparison or all MeanComparison"):
        winner_choose([rate, revenue], [0.01, 0.01], sizes=[3, 3], minimum_per_arm=1)
