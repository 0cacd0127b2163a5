"""The surveys' admin: a survey added there gets its invitation campaign; the service's
checks run on what was typed."""

import pytest
from django.test import Client

from feedback.models import Survey

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Typed in",
    "question_en": "",
    "question_zh_hans": "",
    "question_ru": "",
    "open_question_en": "What could we do better?",
    "open_question_zh_hans": "",
    "open_question_ru": "",
    "trigger": "after_order",
    "after_order_days": "5",
    "segment": "",
    "every_days": "",
    "active_from_0": "",
    "active_from_1": "",
    "active_until_0": "",
    "active_until_1": "",
}


def _admin(make_staff) -> Client:
    client = Client()
    client.force_login(make_staff("Admin"))
    return client


def test_a_survey_added_in_the_admin_gets_its_campaign(make_staff):
    answer = _admin(make_staff).post("/admin/feedback/survey/add/", FORM)

    assert answer.status_code == 302
    survey = Survey.objects.get()
    assert (survey.after_order_days, survey.campaign.name) == (5, "Survey: Typed in")
    assert (survey.campaign.kind, survey.campaign.status) == ("feedback", "active")


def test_the_admin_refuses_an_after_order_survey_without_days(make_staff):
    answer = _admin(make_staff).post(
        "/admin/feedback/survey/add/", {**FORM, "after_order_days": ""}
    )

    assert answer.status_code == 200
    assert "An after-order survey needs the days after the order." in answer.content.decode()
    assert Survey.objects.count() == 0
