"""API v1 surveys: create, invite (counts by reason), NPS figures; roles; bad input."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from customers.models import Customer
from feedback.models import Invitation, Survey
from tests.campaigns.builders import customers_made, segment_entered
from tests.campaigns.test_api_campaigns import client_of
from tests.feedback.builders import response_made

pytestmark = pytest.mark.django_db

NO_SKIPS = {
    "unknown_customer": 0,
    "erased": 0,
    "no_email": 0,
    "unsubscribed": 0,
    "suppressed_address": 0,
    "throttled": 0,
}


@pytest.fixture
def marketing(make_staff: Callable[..., User]) -> APIClient:
    return client_of(make_staff, "Marketing")


def errors(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.content
    return response.json()["errors"]


def test_create_a_survey_invite_a_segment_and_read_its_nps(marketing: APIClient) -> None:
    customers = customers_made(4)
    Customer.objects.filter(pk=customers[3].pk).update(email="")
    segment_entered(customers, "at_risk")

    created = marketing.post(
        "/api/v1/surveys/",
        {
            "name": "Spring NPS",
            "question": "Would you recommend {shop}?",
            "trigger": {"type": "manual"},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    survey = Survey.objects.get()
    assert body == {
        "id": survey.pk,
        "name": "Spring NPS",
        "questions": {
            "en": "Would you recommend clvcrm demo shop?",
            "zh-hans": "您向朋友推荐clvcrm demo shop的可能性有多大？",
            "ru": "Насколько вероятно, что вы порекомендуете clvcrm demo shop другу?",
        },
        "open_question_en": "",
        "trigger": {"type": "manual", "days": None, "segment": None, "every_days": None},
        "throttle_days": None,
        "active_from": None,
        "active_until": None,
        "campaign": survey.campaign_id,
        "follow_up_campaign": None,
        "created_at": body["created_at"],
    }

    invited = marketing.post(
        f"/api/v1/surveys/{survey.pk}/invite/", {"segment": "at_risk"}, format="json"
    )
    again = marketing.post(
        f"/api/v1/surveys/{survey.pk}/invite/",
        {"customers": [customers[0].external_id, "nobody"]},
        format="json",
    )

    assert invited.status_code == again.status_code == 200
    assert invited.json() == {"invited": 3, "skipped": {**NO_SKIPS, "no_email": 1}}
    assert again.json() == {
        "invited": 0,
        "skipped": {**NO_SKIPS, "throttled": 1, "unknown_customer": 1},
    }
    for invitation, score in zip(Invitation.objects.order_by("id"), [10, 8], strict=False):
        response_made(invitation, score)

    nps = marketing.get(f"/api/v1/surveys/{survey.pk}/nps/")
    assert nps.status_code == 200
    assert nps.json() == {
        "nps": 50.0,
        "responses": 2,
        "promoters": 1,
        "passives": 1,
        "detractors": 0,
        "invitations": 3,
        "response_rate": pytest.approx(2 / 3),
    }


def test_an_after_order_survey_with_its_days(marketing: APIClient) -> None:
    created = marketing.post(
        "/api/v1/surveys/",
        {
            "name": "Post-purchase",
            "trigger": {"type": "after_order", "days": 7},
            "translations": {"ru": "Порекомендуете ли вы нас?"},
        },
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert created.json()["trigger"] == {
        "type": "after_order",
        "days": 7,
        "segment": None,
        "every_days": None,
    }
    assert created.json()["questions"]["ru"] == "Порекомендуете ли вы нас?"
    empty = marketing.get(f"/api/v1/surveys/{created.json()['id']}/nps/").json()
    assert (empty["nps"], empty["responses"], empty["response_rate"]) == (None, 0, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "S", "trigger": {"type": "after_order"}}, "trigger.days"),
        ({"name": "S", "trigger": {"type": "manual", "days": 3}}, "trigger.days"),
        ({"name": "S", "trigger": {"type": "after_order", "days": -1}}, "trigger.days"),
        ({"name": "S", "trigger": {"type": "periodic", "every_days": 30}}, "trigger.segment"),
        (
            {"name": "S", "trigger": {"type": "periodic", "segment": "nope", "every_days": 3}},
            "trigger.segment",
        ),
        ({"name": "S", "trigger": {"type": "weekly"}}, "trigger.type"),
        ({"name": "S"}, "trigger"),
        ({"name": "S", "trigger": {"type": "manual"}, "translations": {"fr": "?"}}, "translations"),
        (
            {
                "name": "S",
                "trigger": {"type": "manual"},
                "active_from": "2026-03-02T00:00:00Z",
                "active_until": "2026-03-01T00:00:00Z",
            },
            "active_until",
        ),
    ],
)
def test_bad_surveys_are_refused_naming_the_field(marketing: APIClient, body, field) -> None:
    answer = marketing.post("/api/v1/surveys/", body, format="json")

    assert field in {error["field"] for error in errors(answer)}
    assert Survey.objects.count() == 0


def test_a_taken_name_is_refused(marketing: APIClient) -> None:
    body = {"name": "Twice", "trigger": {"type": "manual"}}
    assert marketing.post("/api/v1/surveys/", body, format="json").status_code == 201

    assert {
        e["field"] for e in errors(marketing.post("/api/v1/surveys/", body, format="json"))
    } == {"name"}


@pytest.mark.parametrize(
    "body",
    [{}, {"segment": "at_risk", "customers": ["C-0"]}, {"segment": "nope"}, {"customers": []}],
)
def test_bad_invitations_are_refused(marketing: APIClient, body) -> None:
    survey = marketing.post(
        "/api/v1/surveys/", {"name": "S", "trigger": {"type": "manual"}}, format="json"
    ).json()

    errors(marketing.post(f"/api/v1/surveys/{survey['id']}/invite/", body, format="json"))
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "create", "invite", "read"),
    [
        ("Marketing", 201, 200, 200),
        ("Admin", 201, 200, 200),
        ("Support", 403, 403, 200),
        ("Analyst", 403, 403, 200),
    ],
)
def test_roles(make_staff, role, create, invite, read) -> None:
    owner = APIClient()
    owner.force_authenticate(make_staff("Admin", username="owner"))
    survey = owner.post(
        "/api/v1/surveys/", {"name": "Owned", "trigger": {"type": "manual"}}, format="json"
    ).json()
    client = client_of(make_staff, role)
    body = {"name": f"By {role}", "trigger": {"type": "manual"}}

    assert client.post("/api/v1/surveys/", body, format="json").status_code == create
    invited = client.post(
        f"/api/v1/surveys/{survey['id']}/invite/", {"customers": ["C-0"]}, format="json"
    )
    assert invited.status_code == invite
    assert client.get(f"/api/v1/surveys/{survey['id']}/nps/").status_code == read
    assert client.get("/api/v1/surveys/").status_code == read


def test_no_credentials_no_survey() -> None:
    assert APIClient().get("/api/v1/surveys/").status_code == 401


def test_the_invitation_takes_json_only(marketing: APIClient) -> None:
    survey = marketing.post(
        "/api/v1/surveys/", {"name": "S", "trigger": {"type": "manual"}}, format="json"
    ).json()

    form = marketing.post(f"/api/v1/surveys/{survey['id']}/invite/", {"customers": ["C-0"] * 2000})

    assert form.status_code == 415
    assert form.json()["errors"][0]["code"] == "unsupported_media_type"
