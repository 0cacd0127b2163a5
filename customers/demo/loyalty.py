"""The demo shop's loyalty programme: four tiers, and two years of monthly runs replayed.

The thresholds fit the demo's spend: about half of the customers who bought in the last
12 months spent under 50, a quarter over 90, a tenth over 165 and one in a hundred over
450, and few place more than three orders a year.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Sum

from customers.loyalty.sql import add_months
from customers.models import (
    LoyaltySettings,
    LoyaltyStatus,
    LoyaltyTier,
    LoyaltyTierChange,
    PointsBalance,
    PointsEntry,
)

DEMO_TIERS = [
    # name, rank, min spend, min orders, any/all, multiplier, discount %, free shipping,
    # early access, birthday gift, description
    ("Bronze", 1, None, 1, "any", "1", "0", False, False, False, "Anyone who bought this year."),
    ("Silver", 2, "100", 3, "any", "1.25", "5", False, False, True, "Regulars."),
    ("Gold", 3, "250", 5, "any", "1.5", "10", True, False, True, "Our best customers."),
    ("Platinum", 4, "500", 6, "all", "2", "15", True, True, True, "The top one percent."),
]
REPLAY_MONTHS = 24


@dataclass(frozen=True)
class DemoLoyalty:
    """What the replayed programme left: customers per tier and the points outstanding."""

    tiers: dict[str, int]
    points: int
    changes: int

    def describe(self) -> str:
        tiers = ", ".join(f"{name} {n:,}" for name, n in self.tiers.items())
        return (
            f"Loyalty: {tiers}; {self.changes:,} tier changes; {self.points:,} points outstanding"
        )


def demo_tiers_ensure() -> None:
    """Create (or reset) the demo's four tiers."""
    for name, rank, spend, orders, on, mult, pct, ship, early, gift, text in DEMO_TIERS:
        LoyaltyTier.objects.update_or_create(
            name=name,
            defaults={
                "rank": rank,
                "min_spend": Decimal(spend) if spend else None,
                "min_orders": orders,
                "qualify_on": on,
                "points_multiplier": Decimal(mult),
                "discount_percent": Decimal(pct),
                "free_shipping": ship,
                "early_access": early,
                "birthday_gift": gift,
                "description": text,
            },
        )


def demo_loyalty_replay(as_of: date) -> DemoLoyalty:
    """Run the programme at every month's end of the last two years, then the day before
    ``as_of``: tiers rise and fall, points are earned, reversed and expire as they would have.
    """
    # Imported here: the services import this package's siblings.
    from customers.services.loyalty import loyalty_refresh

    last = as_of - timedelta(days=1)
    days = [add_months(last, -months) for months in range(REPLAY_MONTHS, 0, -1)]
    for day in [*days, last]:
        loyalty_refresh(as_of=day)
    tiers = dict(
        LoyaltyStatus.objects.filter(tier__isnull=False)
        .values_list("tier__name")
        .annotate(n=Count("customer"))
        .order_by("tier__rank")
    )
    points = PointsBalance.objects.aggregate(s=Sum("balance"))["s"] or 0
    return DemoLoyalty(tiers, points, LoyaltyTierChange.objects.count())


def loyalty_data_delete() -> None:
    """Delete every status, tier change, ledger line and balance (before the customers).

    Expiry lines first: they point at the earnings they expired. The expiry watermark goes
    too, or a replay of the same dates would expire nothing.
    """
    LoyaltySettings.objects.update(points_expired_through=None)
    PointsEntry.objects.filter(kind=PointsEntry.Kind.EXPIRE).delete()
    PointsEntry.objects.all().delete()
    PointsBalance.objects.all().delete()
    LoyaltyTierChange.objects.all().delete()
    LoyaltyStatus.objects.all().delete()
