"""NPS analytics: the figures of one survey (or all), overall and broken down, and the
comments. The staff pages and the API share them.

Each figure is ONE grouped query over the responses of the survey and period (the
(survey, answered_at) and (answered_at) indexes), or, for response rates, over the
invitations sent in the period. Breakdowns use the response's snapshot (segment, tier,
predicted-CLV band: who the customer was when they answered) or the customer's acquisition
channel, which does not change. A response rate needs invitations of the same group: by
month and by channel (an invitation keeps no segment or tier), so those rates are
"answered invitations per invitation sent in the month or to the channel".
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from customers.models import Segment
from feedback.models import Invitation, Response, ScoreCategory
from feedback.nps import (
    CLV_BAND_NONE,
    PASSIVE_FROM,
    PROMOTER_FROM,
    clv_bands,
    nps,
    revenue_weighted_nps,
)

COMMENTS_PAGE = 25
NONE_LABEL = "—"

_PROMOTER = Q(score__gte=PROMOTER_FROM)
_PASSIVE = Q(score__gte=PASSIVE_FROM, score__lt=PROMOTER_FROM)
_DETRACTOR = Q(score__lt=PASSIVE_FROM)
CATEGORY_FILTERS = {
    ScoreCategory.PROMOTER: _PROMOTER,
    ScoreCategory.PASSIVE: _PASSIVE,
    ScoreCategory.DETRACTOR: _DETRACTOR,
}
# A predicted CLV below zero (none is predicted so) would weigh against its category.
_VALUED = Q(predicted_clv__gte=0)
_FIGURES = {
    "responses": Count("id"),
    "promoters": Count("id", filter=_PROMOTER),
    "passives": Count("id", filter=_PASSIVE),
    "detractors": Count("id", filter=_DETRACTOR),
    "promoters_clv": Sum("predicted_clv", filter=_PROMOTER & _VALUED),
    "passives_clv": Sum("predicted_clv", filter=_PASSIVE & _VALUED),
    "detractors_clv": Sum("predicted_clv", filter=_DETRACTOR & _VALUED),
}


@dataclass(frozen=True)
class Period:
    """Days in the shop's time zone, both included; None: unbounded on that side."""

    start: date | None = None
    end: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """``[start 00:00, the day after end 00:00)`` as aware datetimes."""
        start = _day_start(self.start) if self.start else None
        end = _day_start(self.end + timedelta(days=1)) if self.end else None
        return start, end


@dataclass(frozen=True)
class Row:
    """One group's figures: counts by category, NPS, revenue-weighted NPS, response rate."""

    key: str
    label: str
    responses: int
    promoters: int
    passives: int
    detractors: int
    promoters_clv: Decimal = Decimal(0)
    passives_clv: Decimal = Decimal(0)
    detractors_clv: Decimal = Decimal(0)
    invitations: int | None = None
    answered: int | None = None

    @property
    def nps(self) -> float | None:
        return nps(self.promoters, self.passives, self.detractors)

    @property
    def revenue_weighted_nps(self) -> float | None:
        return revenue_weighted_nps(
            float(self.promoters_clv), float(self.passives_clv), float(self.detractors_clv)
        )

    @property
    def response_rate(self) -> float | None:
        """Answered invitations per invitation (0–1); None without invitations."""
        if not self.invitations or self.answered is None:
            return None
        return self.answered / self.invitations


@dataclass(frozen=True)
class Analytics:
    overall: Row
    by_month: list[Row]
    by_segment: list[Row]
    by_tier: list[Row]
    by_channel: list[Row]
    by_band: list[Row]


def responses_in(*, survey_id: int | None, period: Period) -> QuerySet[Response]:
    """The responses of ``survey_id`` (None: every survey) answered in ``period``."""
    responses = Response.objects.all()
    if survey_id is not None:
        responses = responses.filter(survey_id=survey_id)
    start, end = period.bounds()
    if start is not None:
        responses = responses.filter(answered_at__gte=start)
    if end is not None:
        responses = responses.filter(answered_at__lt=end)
    return responses


