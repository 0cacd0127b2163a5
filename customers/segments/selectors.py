"""Reads of the segment pages, the customer page and the member export."""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, FloatField, QuerySet, Value
from django.db.models.functions import Coalesce

from customers.clv_runs.aggregate import SPEND_WINDOW_DAYS
from customers.models import (
    ClvRun,
    Customer,
    CustomerSegment,
    Segment,
    SegmentReason,
    SegmentReassignment,
    SegmentStatistic,
)
from customers.segments.classify import Thresholds, thresholds_checked
from customers.segments.rules import rule_describe

TREND_RUNS = 30
# Sorts of the member list: keyset keys over the annotations of ``segment_members``.
MEMBER_SORTS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "-predicted_clv": ("-sort_predicted_clv",),
    "predicted_clv": ("sort_predicted_clv",),
    "-p_alive": ("-sort_p_alive",),
    "p_alive": ("sort_p_alive",),
    "-historical_clv": ("-sort_historical_clv",),
}
DEFAULT_MEMBER_SORT = "-predicted_clv"
MEMBER_EXPORT_COLUMNS = (
    "external_id",
    "email",
    "first_name",
    "last_name",
    "country",
    "predicted_clv",
    "p_alive",
    "historical_clv",
    "rfm_score",
)


@dataclass(frozen=True)
class SegmentRow:
    """A segment with its figures after the latest segmented run (``None``: not yet)."""

    segment: Segment
    statistic: SegmentStatistic | None

    @property
    def rules_text(self) -> list[str]:
        return [rule_describe(rule) for rule in self.segment.rules]


@dataclass(frozen=True)
class Flow:
    """How many customers moved from one segment to another in a run."""

    from_segment: Segment | None
    to_segment: Segment
    customers: int


def reassignment_latest() -> SegmentReassignment | None:
    """The latest reassignment: its run's segments are the current ones."""
    return SegmentReassignment.objects.select_related("run").order_by("-finished_at", "-id").first()


def segments_overview(latest: SegmentReassignment | None) -> list[SegmentRow]:
    """Every segment (defaults first, in priority order) with its latest figures."""
    stats = {}
    if latest is not None:
        stats = {s.segment_id: s for s in SegmentStatistic.objects.filter(run_id=latest.run_id)}
    return [
        SegmentRow(segment, stats.get(segment.pk))
        for segment in Segment.objects.order_by("-kind", "priority", "name")
    ]


def segment_trend(limit: int = TREND_RUNS) -> tuple[list[ClvRun], list[SegmentStatistic]]:
    """The last ``limit`` segmented runs (oldest first) and their figures."""
    records = SegmentReassignment.objects.select_related("run").order_by("-finished_at", "-id")
    runs = [record.run for record in records[:limit]][::-1]
    stats = list(
        SegmentStatistic.objects.filter(run__in=runs).select_related("segment").order_by("run_id")
    )
    return runs, stats


def segment_flows(latest: SegmentReassignment | None) -> list[Flow]:
    """Moves between default segments in the latest run, largest first (counted by it)."""
    if latest is None or not latest.flows:
        return []
    segments = Segment.objects.in_bulk()
    return [Flow(segments.get(f), segments[t], n) for f, t, n in latest.flows if t in segments]


def segment_members(segment: Segment) -> QuerySet[Customer]:
    """The segment's customers with their scores, ready for keyset pages by any sort.

    Missing figures sort as -1 (below every real value), so each key is never NULL.
    """
    if segment.is_default:
        qs = Customer.objects.filter(segment_assignment__segment=segment)
    else:
        qs = Customer.objects.filter(custom_memberships__segment=segment)
    missing = Value(-1.0, output_field=FloatField())
    return qs.select_related("score").annotate(
        sort_predicted_clv=Coalesce(F("score__predicted_clv"), missing, output_field=FloatField()),
        sort_p_alive=Coalesce(F("score__p_alive"), missing, output_field=FloatField()),
        sort_historical_clv=Coalesce(
            F("score__historical_clv"), missing, output_field=FloatField()
        ),
    )


def segment_member_export_rows(segment: Segment, chunk_size: int = 5_000) -> Iterator[tuple]:
    """The members as rows of ``MEMBER_EXPORT_COLUMNS``, by customer id, streamed."""
    fields = (
        "external_id",
        "email",
        "first_name",
        "last_name",
        "country",
        "score__predicted_clv",
        "score__p_alive",
        "score__historical_clv",
        "score__rfm_score",
    )
    rows = segment_members(segment).order_by("id").values_list(*fields)
    for *text, predicted, p_alive, historical, rfm in rows.iterator(chunk_size=chunk_size):
        yield (*text, predicted, None if p_alive is None else round(p_alive, 6), historical, rfm)


@dataclass(frozen=True)
class CustomerSegmentView:
    """A customer's default segment, why in words, and their custom segments."""

    assignment: CustomerSegment | None
    reason: str
    custom_segments: list[Segment]


def customer_segment_view(customer: Customer) -> CustomerSegmentView:
    """What the customer page shows about segments.

    No query without a segment when the page loaded ``segment_assignment__segment`` with the
    customer (custom segments only hold segmented customers); two queries with one.
    """
    try:
        assignment = customer.segment_assignment
    except CustomerSegment.DoesNotExist:
        return CustomerSegmentView(None, "", [])
    custom = list(Segment.objects.filter(kind=Segment.Kind.CUSTOM, memberships__customer=customer))
    latest = SegmentReassignment.objects.order_by("-finished_at", "-id").first()
    thresholds = thresholds_checked(latest.thresholds) if latest else Thresholds()
    score = getattr(customer, "score", None)
    return CustomerSegmentView(
        assignment, reason_text(assignment.reason, thresholds, score), custom
    )


def reason_text(reason: str, t: Thresholds, score: Any) -> str:
    """Why a customer is in their segment, with the numbers of the rule and theirs."""
    p = getattr(score, "p_alive", None)
    exit_bar = 1 + t.hysteresis_margin
    texts: dict[str, str] = {
        SegmentReason.NEW: f"First purchase within the last {t.new_customer_days} days.",
        SegmentReason.CHURNED_P_ALIVE: f"P(alive) {_pct(p)} is below {_pct(t.churn_p_alive)} "
        f"(a churned customer leaves at {_pct(min(1, t.churn_p_alive * exit_bar))} or more).",
        SegmentReason.CHURNED_ONE_TIME: "Bought only once, more than "
        f"{t.one_time_churn_days} days ago.",
        SegmentReason.CHURNED_NO_MODEL: "No purchase for more than "
        f"{t.no_model_churn_days} days (the run fitted no model).",
        SegmentReason.AT_RISK_P_ALIVE: "Spent at least the median customer, but P(alive) "
        f"{_pct(p)} is below {_pct(t.at_risk_p_alive)}.",
        SegmentReason.AT_RISK_SPEND_DROP: "Spent at least the median customer, but spend in "
        f"the last {SPEND_WINDOW_DAYS} days fell by {_pct(t.at_risk_spend_drop)} or more "
        f"against the {SPEND_WINDOW_DAYS} days before.",
        SegmentReason.HIGH_VALUE: f"Among the top {_pct(t.high_value_share)} of the remaining "
        "customers by predicted CLV.",
        SegmentReason.LOW_VALUE: "None of the rules above matched (not new, churned, at risk "
        "or among the top customers).",
        SegmentReason.NO_PURCHASE: "No completed purchase as of the latest CLV run.",
    }
    return texts.get(reason, SegmentReason(reason).label if reason in SegmentReason else reason)


def _pct(value: float | Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}".rstrip("0").rstrip(".") + "%"
