"""Sample-ratio mismatch: do the assigned counts fit the configured split?

Pearson's chi-square goodness-of-fit test of the arms' assigned counts against the expected
shares (the variants' weights and the holdout share), as recommended for A/B tests by
Fabijan, Gupchup, Gupta, Omhover, Qin, Vermeer & Dmitriev (2019), "Diagnosing sample ratio
mismatch in online controlled experiments: a taxonomy and rules of thumb for practitioners",
KDD. A mismatch means the assignment or the data is broken, so no result of the campaign can
be trusted; the default alpha of 0.001 is strict because the check runs on every campaign,
every time results are computed (scipy ``chisquare``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy import stats

from campaigns.statistics._checks import check_count, check_level

__all__ = ["SampleRatioCheck", "sample_ratio_check"]

_SHARES_TOLERANCE = 1e-6


@dataclass(frozen=True)
class SampleRatioCheck:
    """chi2: Pearson's statistic (inf when an arm with share 0 has customers);
    p_value: its upper tail with (arms with a positive share - 1) degrees of freedom;
    mismatch: p_value < alpha.
    """

    chi2: float
    p_value: float
    mismatch: bool


def sample_ratio_check(
    observed: Sequence[int], expected_shares: Sequence[float], *, alpha: float = 0.001
) -> SampleRatioCheck:
    """Chi-square test of the arms' assigned counts against their expected shares.

    observed: assigned customers per arm (ints >= 0); expected_shares: each arm's share of
    assignments (>= 0, summing to 1 within 1e-6), in the same order. Arms with share 0 and
    no customer are left out; an arm with share 0 and customers is a mismatch outright. No
    customer at all: chi2 0, p 1, no mismatch. Raises ValueError for invalid input.
    """
    counts = [check_count(count, "observed count") for count in observed]
    shares = [_share(share) for share in expected_shares]
    alpha = check_level(alpha, "alpha")
    if len(counts) != len(shares) or len(counts) < 2:
        raise ValueError("give one expected share per arm, for at least two arms")
    if abs(math.fsum(shares) - 1.0) > _SHARES_TOLERANCE:
        raise ValueError(f"expected shares must sum to 1, got {math.fsum(shares)}")
    total = sum(counts)
    if total == 0:
        return SampleRatioCheck(0.0, 1.0, False)
    if any(count > 0 and share == 0.0 for count, share in zip(counts, shares, strict=True)):
        return SampleRatioCheck(math.inf, 0.0, True)
    kept = [(count, share) for count, share in zip(counts, shares, strict=True) if share > 0.0]
    if len(kept) < 2:
        return SampleRatioCheck(0.0, 1.0, False)
    observed_array = np.array([count for count, _ in kept], dtype=np.float64)
    expected = total * np.array([share for _, share in kept]) / sum(s for _, s in kept)
    chi2 = float(((observed_array - expected) ** 2 / expected).sum())
    p_value = float(stats.chi2.sf(chi2, len(kept) - 1))
    return SampleRatioCheck(chi2, p_value, p_value < alpha)


def _share(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"expected shares must be numbers, got {value!r}")
    share = float(value)
    if not math.isfinite(share) or share < 0.0:
        raise ValueError(f"expected shares must be finite and >= 0, got {value!r}")
    return share
