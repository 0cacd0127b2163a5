"""A/B statistics for campaign results: pure numpy/scipy, no Django.

Counts and per-customer arrays in, frozen dataclasses out; every method names its source in
its module's docstring. Typical use, per variant against the holdout::

    rate = proportions_compare(conversions_t, assigned_t, conversions_h, assigned_h)
    revenue = means_compare(revenue_t, revenue_h, x_t=spend_before_t, x_c=spend_before_h)
    adjusted = holm_adjust([c.p_value for c in rates_of_every_variant])
    srm = sample_ratio_check(assigned_per_arm, configured_shares)
    decision = winner_choose(rates_of_every_variant, adjusted, sizes=..., minimum_per_arm=...)

Degenerate inputs (empty arms, a single customer, zero counts, no variance, all-zero revenue)
give defined values, flagged ``estimable=False`` where no interval exists; invalid input
(x > n, negative counts, shares not summing to 1) raises ValueError. No NaN comes out.
"""

from campaigns.statistics.bootstrap import bootstrap_interval
from campaigns.statistics.means import MeanComparison, cap_values, cuped_adjust, means_compare
from campaigns.statistics.multiple import holm_adjust
from campaigns.statistics.proportions import (
    ProportionComparison,
    newcombe_interval,
    pooled_z_p_value,
    proportions_compare,
    risk_ratio_log_interval,
    wilson_interval,
)
from campaigns.statistics.sample_ratio import SampleRatioCheck, sample_ratio_check
from campaigns.statistics.simulation import (
    Calibration,
    RevenueModel,
    simulate_means,
    simulate_proportions,
)
from campaigns.statistics.welch import WelchTest, welch_from_moments, welch_test
from campaigns.statistics.winner import WinnerDecision, winner_choose

__all__ = [
    "Calibration",
    "MeanComparison",
    "ProportionComparison",
    "RevenueModel",
    "SampleRatioCheck",
    "WelchTest",
    "WinnerDecision",
    "bootstrap_interval",
    "cap_values",
    "cuped_adjust",
    "holm_adjust",
    "means_compare",
    "newcombe_interval",
    "pooled_z_p_value",
    "proportions_compare",
    "risk_ratio_log_interval",
    "sample_ratio_check",
    "simulate_means",
    "simulate_proportions",
    "welch_from_moments",
    "welch_test",
    "wilson_interval",
    "winner_choose",
]
