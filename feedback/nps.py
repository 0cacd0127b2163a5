"""The Net Promoter Score arithmetic (no Django).

NPS = % promoters (scores 9–10) − % detractors (0–6) of all responses, passives (7–8)
counting in the total only: from −100 (everyone a detractor) to +100 (everyone a promoter).
"""

from dataclasses import dataclass

PROMOTER_FROM = 9
PASSIVE_FROM = 7


def nps(promoters: int, passives: int, detractors: int) -> float | None:
    """The NPS of these counts, in points (−100 to 100); None when there are no responses.

    >>> nps(50, 30, 20)
    30.0
    """
    if min(promoters, passives, detractors) < 0:
        raise ValueError("counts are not negative")
    total = promoters + passives + detractors
    if total == 0:
        return None
    return 100.0 * (promoters - detractors) / total


@dataclass(frozen=True)
class NpsFigures:
    """A survey's figures: counts by category, NPS, and responses per invitation."""

    responses: int
    promoters: int
    passives: int
    detractors: int
    invitations: int
    # Of those invitations, how many were answered (None: count ``responses`` instead).
    answered: int | None = None

    @property
    def nps(self) -> float | None:
        return nps(self.promoters, self.passives, self.detractors)

    @property
    def response_rate(self) -> float | None:
        """Answered invitations per invitation (0–1); None before the first invitation."""
        answered = self.responses if self.answered is None else self.answered
        return answered / self.invitations if self.invitations else None


def revenue_weighted_nps(
    promoters_clv: float, passives_clv: float, detractors_clv: float
) -> float | None:
    """Promoters' share of predicted CLV minus detractors' share, in points (−100 to 100),
    among responders with a predicted CLV; None when their CLV adds up to nothing.

    Each argument is the sum of the predicted CLV of that category's responders. A shop
    whose promoters hold most of the value scores higher here than on the plain NPS:

    >>> revenue_weighted_nps(600.0, 300.0, 100.0)  # 60% − 10%
    50.0
    >>> revenue_weighted_nps(100.0, 0.0, 300.0)  # 25% − 75%
    -50.0
    >>> revenue_weighted_nps(0.0, 0.0, 0.0) is None
    True
    """
    if min(promoters_clv, passives_clv, detractors_clv) < 0:
        raise ValueError("predicted CLV sums are not negative")
    total = promoters_clv + passives_clv + detractors_clv
    if total == 0:
        return None
    return 100.0 * (promoters_clv - detractors_clv) / total


# The predicted-CLV bands of the analytics, by the response's snapshot, in the shop's
# currency: [0, 25), [25, 50), [50, 100), [100, 250), [250, 500), [500, ∞) — about the
# deciles of a small shop's predictions (the demo's median is 30, its 99th percentile 240);
# a response without a predicted CLV (the customer was not scored yet) is in "none".
CLV_BAND_EDGES = (25, 50, 100, 250, 500)
CLV_BAND_NONE = "none"


@dataclass(frozen=True)
class ClvBand:
    """One predicted-CLV band: ``low <= CLV < high`` (``high`` None: no upper edge)."""

    code: str
    low: int
    high: int | None

    @property
    def label(self) -> str:
        """The band as the pages show it, e.g. "50–200" or "1,000 and more"."""
        if self.high is None:
            return f"{self.low:,} and more"
        return f"{self.low:,}–{self.high:,}"


def clv_bands(edges: tuple[int, ...] = CLV_BAND_EDGES) -> list[ClvBand]:
    """The bands the ``edges`` make, lowest first, the first from 0.

    >>> [band.code for band in clv_bands((50, 200))]
    ['0-50', '50-200', '200+']
    >>> clv_bands((50, 200))[-1].label
    '200 and more'
    """
    lows = (0, *edges)
    highs: tuple[int | None, ...] = (*edges, None)
    return [
        ClvBand(f"{low}-{high}" if high is not None else f"{low}+", low, high)
        for low, high in zip(lows, highs, strict=True)
    ]


def clv_band_of(value: float | None, edges: tuple[int, ...] = CLV_BAND_EDGES) -> str:
    """The code of the band ``value`` falls in (a negative value in the first band).

    >>> [clv_band_of(v, (50, 200)) for v in (None, 0, 49.99, 50, 199.99, 200, 5000)]
    ['none', '0-50', '0-50', '50-200', '50-200', '200+', '200+']
    """
    if value is None:
        return CLV_BAND_NONE
    bands = clv_bands(edges)
    return next(band.code for band in bands if band.high is None or value < band.high)