def invitations_in(*, survey_id: int | None, period: Period) -> QuerySet[Invitation]:
    """The invitations of ``survey_id`` (None: every survey) sent in ``period``."""
    invitations = Invitation.objects.all()
    if survey_id is not None:
        invitations = invitations.filter(survey_id=survey_id)
    start, end = period.bounds()
    if start is not None:
        invitations = invitations.filter(created_at__gte=start)
    if end is not None:
        invitations = invitations.filter(created_at__lt=end)
    return invitations


def overall(*, survey_id: int | None, period: Period) -> Row:
    """The figures of all responses in the period: two queries (responses, invitations)."""
    figures = responses_in(survey_id=survey_id, period=period).aggregate(**_FIGURES)
    sent = invitations_in(survey_id=survey_id, period=period).aggregate(
        invitations=Count("id"), answered=Count("response")
    )
    return _row("all", "All responses", {**figures, **sent})


def nps_analytics(*, survey_id: int | None, period: Period) -> Analytics:
    """Every figure of the analytics pages: ten grouped queries (see the module)."""
    responses = responses_in(survey_id=survey_id, period=period)
    invitations = invitations_in(survey_id=survey_id, period=period)
    return Analytics(
        overall=overall(survey_id=survey_id, period=period),
        by_month=_by_month(responses, invitations),
        by_segment=_by_segment(responses),
        by_tier=_grouped(responses, F("tier_name"), lambda key: key or "No tier"),
        by_channel=_by_channel(responses, invitations),
        by_band=_by_band(responses),
    )


def nps_by_month(*, survey_id: int | None, period: Period) -> list[Row]:
    """NPS per month answered (with the month's invitations and response rate), oldest
    first; months without responses or invitations are left out. Two grouped queries."""
    return _by_month(
        responses_in(survey_id=survey_id, period=period),
        invitations_in(survey_id=survey_id, period=period),
    )


def band_expression() -> Case:
    """The response's predicted-CLV band code (``feedback.nps.clv_bands``) in SQL."""
    *bounded, last = clv_bands()
    return Case(
        When(predicted_clv__isnull=True, then=Value(CLV_BAND_NONE)),
        *(When(predicted_clv__lt=band.high, then=Value(band.code)) for band in bounded),
        default=Value(last.code),
        output_field=CharField(),
    )


def band_filter(code: str) -> Q:
    """The responses of the band ``code`` (index-friendly ranges of predicted CLV)."""
    if code == CLV_BAND_NONE:
        return Q(predicted_clv__isnull=True)
    band = next(band for band in clv_bands() if band.code == code)
    in_band = Q(predicted_clv__gte=band.low) if band.low else Q(predicted_clv__isnull=False)
    return in_band & Q(predicted_clv__lt=band.high) if band.high is not None else in_band


def band_choices() -> list[tuple[str, str]]:
    return [(band.code, band.label) for band in clv_bands()] + [(CLV_BAND_NONE, "No prediction")]


@dataclass(frozen=True)
class CommentFilters:
    search: str = ""
    category: str = ""
    segment: str = ""
    band: str = ""
    before: tuple[datetime, int] | None = None  # the keyset: (answered_at, id) of the last


@dataclass(frozen=True)
class CommentsPage:
    comments: list[Response]
    next_before: tuple[datetime, int] | None  # None: no older comment


