"""Builders for the campaign content tests: campaigns, variants and order histories."""

from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from campaigns.models import Campaign, Variant
from customers.models import Customer, Order, OrderLine, Product, Segment

_numbers = count(1)


def campaign_with_variant(
    *,
    subject: str = "Hello {{ customer.first_name }}",
    body_text: str = "Hi {{ customer.first_name }}",
    body_html: str = "",
    segment: str | None = "at_risk",
    **fields,
) -> Variant:
    """A draft broadcast campaign with one variant (``A``) of the given content."""
    campaign = Campaign.objects.create(
        name=f"Campaign {next(_numbers)}",
        trigger="broadcast",
        segment=Segment.objects.get(code=segment) if segment else None,
        **fields,
    )
    return Variant.objects.create(
        campaign=campaign, name="A", subject=subject, body_text=body_text, body_html=body_html
    )


def products(*skus: str) -> dict[str, Product]:
    """Products named after their SKU, created in the order given (ids ascending)."""
    return {
        sku: Product.objects.create(sku=sku, name=f"Product {sku}", category="Cat") for sku in skus
    }


def order_of(
    customer: Customer, items: list[Product], *, status: str = "completed", days_ago: int = 1
) -> Order:
    """An order of ``customer`` with one line per product, placed ``days_ago`` days ago."""
    order = Order.objects.create(
        external_id=f"ORD-{next(_numbers)}",
        customer=customer,
        placed_at=timezone.now() - timedelta(days=days_ago),
        status=status,
        total=Decimal("10.00") * len(items),
        currency="USD",
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_number=position,
            product=product,
            unit_price=Decimal("10.00"),
            amount=Decimal("10.00"),
        )
        for position, product in enumerate(items, start=1)
    )
    return order


def customer_named(first_name: str = "", last_name: str = "", email: str = "") -> Customer:
    return Customer.objects.create(
        external_id=f"CUST-{next(_numbers)}",
        first_name=first_name,
        last_name=last_name,
        email=email,
        marketing_consent=True,
    )
