"""The demo shop's marketing spend: a year of months per paid channel, so CAC has figures.

Each month's spend on a channel is what it cost to win that month's customers through it
at the channel's typical price (``COST_PER_CUSTOMER``, in the shop currency) give or take
a fifth, drawn from a fixed seed; channels that cost nothing to run (direct visits) get no
row, as a shop would enter none. Written through the spend service, so writing it again
changes nothing.
"""

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count
from django.db.models.functions import TruncMonth

from customers.kpis import month_start
from customers.marketing.store import SpendWritten
from customers.marketing.values import SpendEntry
from customers.models import AcquisitionChannel, Customer
from customers.services.marketing import marketing_spend_save

COST_PER_CUSTOMER = {
    "Paid search": Decimal("38"),
    "Social": Decimal("29"),
    "Affiliate": Decimal("24"),
    "Referral": Decimal("14"),
    "Email": Decimal("9"),
    "Organic search": Decimal("6"),
}
SEED = 7


def demo_spend_write(*, months: int, today: date) -> SpendWritten:
    """Spend for the ``months`` full months before ``today``'s (one query for the
    customers acquired by month and channel, one upsert)."""
    first = month_start(today)
    for _ in range(months):
        first = month_start(first - timedelta(days=1))
    channels = {
        channel.pk: COST_PER_CUSTOMER[channel.name]
        for channel in AcquisitionChannel.objects.filter(name__in=COST_PER_CUSTOMER)
    }
    acquired = (
        Customer.objects.filter(
            acquired_on__gte=first,
            acquired_on__lt=month_start(today),
            acquisition_channel_id__in=list(channels),
        )
        .annotate(month=TruncMonth("acquired_on"))
        .values_list("month", "acquisition_channel_id")
        .annotate(customers=Count("id"))
        .order_by("month", "acquisition_channel_id")
    )
    draw = random.Random(SEED)
    entries = [
        SpendEntry(
            month=month,
            channel_id=channel_id,
            amount=(
                channels[channel_id] * customers * Decimal(str(draw.uniform(0.8, 1.2)))
            ).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        )
        for month, channel_id, customers in acquired
    ]
    return marketing_spend_save(entries=entries, user=None)
