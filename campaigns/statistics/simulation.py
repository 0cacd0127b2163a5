"""Simulated campaigns with a known truth, to check the statistics keep their promises.

Each function draws ``simulations`` whole campaigns at once from a seeded numpy Generator
and runs them through the same array code as ``proportions_compare`` and ``means_compare``:

- with no effect (an A/A test), the share of "significant" results (p < 1 - confidence)
  should stay near 1 - confidence: 5% +- 2% over 1,000 simulations is about 3 binomial
  standard errors (sqrt(0.05 * 0.95 / 1000) = 0.7%);
- with a real effect, the intervals should cover the true difference in about
  ``confidence`` of the simulations (93% to 97% over 1,000 for 95%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from campaigns.statistics._checks import check_count, check_level, normal_quantile
from campaigns.statistics.means import cap_values, cuped_adjust
from campaigns.statistics.proportions import (
    newcombe_interval,
    pooled_z_p_value,
    risk_ratio_log_interval,
)
from campaigns.statistics.welch import welch_test

__all__ = ["Calibration", "RevenueModel", "simulate_means", "simulate_proportions"]

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Calibration:
    """What the simulations showed.

    simulations: campaigns simulated; true_difference: the treatment's true mean (or rate)
    minus the control's; significant_share: share with p < 1 - confidence; coverage: share
    whose interval holds true_difference; relative_coverage: for proportions, the share of
    Katz intervals holding the true relative uplift, among the simulations where it is
    defined (both arms converted someone); None for means.
    """

    simulations: int
    true_difference: float
    significant_share: float
    coverage: float
    relative_coverage: float | None = None


@dataclass(frozen=True)
class RevenueModel:
    """Revenue per assigned customer: a spike at 0 and a lognormal tail.

    A customer buys in the window with probability ``buy_rate`` and then spends
    exp(mu + sigma Z) (Z standard normal); mean revenue buy_rate * exp(mu + sigma^2 / 2).
    The pre-assignment spend x (CUPED's covariate) is positive with probability
    ``prior_buy_rate``, and then exp(mu + sigma Z'). Who bought before tends to buy again,
    and to spend alike: both the buying (through a normal latent, a Gaussian copula) and the
    amounts (Z and Z') have correlation ``correlation``; the marginals stay as stated.
    """

    buy_rate: float
    mu: float = 3.5
    sigma: float = 1.0
    prior_buy_rate: float = 0.3
    correlation: float = 0.6

    @property
    def mean(self) -> float:
        return self.buy_rate * math.exp(self.mu + self.sigma**2 / 2.0)

    def draw(self, rng: np.random.Generator, shape: tuple[int, int]) -> tuple[Floats, Floats]:
        """Revenue y and covariate x, each float (simulations, customers)."""
        buying, amounts = self._correlated(rng, shape), self._correlated(rng, shape)
        bought_after = buying[0] < stats.norm.ppf(self.buy_rate)
        bought_before = buying[1] < stats.norm.ppf(self.prior_buy_rate)
        y = np.where(bought_after, np.exp(self.mu + self.sigma * amounts[0]), 0.0)
        x = np.where(bought_before, np.exp(self.mu + self.sigma * amounts[1]), 0.0)
        return y, x

    def _correlated(self, rng: np.random.Generator, shape: tuple[int, int]) -> Floats:
        """Two standard normal arrays (stacked) with correlation ``correlation``."""
        first, noise = rng.standard_normal(shape), rng.standard_normal(shape)
        second = self.correlation * first + math.sqrt(1.0 - self.correlation**2) * noise
        return np.stack([first, second])


def simulate_proportions(
    *,
    rate_t: float,
    rate_c: float,
    n_t: int,
    n_c: int,
    simulations: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Calibration:
    """Simulate campaigns with true conversion rates rate_t and rate_c (in (0, 1)).

    Conversions per arm ~ Binomial(n, rate); each campaign gets the pooled z test, the
    Newcombe interval of the difference and the Katz interval of the ratio.
    """
    rate_t, rate_c = check_level(rate_t, "rate_t"), check_level(rate_c, "rate_c")
    n_t, n_c, simulations = (
        _positive(n_t, "n_t"),
        _positive(n_c, "n_c"),
        _positive(simulations, "simulations"),
    )
    z = normal_quantile(check_level(confidence, "confidence"))
    rng = np.random.default_rng(check_count(seed, "seed"))
    x_t = rng.binomial(n_t, rate_t, size=simulations)
    x_c = rng.binomial(n_c, rate_c, size=simulations)
    significant = pooled_z_p_value(x_t, n_t, x_c, n_c) < 1.0 - confidence
    low, high = newcombe_interval(x_t, n_t, x_c, n_c, z)
    truth = rate_t - rate_c
    defined = (x_t > 0) & (x_c > 0)
    ratio_low, ratio_high = risk_ratio_log_interval(x_t[defined], n_t, x_c[defined], n_c, z)
    ratio = rate_t / rate_c
    return Calibration(
        simulations=simulations,
        true_difference=truth,
        significant_share=float(significant.mean()),
        coverage=float(((low <= truth) & (truth <= high)).mean()),
        relative_coverage=float(((ratio_low <= ratio) & (ratio <= ratio_high)).mean()),
    )


def simulate_means(
    *,
    treatment: RevenueModel,
    control: RevenueModel,
    n_t: int,
    n_c: int,
    covariate: bool = True,
    cap_percentile: float | None = None,
    simulations: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Calibration:
    """Simulate campaigns whose revenue per customer follows the two revenue models.

    Each campaign goes through the pooled cap (when cap_percentile is given), CUPED (when
    ``covariate``) and Welch's t, as in ``means_compare``. Coverage is of the true
    difference of the uncapped means, so judge it without a cap (a cap changes what is
    estimated); the A/A false-positive share is valid with or without one.
    """
    n_t, n_c, simulations = (
        _positive(n_t, "n_t"),
        _positive(n_c, "n_c"),
        _positive(simulations, "simulations"),
    )
    confidence = check_level(confidence, "confidence")
    rng = np.random.default_rng(check_count(seed, "seed"))
    y_t, x_t = treatment.draw(rng, (simulations, n_t))
    y_c, x_c = control.draw(rng, (simulations, n_c))
    if cap_percentile is not None:
        y_t, y_c, _ = cap_values(y_t, y_c, cap_percentile)
    if covariate:
        y_t, y_c, _ = cuped_adjust(y_t, y_c, x_t, x_c)
    welch = welch_test(y_t, y_c, confidence)
    truth = treatment.mean - control.mean
    return Calibration(
        simulations=simulations,
        true_difference=truth,
        significant_share=float((welch.p_value < 1.0 - confidence).mean()),
        coverage=float(((welch.low <= truth) & (truth <= welch.high)).mean()),
    )


def _positive(value: object, name: str) -> int:
    count = check_count(value, name)
    if count < 2:
        raise ValueError(f"{name} must be >= 2, got {count}")
    return count
