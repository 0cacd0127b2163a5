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

    @property
    def nps(self) -> float | None:
        return nps(self.promoters, self.passives, self.detractors)

    @property
    def response_rate(self) -> float | None:
        """Responses per invitation (0–1); None before the first invitation."""
        return self.responses / self.invitations if self.invitations else None