def comments_page(
    *, survey_id: int | None, period: Period, filters: CommentFilters
) -> CommentsPage:
    """The newest comments that match, :data:`COMMENTS_PAGE` at a time (keyset paging on
    (answered_at, id), one query, no count)."""
    comments = responses_in(survey_id=survey_id, period=period).exclude(comment="")
    if filters.search:
        comments = comments.filter(comment__icontains=filters.search)
    if filters.category:
        comments = comments.filter(CATEGORY_FILTERS[ScoreCategory(filters.category)])
    if filters.segment:
        comments = comments.filter(segment_code=filters.segment)
    if filters.band:
        comments = comments.filter(band_filter(filters.band))
    if filters.before is not None:
        at, pk = filters.before
        comments = comments.filter(Q(answered_at__lt=at) | Q(answered_at=at, id__lt=pk))
    rows = list(
        comments.select_related("customer", "survey").order_by("-answered_at", "-id")[
            : COMMENTS_PAGE + 1
        ]
    )
    more = len(rows) > COMMENTS_PAGE
    rows = rows[:COMMENTS_PAGE]
    return CommentsPage(rows, (rows[-1].answered_at, rows[-1].pk) if more else None)


# --------------------------------------------------------------------------- helpers


def _by_month(responses: QuerySet[Response], invitations: QuerySet[Invitation]) -> list[Row]:
    zone = timezone.get_current_timezone()
    answered: dict[Any, dict[str, Any]] = {
        row["month"]: dict(row)
        for row in responses.annotate(month=TruncMonth("answered_at", tzinfo=zone))
        .values("month")
        .annotate(**_FIGURES)
        .order_by()
    }
    sent: dict[Any, dict[str, Any]] = {
        row["month"]: dict(row)
        for row in invitations.annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values("month")
        .annotate(invitations=Count("id"), answered=Count("response"))
        .order_by()
    }
    empty = dict.fromkeys(_FIGURES, 0)
    return [
        _row(
            f"{_month_of(month):%Y-%m}",
            f"{_month_of(month):%b %Y}",
            {**empty, **answered.get(month, {}), **sent.get(month, {})},
        )
        for month in sorted(set(answered) | set(sent), key=_month_of)
    ]


def _by_segment(responses: QuerySet[Response]) -> list[Row]:
    names = dict(Segment.objects.values_list("code", "name"))
    return _grouped(
        responses, F("segment_code"), lambda code: names.get(code, code) or "No segment"
    )


def _by_channel(responses: QuerySet[Response], invitations: QuerySet[Invitation]) -> list[Row]:
    channel = F("customer__acquisition_channel__name")
    sent: dict[Any, dict[str, Any]] = {
        row["key"]: dict(row)
        for row in invitations.annotate(key=channel)
        .values("key")
        .annotate(invitations=Count("id"), answered=Count("response"))
        .order_by()
    }
    return _grouped(responses, channel, lambda name: name or "Unknown", extra=sent)


def _by_band(responses: QuerySet[Response]) -> list[Row]:
    labels = dict(band_choices())
    order = list(labels)
    rows = _grouped(responses, band_expression(), lambda code: labels.get(code, code))
    return sorted(rows, key=lambda row: order.index(row.key) if row.key in order else len(order))


def _grouped(
    responses: QuerySet[Response],
    expression: Any,
    label: Any,
    extra: dict[Any, dict[str, Any]] | None = None,
) -> list[Row]:
    """One grouped query: the figures per value of ``expression``, most responses first."""
    groups = responses.annotate(key=expression).values("key").annotate(**_FIGURES).order_by()
    rows = [
        _row(row["key"] or "", label(row["key"]), {**row, **(extra or {}).get(row["key"], {})})
        for row in groups
    ]
    return sorted(rows, key=lambda row: (-row.responses, row.label))


def _row(key: str, label: str, figures: dict[str, Any]) -> Row:
    return Row(
        key=key,
        label=label,
        responses=figures.get("responses") or 0,
        promoters=figures.get("promoters") or 0,
        passives=figures.get("passives") or 0,
        detractors=figures.get("detractors") or 0,
        promoters_clv=Decimal(figures.get("promoters_clv") or 0),
        passives_clv=Decimal(figures.get("passives_clv") or 0),
        detractors_clv=Decimal(figures.get("detractors_clv") or 0),
        invitations=figures.get("invitations"),
        answered=figures.get("answered"),
    )


def _month_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
