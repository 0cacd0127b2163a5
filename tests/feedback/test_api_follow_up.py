"""API v1 surveys, part 2: the promoter follow-up email on create and PATCH, the other
editable fields, and the NPS of a period (start, end)."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from campaigns.models import Campaign
from feedback.models import Invitation, Response, Survey
from tests.campaigns.builders import customers_made
from tests.campaigns.test_api_campaigns import client_of
from tests.feedback.builders import follow_up_of, invited, response_made, survey_made
from tests.feedback.test_api_surveys import errors

pytestmark = pytest.mark.django_db

FOLLOW_UP = {"subject": "Thanks, {{ customer.first_name }}", "body_text": "Review us?"}


@pytest.fixture
def marketing(make_staff: Callable[..., User]) -> APIClient:
    return client_of(make_staff, "Marketing")


def test_create_with_a_follow_up_then_patch_it_and_turn_it_off(marketing: APIClient) -> None:
    created = marketing.post(
        "/api/v1/surveys/",
        {"name": "Reviews", "trigger": {"type": "manual"}, "promoter_follow_up": FOLLOW_UP},
        format="json",
    )
    assert created.status_code == 201, created.json()
    survey = Survey.objects.get()
    assert created.json()["follow_up_campaign"] == survey.follow_up_campaign_id

    changed = marketing.patch(
        f"/api/v1/surveys/{survey.pk}/",
        {
            "promoter_follow_up": {**FOLLOW_UP, "body_html": "<p>Review us?</p>"},
            "throttle_days": 30,
            "translations": {"ru": "Порекомендуете ли вы {shop}?"},
        },
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    variant = Campaign.objects.get(pk=follow_up_of(survey)).variants.get()
    assert variant.body_html == "<p>Review us?</p>"
    survey.refresh_from_db()
    assert (survey.throttle_days, survey.question_ru, survey.name) == (
        30,
        "Порекомендуете ли вы {shop}?",
        "Reviews",
    )

    off = marketing.patch(
        f"/api/v1/surveys/{survey.pk}/", {"promoter_follow_up": None}, format="json"
    )
    assert off.status_code == 200
    assert off.json()["follow_up_campaign"] is None


def test_a_bad_follow_up_or_trigger_is_a_400_naming_the_field(marketing: APIClient) -> None:
    survey = survey_made()

    bad_template = marketing.patch(
        f"/api/v1/surveys/{survey.pk}/",
        {"promoter_follow_up": {**FOLLOW_UP, "subject": "{% if %}"}},
        format="json",
    )
    missing = marketing.patch(
        f"/api/v1/surveys/{survey.pk}/",
        {"trigger": {"type": "after_order"}},
        format="json",
    )

    [template_error] = errors(bad_template)
    assert template_error["field"] == "promoter_follow_up"
    assert template_error["message"].startswith("subject: ")
    assert [e["field"] for e in errors(missing)] == ["trigger.days"]
    assert Campaign.objects.count() == 1  # the invitation campaign only


def test_patch_needs_the_change_permission(make_staff) -> None:
    survey = survey_made()
    analyst = client_of(make_staff, "Analyst")

    answer = analyst.patch(f"/api/v1/surveys/{survey.pk}/", {"name": "X"}, format="json")

    assert answer.status_code == 403
    assert Survey.objects.get().name == "After purchase"


def test_the_nps_of_a_period(marketing: APIClient) -> None:
    survey = survey_made()
    answers = [(10, datetime(2026, 1, 5, tzinfo=UTC)), (0, datetime(2026, 2, 5, tzinfo=UTC))]
    pairs = invited(survey, customers_made(3, prefix="P"))
    for (invitation, _), (score, at) in zip(pairs, answers, strict=False):
        Invitation.objects.filter(pk=invitation.pk).update(created_at=at)
        Response.objects.filter(pk=response_made(invitation, score).pk).update(answered_at=at)
    url = f"/api/v1/surveys/{survey.pk}/nps/"

    january = marketing.get(url, {"start": "2026-01-01", "end": "2026-01-31"}).json()
    since_february = marketing.get(url, {"start": "2026-02-01"}).json()

    assert (january["nps"], january["responses"], january["invitations"]) == (100.0, 1, 1)
    assert january["response_rate"] == 1.0
    # February: the detractor, and the invitation sent now (unanswered).
    assert (since_february["nps"], since_february["invitations"]) == (-100.0, 2)
    assert since_february["response_rate"] == 0.5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-02-30"}, "start"),
        ({"end": "9999-12-31"}, "end"),
        ({"start": "x" * 11}, "start"),
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end"),
    ],
)
def test_bad_period_values_are_400s(marketing: APIClient, query, field) -> None:
    survey = survey_made()

    answer = marketing.get(f"/api/v1/surveys/{survey.pk}/nps/", query)

    assert [e["field"] for e in errors(answer)] == [field]
