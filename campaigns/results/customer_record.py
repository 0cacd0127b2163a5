"""One customer's campaign exposures, for the customer page's **Campaign messages** panel.

Two queries whatever the customer's history: their latest :data:`RECORD_LIMIT` messages
(each with its assignment, campaign and variant) and their latest holdout assignments, each
row with whether it converted by the rules of the results (``campaigns.results``): a
completed order with ``assigned_at < placed_at <= assigned_at + attribution window``, the
window cut short at the customer's next assignment in the same campaign. The conversion is
an ``EXISTS`` per row over the ``(customer, placed_at)`` order index (which carries the
status), so the 20 rows' conversions are part of the one query that reads them.
"""

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DateTimeField, Exists, F, Func, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.sql.compiler import SQLCompiler

from campaigns.models import Assignment, MessageEvent
from customers.models import Customer, Order

RECORD_LIMIT = 20
MICROSECONDS_A_DAY = 86_400_000_000


class DaysAfter(Func):
    """``moment`` plus a whole number of days read from a column.

    Django's duration arithmetic multiplies no column by a duration on SQLite, so each
    database gets the expression the exposures' statement uses: an interval on PostgreSQL,
    Django's own ``django_format_dtdelta`` over microseconds on SQLite (it keeps the stored
    text format, so the comparison with ``placed_at`` is exact).
    """

    arity = 2
    output_field = DateTimeField()
    template = "(%(expressions)s)"
    arg_joiner = " + INTERVAL '1 day' * "

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, Any]:
        return self.as_sql(
            compiler,
            connection,
            template=f"django_format_dtdelta('+', %(expressions)s * {MICROSECONDS_A_DAY})",
            arg_joiner=", ",
            **extra,
        )


def _with_conversion(assignments: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """``assignments`` with ``converted`` (bool), as the results count a conversion."""
    window_end = DaysAfter(F("assigned_at"), F("campaign__attribution_days"))
    next_assigned_at = Subquery(
        Assignment.objects.filter(
            campaign_id=OuterRef("campaign_id"),
            customer_id=OuterRef("customer_id"),
            assigned_at__gt=OuterRef("assigned_at"),
        )
        .order_by("assigned_at")
        .values("assigned_at")[:1]
    )
    orders_in_window = (
        Order.objects.filter(
            customer_id=OuterRef("customer_id"),
            status=Order.Status.COMPLETED,
            placed_at__gt=OuterRef("assigned_at"),
        )
        .filter(placed_at__lte=OuterRef("window_end"))
        .filter(placed_at__lte=Coalesce(OuterRef("next_assigned_at"), OuterRef("window_end")))
    )
    return assignments.annotate(window_end=window_end, next_assigned_at=next_assigned_at).annotate(
        converted=Exists(orders_in_window)
    )


def customer_messages(customer_id: int) -> list[Assignment]:
    """The customer's latest messages, newest assignment first: each an assignment to a
    variant with its ``message``, ``campaign`` and ``variant``, ``converted`` and
    ``unsubscribed_at`` (when they used this message's unsubscribe link, else None).
    One query: the assignment's customer index, then 20 rows' joins and index probes."""
    unsubscribed = MessageEvent.objects.filter(
        message_id=OuterRef("message__id"), kind=MessageEvent.Kind.UNSUBSCRIBE
    ).order_by("occurred_at")
    rows = (
        Assignment.objects.filter(customer_id=customer_id, variant__isnull=False)
        .select_related("campaign", "variant", "message")
        .annotate(unsubscribed_at=Subquery(unsubscribed.values("occurred_at")[:1]))
        .order_by("-assigned_at", "-id")
    )
    return list(_with_conversion(rows)[:RECORD_LIMIT])


def customer_holdouts(customer_id: int) -> list[Assignment]:
    """The customer's latest holdout assignments (held out of a campaign: sent nothing),
    newest first, with ``campaign`` and ``converted``. One query."""
    rows = (
        Assignment.objects.filter(customer_id=customer_id, variant__isnull=True)
        .select_related("campaign")
        .order_by("-assigned_at", "-id")
    )
    return list(_with_conversion(rows)[:RECORD_LIMIT])


def customer_record_panel(customer: Customer) -> dict[str, Any]:
    """The panel's context: the messages, the holdouts and the limit (two queries)."""
    return {
        "messages": customer_messages(customer.pk),
        "holdouts": customer_holdouts(customer.pk),
        "limit": RECORD_LIMIT,
    }
