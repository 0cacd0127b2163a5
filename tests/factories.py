"""Small builders for test data that several test modules need."""

from decimal import Decimal

from django.utils import timezone

from customers.models import Customer, Order, OrderLine, Product


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
