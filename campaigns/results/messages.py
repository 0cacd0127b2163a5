"""What became of an arm's messages: counts by status and suppression reason, human opens
and clicks, in one ``GROUP BY`` query whatever the number of messages."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from campaigns.models import Message, SuppressedReason


def no_reasons() -> dict[str, int]:
    """Every suppression reason at zero: the same keys whatever happened."""
    return dict.fromkeys(SuppressedReason.values, 0)


@dataclass(frozen=True)
class MessageCounts:
    """Messages by status, and human opens and clicks (``opens``: messages opened at least
    once by a person; ``opens_total``: every human open; the same for clicks)."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    suppressed: int = 0
    failed: int = 0
    suppressed_by_reason: dict[str, int] = field(default_factory=no_reasons)
    opens: int = 0
    opens_total: int = 0
    clicks: int = 0
    clicks_total: int = 0


def message_counts(messages: QuerySet[Message], key: str) -> dict[int, MessageCounts]:
    """Message figures grouped by ``key`` (a column of Message), in one query."""
    grouped: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    reasons: dict[int, dict[str, int]] = defaultdict(no_reasons)
    rows = (
        messages.values(key, "status", "suppressed_reason")
        .annotate(
            total=Count("id"),
            opened=Count("id", filter=Q(opens__gt=0)),
            opens_total=Sum("opens"),
            clicked=Count("id", filter=Q(clicks__gt=0)),
            clicks_total=Sum("clicks"),
        )
        .order_by()
    )
    for row in rows:
        figures = grouped[row[key]]
        figures[row["status"]] += row["total"]
        figures["opens"] += row["opened"]
        figures["opens_total"] += row["opens_total"] or 0
        figures["clicks"] += row["clicked"]
        figures["clicks_total"] += row["clicks_total"] or 0
        if row["status"] == Message.Status.SUPPRESSED:
            reason = row["suppressed_reason"]
            reasons[row[key]][reason] = reasons[row[key]].get(reason, 0) + row["total"]
    return {
        owner: MessageCounts(
            pending=figures[Message.Status.PENDING],
            sending=figures[Message.Status.SENDING],
            sent=figures[Message.Status.SENT],
            suppressed=figures[Message.Status.SUPPRESSED],
            failed=figures[Message.Status.FAILED],
            suppressed_by_reason=dict(reasons[owner]),
            opens=figures["opens"],
            opens_total=figures["opens_total"],
            clicks=figures["clicks"],
            clicks_total=figures["clicks_total"],
        )
        for owner, figures in grouped.items()
    }
