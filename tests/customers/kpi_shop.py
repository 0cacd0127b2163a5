"""A hand-built shop for the dashboard's aggregates, as of 2025-06-30, with a window of
3 months (a customer at a month's end ordered in it or the 2 months before).

| customer | channel | acquired   | completed orders (net)                        |
|----------|---------|------------|-----------------------------------------------|
| A        | Paid    | 2025-01-05 | Jan 100 + Jan 50, Apr 30                      |
| B        | Paid    | 2025-02-10 | Feb 200 − 20 refunded; a cancelled one in Mar |
| C        | —       | 2025-03-01 | none (signed up)                              |
| D        | —       | 2025-03-20 | Mar 40; one on 2025-07-02, after the as-of day |
| E        | Paid    | 2025-06-15 | Jun 10                                        |

Customers at each month's end (Paid + no channel): Jan 1+0, Feb 2+0, Mar 2+1, Apr 2+1,
May 1+1 (B lapsed), Jun 2+0 (D lapsed; E came).
"""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from customers.models import AcquisitionChannel, Customer, Order

AS_OF = date(2025, 6, 30)
WINDOW_MONTHS = 3


def _at(day: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(f"{day}T12:00:00"))


def kpi_shop() -> AcquisitionChannel:
    """Build the shop; its one channel, "Paid"."""
    paid = AcquisitionChannel.objects.create(name="Paid")
    people = {
        "A": (paid, date(2025, 1, 5)),
        "B": (paid, date(2025, 2, 10)),
        "C": (None, date(2025, 3, 1)),
        "D": (None, date(2025, 3, 20)),
        "E": (paid, date(2025, 6, 15)),
    }
    customers = {
        name: Customer.objects.create(
            external_id=name, acquisition_channel=channel, acquired_on=acquired
        )
        for name, (channel, acquired) in people.items()
    }
    orders = [
        ("A", "2025-01-05", "100.00", "completed", "0"),
        ("A", "2025-01-20", "50.00", "completed", "0"),
        ("A", "2025-04-10", "30.00", "completed", "0"),
        ("B", "2025-02-10", "200.00", "completed", "20.00"),
        ("B", "2025-03-15", "999.00", "cancelled", "0"),
        ("D", "2025-03-20", "40.00", "completed", "0"),
        ("D", "2025-07-02", "70.00", "completed", "0"),
        ("E", "2025-06-15", "10.00", "completed", "0"),
    ]
    for number, (name, day, total, status, refunded) in enumerate(orders):
        Order.objects.create(
            external_id=f"O{number}",
            customer=customers[name],
            placed_at=_at(day),
            status=status,
            total=Decimal(total),
            refunded_amount=Decimal(refunded),
            currency="USD",
        )
    return paid
