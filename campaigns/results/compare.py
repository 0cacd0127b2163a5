"""Each variant against the holdout, the multiple-comparison correction and the sample-ratio
check, from the arms' exposures (``campaigns.statistics`` does the mathematics).

A comparison needs both arms: without a holdout (0% held out) or with an arm too small
for its test (no exposure for a proportion, fewer than two for Welch's t: the statistics
call it not ``estimable``) its figures are ``None``. Figures that come out not finite are
``None`` too (the statistics promise none, but they are stored and served as JSON, which
has no NaN).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from campaigns.results.exposures import ArmExposures
from campaigns.statistics import (
    MeanComparison,
    ProportionComparison,
    SampleRatioCheck,
    holm_adjust,
    means_compare,
    proportions_compare,
    sample_ratio_check,
)

# Revenue is capped at this percentile of the pooled arms (variant and holdout) before
# Welch's t: one whale order must not decide a campaign.
REVENUE_CAP_PERCENTILE = 99.0
# Welch's t needs a variance in each arm.
MINIMUM_FOR_MEANS = 2
# The bootstrap interval beside Welch's: 2,000 resamples, fewer for very large arms (at
# least 1,000), so one comparison draws at most about 40 million values. Arms that large are
# where the bootstrap agrees with Welch's interval anyway; small arms, where it matters,
# always get 2,000.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_MIN_RESAMPLES = 1000
BOOTSTRAP_DRAWS = 40_000_000


def bootstrap_resamples(customers: int) -> int:
    """How many bootstrap resamples a comparison of ``customers`` in all gets."""
    budget = BOOTSTRAP_DRAWS // max(customers, 1)
    return max(BOOTSTRAP_MIN_RESAMPLES, min(BOOTSTRAP_RESAMPLES, budget))


@dataclass(frozen=True)
class VariantComparison:
    """A variant against the holdout: conversion rate and revenue per assigned customer,
    each with its Holm-adjusted p-value over the campaign's variants."""

    conversion: ProportionComparison | None
    conversion_p_value_adjusted: float | None
    revenue: MeanComparison | None
    revenue_p_value_adjusted: float | None


def conversion_compare(
    variant: ArmExposures, holdout: ArmExposures | None
) -> ProportionComparison | None:
    """The two-proportion comparison of conversion rates, or ``None`` if an arm is empty."""
    if holdout is None or variant.assigned == 0 or holdout.assigned == 0:
        return None
    compared = proportions_compare(
        variant.conversions, variant.assigned, holdout.conversions, holdout.assigned
    )
    return compared if compared.estimable else None


def revenue_compare(variant: ArmExposures, holdout: ArmExposures | None) -> MeanComparison | None:
    """Revenue per assigned customer, capped on the pooled arms and CUPED-adjusted with the
    90-day prior spend; ``None`` when an arm has fewer than two exposures."""
    if holdout is None or min(variant.assigned, holdout.assigned) < MINIMUM_FOR_MEANS:
        return None
    compared = means_compare(
        variant.revenue_per_exposure,
        holdout.revenue_per_exposure,
        x_t=variant.prior_spend,
        x_c=holdout.prior_spend,
        cap_percentile=REVENUE_CAP_PERCENTILE,
        resamples=bootstrap_resamples(variant.assigned + holdout.assigned),
    )
    return compared if compared.estimable else None


def variants_compare(
    variants: Sequence[ArmExposures], holdout: ArmExposures | None
) -> list[VariantComparison]:
    """Every variant against the holdout, in the order given, with Holm's adjustment over
    the variants that could be compared (per metric)."""
    conversions = [conversion_compare(variant, holdout) for variant in variants]
    revenues = [revenue_compare(variant, holdout) for variant in variants]
    conversion_adjusted = _holm([c.p_value if c else None for c in conversions])
    revenue_adjusted = _holm([r.p_value if r else None for r in revenues])
    return [
        VariantComparison(conversion, conversion_p, revenue, revenue_p)
        for conversion, conversion_p, revenue, revenue_p in zip(
            conversions, conversion_adjusted, revenues, revenue_adjusted, strict=True
        )
    ]


def _holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm over the finite p-values; ``None`` where there was none."""
    present = [i for i, p in enumerate(p_values) if p is not None and math.isfinite(p)]
    adjusted = holm_adjust([p_values[i] or 0.0 for i in present]) if present else []
    by_index = dict(zip(present, adjusted, strict=True))
    return [by_index.get(i) for i in range(len(p_values))]


def assignment_check(
    *,
    holdout_assigned: int,
    variants_assigned: Sequence[int],
    holdout_percent: Decimal,
    weights: Sequence[int],
) -> SampleRatioCheck | None:
    """Chi-square of the assigned counts against the configured shares: the holdout's
    ``holdout_percent`` and the rest split by the variants' weights. ``None`` when nobody
    was assigned or there is one arm only (nothing to compare)."""
    share_held_out = float(holdout_percent) / 100
    observed = list(variants_assigned)
    expected = [(1 - share_held_out) * weight / sum(weights) for weight in weights]
    if share_held_out > 0:
        observed.insert(0, holdout_assigned)
        expected.insert(0, share_held_out)
    if len(observed) < 2 or sum(observed) == 0:
        return None
    return sample_ratio_check(observed, expected)


def finite(value: float | None) -> float | None:
    """``value`` if it is a finite number, else ``None``."""
    return value if value is not None and math.isfinite(value) else None
