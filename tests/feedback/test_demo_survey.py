"""The demo survey: a year of invitations and answers, deterministic, created once."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.models import Campaign
from customers.models import CustomerSegment
from feedback.models import Invitation, Response, Survey
from tests.campaigns.builders import customers_made, segment_entered
from tests.feedback.builders import follow_up_of

pytestmark = pytest.mark.django_db


def test_the_demo_survey_is_seeded_once_with_answers_that_follow_the_segments():
    customers = customers_made(300, prefix="D")
    segment_entered(customers[:100], "high_value")
    segment_entered(customers[100:200], "at_risk")

    call_command("seed_demo_surveys", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo_surveys", stdout=out)

    survey = Survey.objects.get()
    assert (survey.name, survey.trigger, survey.after_order_days) == (
        "Post-purchase NPS",
        "after_order",
        7,
    )
    assert out.getvalue() == "The demo survey exists (or the shop has no customers).\n"
    assert Invitation.objects.filter(survey=survey).count() == 300
    responses = Response.objects.filter(survey=survey)
    assert responses.count() == 116
    assert Campaign.objects.get(pk=follow_up_of(survey)).kind == "marketing"

    def detractor_share(code: str) -> float:
        answers = responses.filter(segment_code=code)
        return answers.filter(score__lte=6).count() / answers.count()

    assert detractor_share("at_risk") > 0.4 > detractor_share("high_value")
    assert {r.language for r in responses.exclude(comment="")} == {"en", "zh-hans", "ru"}
    assert CustomerSegment.objects.count() == 200


def test_an_empty_shop_gets_no_demo_survey():
    call_command("seed_demo_surveys", stdout=StringIO())

    assert Survey.objects.count() == 0
