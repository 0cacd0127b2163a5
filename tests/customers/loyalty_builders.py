"""Builders for the loyalty tests: tiers, customers and orders on given days."""

from datetime import date, datetime, time
from decimal import Decimal
from itertools import count

from django.utils import timezone

from customers.models import Customer, LoyaltySettings, LoyaltyTier, Order

_numbers = count(1)


def make_tiers() -> dict[str, LoyaltyTier]:
    """Bronze (1 order), Silver (100 spend or 3 orders), Gold (500 spend and 5 orders)."""
    specs = [
        ("Bronze", 1, None, 1, "any", "1.00"),
        ("Silver", 2, "100.00", 3, "any", "1.50"),
        ("Gold", 3, "500.00", 5, "all", "2.00"),
    ]
    return {
        name: LoyaltyTier.objects.create(
            name=name,
            rank=rank,
            min_spend=Decimal(spend) if spend else None,
            min_orders=orders,
            qualify_on=qualify_on,
            points_multiplier=Decimal(multiplier),
        )
        for name, rank, spend, orders, qualify_on, multiplier in specs
    }


def configure(**fields) -> LoyaltySettings:
    rules = LoyaltySettings.load()
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.save()
    return rules


def customer(external_id: str | None = None) -> Customer:
    return Customer.objects.create(external_id=external_id or f"C{next(_numbers)}")


def buy(
    who: Customer,
    day: date,
    total: str,
    status: str = Order.Status.COMPLETED,
    refunded: str = "0.00",
) -> Order:
    """An order of ``who`` placed at noon (shop time) on ``day``, ``refunded`` of it returned."""
    return Order.objects.create(
        external_id=f"O{next(_numbers)}",
        customer=who,
        placed_at=timezone.make_aware(datetime.combine(day, time(12))),
        status=status,
        total=Decimal(total),
        refunded_amount=Decimal(refunded),
        currency="USD",
    )


def refund(order: Order, refunded: str) -> None:
    """The shop now says ``refunded`` of the order has been returned (in all, so far)."""
    Order.objects.filter(pk=order.pk).update(refunded_amount=Decimal(refunded))
