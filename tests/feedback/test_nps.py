"""NPS arithmetic on known mixes, and a survey's figures read by two aggregate queries."""

import doctest

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback import nps as nps_module
from feedback.models import ScoreCategory
from feedback.nps import NpsFigures, clv_band_of, clv_bands, nps, revenue_weighted_nps
from feedback.selectors import survey_nps
from tests.campaigns.builders import customers_made
from tests.feedback.builders import invited, response_made, survey_made


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "expected"),
    [
        (50, 30, 20, 30.0),  # 50% promoters, 20% detractors
        (5, 3, 2, 30.0),
        (10, 0, 0, 100.0),
        (0, 0, 10, -100.0),
        (0, 10, 0, 0.0),
        (1, 1, 1, 0.0),
        (2, 1, 0, 200 / 3),
        (0, 0, 0, None),
    ],
)
def test_nps_of_known_mixes(promoters, passives, detractors, expected):
    assert nps(promoters, passives, detractors) == expected


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="not negative"):
        nps(1, -1, 0)


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_score_categories(score, category):
    assert ScoreCategory.of(score) == category


def test_figures_without_invitations_have_no_rate():
    figures = NpsFigures(responses=0, promoters=0, passives=0, detractors=0, invitations=0)

    assert (figures.nps, figures.response_rate) == (None, None)


@pytest.mark.django_db
def test_a_surveys_figures_count_its_own_responses_only(settings):
    survey, other = survey_made(), survey_made("Other")
    customers = customers_made(20)
    scores = [10, 10, 9, 9, 9, 8, 7, 6, 0, 3]  # 5 promoters, 2 passives, 3 detractors
    for (invitation, _), score in zip(invited(survey, customers), scores, strict=False):
        response_made(invitation, score)
    settings.FEEDBACK_THROTTLE_DAYS = 0  # the other survey may ask the same customer
    ((other_invitation, _),) = invited(other, customers[:1])
    response_made(other_invitation, 0)

    with CaptureQueriesContext(connection) as queries:
        figures = survey_nps(survey_id=survey.pk)

    assert len(queries) == 2
    assert figures == NpsFigures(
        responses=10, promoters=5, passives=2, detractors=3, invitations=20, answered=10
    )
    assert figures.nps == 20.0
    assert figures.response_rate == 0.5


@pytest.mark.parametrize(
    ("promoters_clv", "passives_clv", "detractors_clv", "expected"),
    [
        (600.0, 300.0, 100.0, 50.0),  # 60% of the value − 10%
        (100.0, 0.0, 300.0, -50.0),
        (1560.0, 100.0, 40.0, 100 * 1520 / 1700),
        (0.0, 500.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, None),
    ],
)
def test_revenue_weighted_nps_of_known_mixes(promoters_clv, passives_clv, detractors_clv, expected):
    assert revenue_weighted_nps(promoters_clv, passives_clv, detractors_clv) == expected


def test_revenue_weighted_nps_refuses_negative_sums():
    with pytest.raises(ValueError, match="not negative"):
        revenue_weighted_nps(-1.0, 0.0, 0.0)


def test_the_clv_bands_and_their_edges():
    assert [(band.code, band.label) for band in clv_bands()] == [
        ("0-25", "0–25"),
        ("25-50", "25–50"),
        ("50-100", "50–100"),
        ("100-250", "100–250"),
        ("250-500", "250–500"),
        ("500+", "500 and more"),
    ]
    assert [clv_band_of(v) for v in (None, 24.99, 25, 499.99, 500, 1e9)] == [
        "none",
        "0-25",
        "25-50",
        "250-500",
        "500+",
        "500+",
    ]


def test_the_nps_module_doctests():
    assert doctest.testmod(nps_module).failed == 0
