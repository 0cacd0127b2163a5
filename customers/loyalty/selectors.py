"""Reads of the loyalty programme for the customer page."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum

from customers.loyalty.sql import add_months, end_of_day
from customers.models import (
    Customer,
    LoyaltyStatus,
    LoyaltyTier,
    LoyaltyTierChange,
    Order,
    PointsBalance,
    PointsEntry,
    net_revenue,
)

LEDGER_LINES = 20
HISTORY_LINES = 10


@dataclass(frozen=True)
class Progress:
    """How far a customer is from the next tier: what is still needed, and the shares."""

    tier: LoyaltyTier
    spend_needed: Decimal | None  # None: spend is not a criterion of that tier
    orders_needed: int | None
    spend_percent: int | None
    orders_percent: int | None

    @property
    def needs_all(self) -> bool:
        return self.tier.qualify_on == LoyaltyTier.QualifyOn.ALL


@dataclass(frozen=True)
class LoyaltyCard:
    """Everything the customer page's loyalty card shows."""

    as_of: date
    status: LoyaltyStatus | None
    spend_12m: Decimal
    orders_12m: int
    next_tier: Progress | None
    balance: int
    ledger: list[PointsEntry] = field(default_factory=list)
    history: list[LoyaltyTierChange] = field(default_factory=list)

    @property
    def tier(self) -> LoyaltyTier | None:
        return self.status.tier if self.status else None


def loyalty_card(customer: Customer, as_of: date) -> LoyaltyCard:
    """The customer's tier, 12-month activity, next tier, balance and latest lines.

    Five queries: status with balance, activity aggregate, next tier, ledger, history.
    """
    place = (
        Customer.objects.filter(pk=customer.pk)
        .select_related("loyalty__tier", "points_balance")
        .first()
    )
    status: LoyaltyStatus | None = getattr(place, "loyalty", None)
    balance: PointsBalance | None = getattr(place, "points_balance", None)
    activity = Order.objects.filter(
        customer=customer,
        status=Order.Status.COMPLETED,
        placed_at__gte=end_of_day(add_months(as_of, -12)),
        placed_at__lt=end_of_day(as_of),
    ).aggregate(spend=Sum(net_revenue()), orders=Count("id"))
    spend, orders = activity["spend"] or Decimal("0.00"), activity["orders"]
    rank = status.tier.rank if status and status.tier else -1
    upper = LoyaltyTier.objects.filter(rank__gt=rank).order_by("rank").first()
    ledger = (
        PointsEntry.objects.filter(customer=customer)
        .exclude(points=0)
        .select_related("order", "staff")
        .order_by("-created_at", "-id")[:LEDGER_LINES]
    )
    history = (
        LoyaltyTierChange.objects.filter(customer=customer)
        .select_related("from_tier", "to_tier")
        .order_by("-effective_on", "-id")[:HISTORY_LINES]
    )
    return LoyaltyCard(
        as_of=as_of,
        status=status,
        spend_12m=spend,
        orders_12m=orders,
        next_tier=tier_progress(upper, spend, orders) if upper else None,
        balance=balance.balance if balance else 0,
        ledger=list(ledger),
        history=list(history),
    )


def tier_progress(tier: LoyaltyTier, spend: Decimal, orders: int) -> Progress:
    """What 12-month ``spend`` and ``orders`` still lack to reach ``tier``."""
    spend_needed = orders_needed = spend_percent = orders_percent = None
    if tier.min_spend is not None:
        spend_needed = max(Decimal("0.00"), tier.min_spend - spend)
        spend_percent = _percent(spend, tier.min_spend)
    if tier.min_orders is not None:
        orders_needed = max(0, tier.min_orders - orders)
        orders_percent = _percent(Decimal(orders), Decimal(tier.min_orders))
    return Progress(tier, spend_needed, orders_needed, spend_percent, orders_percent)


def _percent(have: Decimal, need: Decimal) -> int:
    return 100 if need <= 0 else min(100, int(have * 100 / need))


def loyalty_programme_exists() -> bool:
    """Whether the shop runs a loyalty programme: at least one tier."""
    return LoyaltyTier.objects.exists()
