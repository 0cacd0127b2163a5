"""The automatic winner: which variant new entrants get, or none (keep the default).

A variant wins only when the evidence says it is better than every alternative:

1. every arm (and the control, when its size is given) has at least ``minimum_per_arm``
   customers, so an early lead cannot crown a winner;
2. the leading arm (the largest estimated uplift against the control) beats the control:
   uplift above 0 and its Holm-adjusted p-value (Holm 1979, ``multiple.py``) below alpha;
3. it beats every other arm: the leader is compared with each of them directly (the pooled
   two-proportion z test, or Welch's t on the capped, adjusted values' moments), and these
   p-values, Holm-adjusted among themselves, are all below alpha.

Otherwise the winner is None and the reason says which condition failed, with its figures.
For revenue each arm's cap and CUPED theta come from its own comparison with the control;
with a common control both are nearly the same for every arm, so the direct comparison of
two variants from those moments is a close approximation of comparing their raw data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from campaigns.statistics._checks import check_count, check_level
from campaigns.statistics.means import MeanComparison
from campaigns.statistics.multiple import holm_adjust
from campaigns.statistics.proportions import ProportionComparison, pooled_z_p_value
from campaigns.statistics.welch import welch_from_moments

__all__ = ["WinnerDecision", "winner_choose"]

Comparison = ProportionComparison | MeanComparison


@dataclass(frozen=True)
class WinnerDecision:
    """winner: index of the winning arm in the comparisons given, or None (keep the default);
    reason: why this arm, or why none, in words for the page and the decision record.
    """

    winner: int | None
    reason: str


def winner_choose(
    comparisons: Sequence[Comparison],
    adjusted_p: Sequence[float],
    *,
    sizes: Sequence[int],
    minimum_per_arm: int,
    alpha: float = 0.05,
    names: Sequence[str] | None = None,
    control_name: str = "the holdout",
) -> WinnerDecision:
    """Choose the winning arm, or none, from each arm's comparison with the control.

    comparisons[i]: arm i (a variant) against the control (the holdout; without a holdout,
        the default variant), all of one kind (all proportions or all means).
    adjusted_p: the comparisons' p-values after ``holm_adjust``, in the same order.
    sizes: the customers per arm that count toward the minimum, same order (e.g. those
        whose attribution window has closed); one more value at the end is the control's,
        held to the same minimum. The tests between arms use the comparisons' own counts.
    minimum_per_arm: customers every arm needs before a winner may be chosen (>= 1).
    names, control_name: how the reason names the arms (default "arm 1", "arm 2", ...).
    Raises ValueError for inconsistent input (lengths, mixed kinds, p outside [0, 1]).
    """
    labels = _check(comparisons, adjusted_p, sizes, minimum_per_arm, names)
    alpha = check_level(alpha, "alpha")
    for label, size in zip([*labels, control_name], sizes, strict=False):
        if size < minimum_per_arm:
            return WinnerDecision(
                None,
                f"Not enough customers yet: {label} has {size:,} assigned, "
                f"the minimum per arm is {minimum_per_arm:,}.",
            )
    if not all(comparison.estimable for comparison in comparisons):
        return WinnerDecision(None, "An arm has too few customers to compare.")
    leader = max(range(len(comparisons)), key=lambda i: comparisons[i].absolute)
    best = comparisons[leader]
    if best.absolute <= 0.0 or adjusted_p[leader] >= alpha:
        return WinnerDecision(
            None,
            f"No variant beats {control_name} at the {alpha:g} level after correction: "
            f"the best, {labels[leader]}, has an adjusted p-value of {adjusted_p[leader]:.3g}.",
        )
    tied = [i for i, c in enumerate(comparisons) if c.absolute == best.absolute]
    if len(tied) > 1:
        return WinnerDecision(None, f"{' and '.join(labels[i] for i in tied)} are tied.")
    return _versus_others(comparisons, labels, leader, adjusted_p[leader], alpha, control_name)


def _versus_others(
    comparisons: Sequence[Comparison],
    labels: list[str],
    leader: int,
    leader_p: float,
    alpha: float,
    control_name: str,
) -> WinnerDecision:
    others = [i for i in range(len(comparisons)) if i != leader]
    pairwise = holm_adjust([_p_value(comparisons[leader], comparisons[i]) for i in others])
    beats_control = f"{labels[leader]} beats {control_name} (adjusted p = {leader_p:.3g})"
    for other, p_value in zip(others, pairwise, strict=True):
        if p_value >= alpha:
            return WinnerDecision(
                None,
                f"{beats_control} but not {labels[other]} "
                f"(adjusted p = {p_value:.3g}, at the {alpha:g} level).",
            )
    if not others:
        return WinnerDecision(leader, f"{beats_control} at the {alpha:g} level.")
    return WinnerDecision(
        leader,
        f"{beats_control} and every other variant (largest adjusted p = "
        f"{max(pairwise):.3g}) at the {alpha:g} level.",
    )


def _p_value(leader: Comparison, other: Comparison) -> float:
    """Two-sided p-value of the leading arm against another arm, from their summaries."""
    if isinstance(leader, ProportionComparison) and isinstance(other, ProportionComparison):
        return float(
            pooled_z_p_value(
                leader.treatment_successes,
                leader.treatment_size,
                other.treatment_successes,
                other.treatment_size,
            )
        )
    assert isinstance(leader, MeanComparison)
    assert isinstance(other, MeanComparison)
    welch = welch_from_moments(
        leader.treatment_adjusted_mean,
        leader.treatment_variance,
        leader.treatment_size,
        other.treatment_adjusted_mean,
        other.treatment_variance,
        other.treatment_size,
        confidence=0.95,
    )
    return float(welch.p_value)


def _check(
    comparisons: Sequence[Comparison],
    adjusted_p: Sequence[float],
    sizes: Sequence[int],
    minimum_per_arm: int,
    names: Sequence[str] | None,
) -> list[str]:
    """Validate the inputs; return the arms' labels."""
    arms = len(comparisons)
    if arms == 0:
        raise ValueError("no arm to choose from")
    kinds = {type(comparison) for comparison in comparisons}
    if len(kinds) != 1 or not kinds <= {ProportionComparison, MeanComparison}:
        raise ValueError("comparisons must all be ProportionComparison or all MeanComparison")
    if len(adjusted_p) != arms or len(sizes) not in (arms, arms + 1):
        raise ValueError("give one adjusted p-value per arm and one size per arm (+ control)")
    if not all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in adjusted_p):
        raise ValueError("adjusted p-values must be numbers in [0, 1]")
    for size in sizes:
        check_count(size, "size")
    if check_count(minimum_per_arm, "minimum_per_arm") < 1:
        raise ValueError("minimum_per_arm must be >= 1")
    if names is not None and len(names) != arms:
        raise ValueError("give one name per arm")
    return list(names) if names is not None else [f"arm {i + 1}" for i in range(arms)]
