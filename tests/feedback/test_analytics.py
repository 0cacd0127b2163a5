"""NPS analytics on a hand-built set of answers: exact figures overall, by month, segment,
tier, channel and CLV band; revenue-weighted NPS; the period; the comments; query counts."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import AcquisitionChannel, Customer
from feedback import analytics
from feedback.analytics import CommentFilters, Period, comments_page, nps_analytics
from feedback.models import Invitation, Response, Survey
from tests.campaigns.builders import customers_made, segment
from tests.feedback.builders import invited, survey_made

pytestmark = pytest.mark.django_db

JAN, FEB = datetime(2026, 1, 10, 12, tzinfo=UTC), datetime(2026, 2, 10, 12, tzinfo=UTC)
# score, segment, tier, predicted CLV, answered, comment, channel
ANSWERS = [
    (10, "high_value", "Gold", "1200", JAN.replace(day=11), "Great service", "Paid"),
    (9, "high_value", "Gold", "300", JAN.replace(day=12), "", "Paid"),
    (7, "at_risk", "", "100", JAN.replace(day=13), "Okay", "Organic"),
    (3, "at_risk", "", "40", FEB.replace(day=11), "Late delivery", "Organic"),
    (0, "churned", "", None, FEB.replace(day=12), "<b>bad</b>", None),
    (10, "low_value", "Silver", "60", FEB.replace(day=13), "Lovely tea", "Organic"),
]
# The invitations nobody answered: sent, channel.
UNANSWERED = [(JAN, "Paid"), (JAN, "Organic"), (FEB, "Organic"), (FEB, None)]


@pytest.fixture
def survey() -> Survey:
    """The six answers and four unanswered invitations above, and an answer to another
    survey that no figure of this one counts."""
    segment("at_risk")  # the default segments, whose names the breakdown shows
    made = survey_made()
    channels = {name: AcquisitionChannel.objects.create(name=name) for name in ("Paid", "Organic")}
    rows = [(a[6], a[4]) for a in ANSWERS] + [(c, sent) for sent, c in UNANSWERED]
    customers = customers_made(len(rows), prefix="A")
    for customer, (channel, _) in zip(customers, rows, strict=True):
        Customer.objects.filter(pk=customer.pk).update(
            acquisition_channel=channels.get(channel or "")
        )
    invitations = [invitation for invitation, _ in invited(made, customers)]
    for invitation, (_, sent) in zip(invitations, rows, strict=True):
        Invitation.objects.filter(pk=invitation.pk).update(created_at=sent.replace(day=1))
    for invitation, answer in zip(invitations, ANSWERS, strict=False):
        score, segment_code, tier, clv, at, comment, _ = answer
        Response.objects.create(
            invitation=invitation,
            survey_id=made.pk,
            customer_id=invitation.customer_id,
            score=score,
            comment=comment,
            language="en",
            answered_at=at,
            segment_code=segment_code,
            tier_name=tier,
            predicted_clv=Decimal(clv) if clv else None,
        )
    other = survey_made("Other")
    ((stranger, _),) = invited(other, customers_made(1, prefix="other"))
    Response.objects.create(
        invitation=stranger,
        survey=other,
        customer_id=stranger.customer_id,
        score=0,
        comment="Elsewhere",
        language="en",
        answered_at=JAN,
    )
    return made


def _figures(rows: list[analytics.Row]) -> list[tuple]:
    return [
        (
            row.label,
            row.responses,
            row.promoters,
            row.passives,
            row.detractors,
            None if row.nps is None else round(row.nps, 2),
            row.invitations,
            row.answered,
        )
        for row in rows
    ]


def test_the_overall_figures_and_revenue_weighted_nps(survey: Survey):
    overall = nps_analytics(survey_id=survey.pk, period=Period()).overall

    assert (overall.responses, overall.promoters, overall.passives, overall.detractors) == (
        6,
        3,
        1,
        2,
    )
    assert round(overall.nps or 0, 2) == 16.67  # (3 − 2) / 6
    # Promoters hold 1,560 of the 1,700 of predicted CLV, detractors 40 (one has none).
    assert (overall.promoters_clv, overall.passives_clv, overall.detractors_clv) == (
        Decimal("1560.00"),
        Decimal("100.00"),
        Decimal("40.00"),
    )
    assert round(overall.revenue_weighted_nps or 0, 4) == round(100 * 1520 / 1700, 4)
    assert (overall.invitations, overall.answered, overall.response_rate) == (10, 6, 0.6)


def test_the_breakdowns_by_month_segment_tier_channel_and_band(survey: Survey):
    figures = nps_analytics(survey_id=survey.pk, period=Period())

    assert _figures(figures.by_month) == [
        ("Jan 2026", 3, 2, 1, 0, 66.67, 5, 3),
        ("Feb 2026", 3, 1, 0, 2, -33.33, 5, 3),
    ]
    assert _figures(figures.by_segment) == [
        ("At risk", 2, 0, 1, 1, -50.0, None, None),
        ("High value", 2, 2, 0, 0, 100.0, None, None),
        ("Churned", 1, 0, 0, 1, -100.0, None, None),
        ("Low value", 1, 1, 0, 0, 100.0, None, None),
    ]
    assert _figures(figures.by_tier) == [
        ("No tier", 3, 0, 1, 2, -66.67, None, None),
        ("Gold", 2, 2, 0, 0, 100.0, None, None),
        ("Silver", 1, 1, 0, 0, 100.0, None, None),
    ]
    assert _figures(figures.by_channel) == [
        ("Organic", 3, 1, 1, 1, 0.0, 5, 3),
        ("Paid", 2, 2, 0, 0, 100.0, 3, 2),
        ("Unknown", 1, 0, 0, 1, -100.0, 2, 1),
    ]
    assert _figures(figures.by_band) == [
        ("25–50", 1, 0, 0, 1, -100.0, None, None),
        ("50–100", 1, 1, 0, 0, 100.0, None, None),
        ("100–250", 1, 0, 1, 0, 0.0, None, None),
        ("250–500", 1, 1, 0, 0, 100.0, None, None),
        ("500 and more", 1, 1, 0, 0, 100.0, None, None),
        ("No prediction", 1, 0, 0, 1, -100.0, None, None),
    ]
    # Revenue-weighted within a group: Organic's promoter holds 60 of 200.
    organic = figures.by_channel[0]
    assert round(organic.revenue_weighted_nps or 0, 2) == round(100 * (60 - 40) / 200, 2)


def test_each_figure_is_one_grouped_query(survey: Survey):
    with CaptureQueriesContext(connection) as queries:
        nps_analytics(survey_id=survey.pk, period=Period(start=date(2026, 1, 1)))
    # overall 2 (responses, invitations), month 2, segment 2 (names, responses), tier 1,
    # channel 2 (invitations, responses), band 1.
    assert len(queries) == 10


def test_the_period_bounds_answers_and_invitations_by_day_both_included(survey: Survey):
    february = nps_analytics(
        survey_id=survey.pk, period=Period(start=date(2026, 2, 1), end=date(2026, 2, 12))
    ).overall

    assert (february.responses, february.promoters, february.detractors) == (2, 0, 2)
    assert (february.invitations, february.answered) == (5, 3)


def test_every_survey_together(survey: Survey):
    overall = nps_analytics(survey_id=None, period=Period()).overall

    assert (overall.responses, overall.detractors, overall.invitations) == (7, 3, 11)


def _comments(survey: Survey, **filters) -> list[str]:
    page = comments_page(survey_id=survey.pk, period=Period(), filters=CommentFilters(**filters))
    return [response.comment for response in page.comments]


def test_comments_newest_first_searched_and_filtered(survey: Survey):
    assert _comments(survey) == [
        "Lovely tea",
        "<b>bad</b>",
        "Late delivery",
        "Okay",
        "Great service",
    ]
    assert _comments(survey, search="DELIVER") == ["Late delivery"]
    assert _comments(survey, category="detractor") == ["<b>bad</b>", "Late delivery"]
    assert _comments(survey, segment="at_risk") == ["Late delivery", "Okay"]
    assert _comments(survey, band="100-250") == ["Okay"]
    assert _comments(survey, band="none") == ["<b>bad</b>"]
    assert _comments(survey, band="25-50", category="promoter") == []


def test_comments_are_paged_by_keyset(survey: Survey, monkeypatch):
    monkeypatch.setattr(analytics, "COMMENTS_PAGE", 2)
    seen, before = [], None
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            page = comments_page(
                survey_id=survey.pk, period=Period(), filters=CommentFilters(before=before)
            )
        assert len(queries) == 1
        seen.append([r.comment for r in page.comments])
        before = page.next_before
    assert seen == [["Lovely tea", "<b>bad</b>"], ["Late delivery", "Okay"], ["Great service"]]
    assert before is None
