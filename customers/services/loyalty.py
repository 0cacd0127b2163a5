"""Services of the loyalty programme: the nightly run (tiers, then the points jobs) and
staff redemptions and adjustments of a customer's points."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.utils import timezone

from customers.loyalty.ledger import points_change
from customers.loyalty.points import PointsRun, points_earn, points_expire, points_reverse
from customers.loyalty.tiers import TierEvaluation, tiers_evaluate
from customers.models import Customer, PointsEntry

__all__ = [
    "POINTS_CHANGES",
    "LoyaltyRefresh",
    "loyalty_refresh",
    "loyalty_tiers_evaluate",
    "points_adjust",
    "points_redeem",
]


@dataclass(frozen=True)
class LoyaltyRefresh:
    """The outcome of one loyalty run: the tier evaluation and each points job."""

    tiers: TierEvaluation
    earned: PointsRun
    reversed: PointsRun
    expired: PointsRun


def loyalty_refresh(*, as_of: date | None = None) -> LoyaltyRefresh:
    """Run the loyalty programme as of the end of ``as_of`` (default: today), idempotently.

    Evaluates every customer's tier, then earns points on new completed orders (at the
    multiplier of the tier just evaluated), reverses those of refunded or cancelled orders
    and expires what is due, oldest first; each step is one transaction, set-based, and
    running it again for the same date writes nothing. Nightly by beat and, when the shop
    has tiers, after every import (``clvcrm.pipeline``).
    """
    as_of = as_of or timezone.localdate()
    return LoyaltyRefresh(
        tiers=loyalty_tiers_evaluate(as_of=as_of),
        earned=points_earn(as_of),
        reversed=points_reverse(as_of),
        expired=points_expire(as_of),
    )


def loyalty_tiers_evaluate(*, as_of: date) -> TierEvaluation:
    """Upgrade, keep, warn or downgrade every customer's tier as of ``as_of`` (set-based)."""
    return tiers_evaluate(as_of)


def points_redeem(
    *, customer: Customer, points: int, reason: str, staff: User | None = None
) -> PointsEntry:
    """Redeem ``points`` (> 0) of the customer's balance.

    Locks the balance row, so concurrent redemptions never overdraw it; a balance too short
    is refused with :class:`~customers.loyalty.ledger.PointsError`.
    """
    return points_change(
        customer=customer, kind=PointsEntry.Kind.REDEEM, points=-points, reason=reason, staff=staff
    )


def points_adjust(
    *, customer: Customer, points: int, reason: str, staff: User | None = None
) -> PointsEntry:
    """Add (or with a negative number take away) points by hand, with a reason.

    A negative adjustment larger than the balance, or one that would pass the largest
    balance, is refused with :class:`~customers.loyalty.ledger.PointsError`.
    """
    return points_change(
        customer=customer, kind=PointsEntry.Kind.ADJUST, points=points, reason=reason, staff=staff
    )


# The change a staff member asks for by name (the customer page's form, the API's "action").
POINTS_CHANGES = {"redeem": points_redeem, "adjust": points_adjust}
