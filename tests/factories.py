"""Small builders for test data that several test modules need."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from customers.models import (
    ClvRun,
    Customer,
    CustomerScore,
    CustomerSegment,
    LoyaltyStatus,
    LoyaltyTier,
    Order,
    OrderLine,
    PointsBalance,
    Product,
    Segment,
    SegmentReason,
)


def order_with_coffee(customer: Customer, external_id: str = "O-1") -> Order:
    """A completed order of two bags of house blend (one line, 25.00), placed now."""
    product, _ = Product.objects.get_or_create(
        sku="COF-1", defaults={"name": "House blend", "category": "Coffee"}
    )
    order = Order.objects.create(
        external_id=external_id,
        customer=customer,
        placed_at=timezone.now(),
        total=Decimal("25.00"),
        currency="USD",
    )
    OrderLine.objects.create(
        order=order,
        line_number=1,
        product=product,
        quantity=2,
        unit_price=Decimal("12.50"),
        amount=Decimal("25.00"),
    )
    return order


def score_of(customer: Customer, run: ClvRun, **columns: Any) -> CustomerScore:
    """A score of ``customer`` in ``run``: a repeat buyer (3 repeat purchase days, 160.00
    spent, predicted CLV 912.40, P(alive) 0.93, RFM 435); ``columns`` replace any value."""
    values: dict[str, Any] = {
        "frequency": 3,
        "recency_days": 100,
        "age_days": 300,
        "monetary": Decimal("40.00"),
        "total_spent": Decimal("160.00"),
        "first_purchase": date(2025, 1, 1),
        "last_purchase": date(2025, 4, 11),
        "p_alive": 0.93,
        "expected_purchases_90d": 0.75,
        "predicted_clv": Decimal("912.40"),
        "historical_clv": Decimal("160.00"),
        "rfm_recency": 4,
        "rfm_frequency": 3,
        "rfm_monetary": 5,
        "rfm_score": "435",
    }
    return CustomerScore.objects.create(customer=customer, run=run, **{**values, **columns})


def score_and_place(
    customer: Customer,
    run: ClvRun,
    *,
    clv: str,
    p_alive: float,
    segment: str = "high_value",
    tier: LoyaltyTier | None = None,
    points: int = 0,
) -> None:
    """Give ``customer`` a score, a segment, a loyalty status and a points balance."""
    score_of(customer, run, p_alive=p_alive, predicted_clv=Decimal(clv))
    CustomerSegment.objects.create(
        customer=customer,
        segment=Segment.objects.get(code=segment),
        reason=SegmentReason.HIGH_VALUE,
        run=run,
        since=timezone.now(),
    )
    if tier is not None:
        LoyaltyStatus.objects.create(
            customer=customer, tier=tier, tier_since=date(2025, 1, 1), review_on=date(2026, 1, 1)
        )
    PointsBalance.objects.create(customer=customer, balance=points)


def orders_with_lines(customer: Customer, n: int) -> None:
    """``n`` completed orders of ``customer``, each with two lines."""
    product = Product.objects.create(sku="TEA-1", name="Green tea", category="Tea")
    orders = Order.objects.bulk_create(
        Order(
            external_id=f"O{i:03}",
            customer=customer,
            placed_at=timezone.now() - timedelta(days=i),
            total=Decimal("10.00"),
            currency="USD",
        )
        for i in range(n)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_number=line,
            product=product,
            quantity=1,
            unit_price=Decimal("5.00"),
            amount=Decimal("5.00"),
        )
        for order in orders
        for line in (1, 2)
    )
