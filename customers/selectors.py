"""Reads shared by the staff pages, the API and the tasks."""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Floor, Least, Lower

from customers.models import (
    ClvBacktest,
    ClvRun,
    Customer,
    CustomerScore,
    Order,
    OrderLine,
    net_revenue,
)

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


SCORE_EXPORT_COLUMNS = (
    "external_id",
    "frequency",
    "recency_days",
    "age_days",
    "monetary",
    "p_alive",
    "expected_purchases_90d",
    "predicted_clv",
    "historical_clv",
    "rfm_score",
    "segment",
)
# The stored fields behind the columns; the segment is the customer's default segment.
_SCORE_EXPORT_FIELDS = (
    "customer__external_id",
    *SCORE_EXPORT_COLUMNS[1:-1],
    "customer__segment_assignment__segment__code",
)


def customer_score_export_rows(chunk_size: int = 5_000) -> Iterator[tuple[Any, ...]]:
    """Every scored customer as a row of ``SCORE_EXPORT_COLUMNS``, by customer id.

    Streams with ``.iterator()`` (a server-side cursor on PostgreSQL), so a million rows
    cost constant memory. Probabilities and expected purchases are rounded to 6 places;
    predictions are empty when the run skipped them. ``segment`` is the default segment's
    code, empty until the run's reassignment has put the customer in one.
    """
    rows = (
        CustomerScore.objects.order_by("customer_id")
        .values_list(*_SCORE_EXPORT_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    for external_id, *figures, p_alive, expected, predicted, historical, rfm, segment in rows:
        yield (
            external_id,
            *figures,
            None if p_alive is None else round(p_alive, 6),
            None if expected is None else round(expected, 6),
            predicted,
            historical,
            rfm,
            segment or "",
        )


def clv_run_latest_succeeded() -> ClvRun | None:
    """The run whose scores the customers have now (the latest successful one)."""
    return ClvRun.objects.filter(status=ClvRun.Status.SUCCEEDED).order_by("-finished_at").first()


def clv_runs_recent(limit: int = 10) -> list[ClvRun]:
    """The latest runs, whatever their outcome, newest first."""
    return list(ClvRun.objects.order_by("-created_at", "-id")[:limit])


def clv_backtest_latest() -> ClvBacktest | None:
    """The most recent back-test (``manage.py backtest_clv``), if any."""
    return ClvBacktest.objects.order_by("-created_at", "-id").first()


@dataclass(frozen=True)
class Histogram:
    """Customers per bin of equal width: edges (len(counts) + 1, currency), and how many
    customers lie at or above the last edge (the clipped tail)."""

    edges: list[float]
    counts: list[int]
    overflow: int


def predicted_clv_histogram(run: ClvRun, bins: int = 30) -> Histogram | None:
    """Distribution of predicted CLV in about ``bins`` bins, in two queries at any size.

    The top 1% are clipped into one overflow count, so a long tail does not squash the
    rest: the 99th percentile comes from the predicted-CLV index (an offset of 1% of the
    run's customers), then one GROUP BY counts the bins. ``None`` without predictions.
    """
    if not run.has_prediction or not run.customers:
        return None
    predicted = CustomerScore.objects.filter(predicted_clv__isnull=False)
    clipped = run.customers // 100
    cap = predicted.order_by("-predicted_clv").values_list("predicted_clv", flat=True)[
        clipped : clipped + 1
    ]
    top = float(next(iter(cap), 0) or 0)
    step = _nice_step(max(top, 0.01) / bins)
    n_bins = max(1, math.ceil(max(top, 0.01) / step))
    if not clipped and n_bins * step <= top:
        n_bins += 1  # no clipping: the largest value needs a bin of its own
    bucket = Least(
        Floor(
            ExpressionWrapper(
                F("predicted_clv") / Value(Decimal(str(step))), output_field=DecimalField()
            )
        ),
        Value(n_bins),
        output_field=IntegerField(),
    )
    counts = [0] * (n_bins + 1)
    for index, count in (
        predicted.annotate(bucket=bucket).values("bucket").annotate(n=Count("*")).order_by()
    ).values_list("bucket", "n"):
        counts[int(index)] += count
    return Histogram([i * step for i in range(n_bins + 1)], counts[:n_bins], counts[n_bins])


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at least ``raw``: bin edges people can read."""
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
