"""How the demo shop's customers behave: acquisition, repeat buying, dropout and spend.

The purchase process is the one the CLV models assume, so fitting them on the demo shop
recovers something close to what was put in:

- BG/NBD (Fader, Hardie & Lee 2005): while alive a customer buys as a Poisson process
  with rate ``lambda ~ Gamma(r, alpha)`` (per day) and, right after each repeat purchase,
  drops out with probability ``p ~ Beta(a, b)``.
- Gamma-Gamma (Fader & Hardie 2013): a customer's order values are ``Gamma(p, nu)`` with
  ``nu ~ Gamma(q, gamma)``, so the customer's mean spend ``p / nu`` is inverse-gamma
  distributed: most customers spend a little, a long tail spends a lot.

Each acquisition channel shifts these population values, so channel reports differ the
way a marketer expects (referrals are loyal, social-ad shoppers are fickle).
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

HORIZON_DAYS = 730
"""Length of the order history: two years, ending the day before the as-of day."""


@dataclass(frozen=True)
class ChannelBehaviour:
    """One acquisition channel and how its customers differ from the population.

    share: fraction of new customers acquired through the channel.
    rate_factor: multiplies the purchase rate (divides alpha): > 1 buys more often.
    dropout_a, dropout_b: Beta parameters of the per-purchase dropout probability
        (mean ``a / (a + b)``).
    spend_factor: multiplies the order values.
    consent_rate: probability of opting in to marketing email.
    """

    name: str
    share: float
    rate_factor: float
    dropout_a: float
    dropout_b: float
    spend_factor: float
    consent_rate: float


CHANNELS: tuple[ChannelBehaviour, ...] = (
    ChannelBehaviour("Organic search", 0.27, 1.00, 0.80, 3.00, 1.00, 0.70),
    ChannelBehaviour("Paid search", 0.17, 0.90, 1.00, 2.60, 0.95, 0.65),
    # Mostly paid social ads: impulse buyers who churn the most.
    ChannelBehaviour("Social", 0.14, 0.85, 1.20, 2.00, 0.90, 0.62),
    # Newsletter sign-ups opted in by definition and already like the shop.
    ChannelBehaviour("Email", 0.10, 1.25, 0.70, 3.50, 1.00, 0.97),
    # A friend's recommendation: the most loyal and slightly bigger baskets.
    ChannelBehaviour("Referral", 0.10, 1.45, 0.60, 4.00, 1.10, 0.75),
    # Coupon and cashback sites: small baskets, quick to leave.
    ChannelBehaviour("Affiliate", 0.08, 0.80, 1.10, 2.20, 0.85, 0.55),
    ChannelBehaviour("Direct", 0.14, 1.10, 0.80, 3.20, 1.05, 0.68),
)


@dataclass(frozen=True)
class PopulationParameters:
    """Population values of the purchase and spend models, before channel factors.

    r, alpha: Gamma shape and rate (days) of the purchase rate; mean rate r / alpha per day.
    spend_p, spend_q, spend_gamma: Gamma-Gamma parameters; mean order value
        ``spend_p * spend_gamma / (spend_q - 1)`` in the shop currency.
    growth: log of how many times more customers are acquired per day at the end of the
        horizon than at its start (the shop is growing).
    refund_rate, cancel_rate: probability that an order ends refunded or cancelled.
    """

    r: float = 0.5
    alpha: float = 110.0
    spend_p: float = 6.0
    spend_q: float = 3.8
    spend_gamma: float = 21.0
    growth: float = float(np.log(3.0))
    refund_rate: float = 0.03
    cancel_rate: float = 0.02


POPULATION = PopulationParameters()

# Acquisition seasonality (day of year, height, width in days): the December gift season
# and Valentine's day (the shop sells chocolate) bring in more first-time buyers.
SEASONAL_PEAKS: tuple[tuple[int, float, float], ...] = ((345, 0.9, 22.0), (44, 0.4, 5.0))

# Relative order volume by local hour of day (0-23): lunch and evening peaks.
HOURLY_PROFILE: tuple[float, ...] = (
    1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.2, 3.0, 3.6, 4.0, 4.3,
    5.0, 4.8, 4.2, 4.0, 4.0, 4.2, 4.8, 5.6, 6.0, 5.4, 3.8, 2.2,
)  # fmt: skip


def seasonal_weight(day_of_year: NDArray[np.int64]) -> NDArray[np.float64]:
    """Relative acquisition intensity on each day of the year, float64 (n,), >= 1."""
    weight = np.ones(day_of_year.shape, dtype=np.float64)
    for peak, height, width in SEASONAL_PEAKS:
        # Distance on the circle of the year, so a late-December peak spills into January.
        distance = np.abs((day_of_year - peak + 183) % 366 - 183)
        weight += height * np.exp(-0.5 * (distance / width) ** 2)
    return weight


def max_seasonal_weight() -> float:
    """Upper bound of ``seasonal_weight`` (for rejection sampling)."""
    return 1.0 + sum(height for _, height, _ in SEASONAL_PEAKS)
