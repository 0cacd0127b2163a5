"""Reads shared by the staff pages, the API and the tasks."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    Max,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Lower

from customers.models import (
    Customer,
    KpiRunSummary,
    Order,
    OrderLine,
    net_revenue,
)

ACTIVE_P_ALIVE = KpiRunSummary.ACTIVE_P_ALIVE

CUSTOMER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("last_name", "first_name"),
    "-name": ("-last_name", "-first_name"),
    "acquired": ("acquired_on",),
    "-acquired": ("-acquired_on",),
    "created": ("created_at",),
    "-created": ("-created_at",),
}
DEFAULT_CUSTOMER_SORT = "-acquired"


@dataclass(frozen=True)
class CustomerFilters:
    """The filters of the customer list; empty strings and ``None`` mean "any"."""

    q: str = ""
    country: str = ""
    channel_id: int | None = None
    consent: str = ""
    acquired_from: date | None = None
    acquired_to: date | None = None
    segment: str = ""
    active: str = ""


def customer_search(filters: CustomerFilters) -> QuerySet[Customer]:
    """Customers matching the list filters; search by id, email or name words.

    An address with ``@`` is matched exactly (case-insensitive, via the unique index on
    ``lower(email)``); other text matches the customer id exactly or every word against
    the start of first name, last name or email (prefix-indexed on PostgreSQL).
    """
    qs = Customer.objects.select_related("acquisition_channel")
    q = filters.q.strip()
    if "@" in q and " " not in q:
        qs = qs.exclude(email="").annotate(email_lower=Lower("email"))
        qs = qs.filter(email_lower=q.lower())
    elif q:
        words = Q()
        for word in q.split()[:5]:
            words &= (
                Q(first_name__istartswith=word)
                | Q(last_name__istartswith=word)
                | Q(email__istartswith=word)
            )
        qs = qs.filter(Q(external_id=q) | words)
    if filters.country:
        qs = qs.filter(country=filters.country.upper())
    if filters.channel_id is not None:
        qs = qs.filter(acquisition_channel_id=filters.channel_id)
    if filters.consent in ("yes", "no"):
        qs = qs.filter(marketing_consent=filters.consent == "yes")
    # Acquisition days on customer_acquired_idx; the segment on segment_member_idx; P(alive)
    # on score_p_alive_idx (the latest run's scores): the dashboard's figures link here.
    if filters.acquired_from is not None:
        qs = qs.filter(acquired_on__gte=filters.acquired_from)
    if filters.acquired_to is not None:
        qs = qs.filter(acquired_on__lte=filters.acquired_to)
    if filters.segment:
        qs = qs.filter(segment_assignment__segment__code=filters.segment)
    if filters.active == "yes":
        qs = qs.filter(score__p_alive__gte=ACTIVE_P_ALIVE)
    elif filters.active == "no":
        qs = qs.filter(score__p_alive__lt=ACTIVE_P_ALIVE)
    return qs


@dataclass(frozen=True)
class OrderStats:
    orders: int
    completed_orders: int
    revenue: Decimal  # net: completed orders' totals less what was refunded of them
    refunded: Decimal  # refunded of completed orders (refunded or cancelled orders not counted)
    first_order_at: object
    last_order_at: object


def customer_order_stats(customer: Customer) -> OrderStats:
    """Counts and net revenue of one customer's orders (refunds and cancellations excluded)."""
    completed = Q(status=Order.Status.COMPLETED)
    stats = customer.orders.aggregate(
        orders=Count("id"),
        completed_orders=Count("id", filter=completed),
        revenue=Sum(net_revenue(), filter=completed),
        refunded=Sum("refunded_amount", filter=completed),
        first=Min("placed_at"),
        last=Max("placed_at"),
    )
    return OrderStats(
        orders=stats["orders"],
        completed_orders=stats["completed_orders"],
        revenue=stats["revenue"] or Decimal("0.00"),
        refunded=stats["refunded"] or Decimal("0.00"),
        first_order_at=stats["first"],
        last_order_at=stats["last"],
    )


def customer_recent_orders(customer: Customer, limit: int = 100) -> list[Order]:
    """The customer's latest orders with their lines and products, in three queries."""
    lines = Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
    return list(customer.orders.order_by("-placed_at", "-id").prefetch_related(lines)[:limit])
