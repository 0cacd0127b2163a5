"""The promoter follow-up email: configured on a survey (a marketing direct campaign),
promoters enrolled once, set-based; the outbox's marketing rules apply."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Assignment, Campaign, Message
from campaigns.services.outbox import messages_send
from clvcrm.pipeline import tasks as pipeline
from feedback import tasks
from feedback.models import Response, Survey
from feedback.services.follow_ups import promoter_follow_ups_enrol
from feedback.services.surveys import survey_update
from tests.campaigns.builders import customers_made
from tests.feedback.builders import follow_up_of, invited, response_made, survey_made

FOLLOW_UP = {
    "subject": "Thanks, {{ customer.first_name }}",
    "body_text": "Would you review {{ shop.name }}?",
    "body_html": "",
}

pytestmark = pytest.mark.django_db


def _answered(survey: Survey, scores: list[int], **customer_fields) -> list[Response]:
    customers = customers_made(len(scores), prefix=f"S{survey.pk}", **customer_fields)
    return [
        response_made(invitation, score)
        for (invitation, _), score in zip(invited(survey, customers), scores, strict=True)
    ]


def test_a_survey_with_a_follow_up_owns_an_active_marketing_direct_campaign():
    survey = survey_made(promoter_follow_up=FOLLOW_UP)

    campaign = Campaign.objects.get(pk=follow_up_of(survey))
    assert (campaign.name, campaign.kind, campaign.trigger, campaign.status) == (
        "Promoter follow-up: After purchase",
        "marketing",
        "direct",
        "active",
    )
    assert [(v.subject, v.body_text) for v in campaign.variants.all()] == [
        ("Thanks, {{ customer.first_name }}", "Would you review {{ shop.name }}?")
    ]


def test_a_template_that_does_not_compile_is_refused_by_field_and_nothing_is_written():
    with pytest.raises(ValidationError) as caught:
        survey_made(promoter_follow_up={**FOLLOW_UP, "body_text": "{% for %}"})

    assert list(caught.value.message_dict) == ["promoter_follow_up"]
    assert caught.value.message_dict["promoter_follow_up"][0].startswith("body_text: ")
    assert (Survey.objects.count(), Campaign.objects.count()) == (0, 0)


def test_promoters_are_enrolled_once_passives_and_detractors_never():
    survey = survey_made(promoter_follow_up=FOLLOW_UP)
    responses = _answered(survey, [10, 9, 8, 7, 6, 0])

    first = promoter_follow_ups_enrol()
    again = promoter_follow_ups_enrol()
    by_survey = promoter_follow_ups_enrol(survey_id=survey.pk)

    assert (first, again, by_survey) == (2, 0, 0)
    assignments = Assignment.objects.filter(campaign_id=follow_up_of(survey))
    assert sorted(assignments.values_list("trigger_ref", "customer_id")) == sorted(
        (f"response:{r.pk}", r.customer_id) for r in responses[:2]
    )
    assert Message.objects.filter(campaign_id=follow_up_of(survey)).count() == 2


def test_a_survey_without_a_follow_up_enrols_nobody():
    survey = survey_made()
    _answered(survey, [10, 10])

    assert promoter_follow_ups_enrol() == 0
    assert Assignment.objects.exclude(campaign_id=survey.campaign_id).count() == 0


def test_the_task_enrols_the_given_responses_only_in_one_statement_per_survey():
    survey = survey_made(promoter_follow_up=FOLLOW_UP)
    first, _, passive = _answered(survey, [9, 10, 7])

    with CaptureQueriesContext(connection) as queries:
        enrolled = tasks.promoter_follow_ups_enrol.delay([first.pk, passive.pk]).get()

    assert enrolled == 1
    refs = Assignment.objects.filter(campaign_id=follow_up_of(survey))
    assert list(refs.values_list("trigger_ref", flat=True)) == [f"response:{first.pk}"]
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"]]
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 2)
    assert tasks.promoter_follow_ups_enrol.delay([]).get() == 0


def test_answers_from_before_the_follow_up_was_configured_are_not_followed_up():
    survey = survey_made()
    old = _answered(survey, [10])
    Response.objects.filter(pk=old[0].pk).update(answered_at=timezone.now() - timedelta(days=2))
    survey_update(survey_id=survey.pk, fields={"promoter_follow_up": FOLLOW_UP})
    new = response_made(invited(survey, customers_made(1, prefix="late"))[0][0], 9)

    assert promoter_follow_ups_enrol() == 1
    survey.refresh_from_db()
    assignment = Assignment.objects.get(campaign_id=follow_up_of(survey))
    assert assignment.trigger_ref == f"response:{new.pk}"


def test_the_outbox_sends_only_to_customers_who_consented_to_marketing():
    survey = survey_made(promoter_follow_up=FOLLOW_UP)
    consenting = _answered(survey, [10])
    refusing = customers_made(1, prefix="noconsent", marketing_consent=False)
    ((invitation, _),) = invited(survey, refusing)
    response_made(invitation, 10)

    assert promoter_follow_ups_enrol() == 2
    messages_send(seconds=60)

    statuses = dict(
        Message.objects.filter(campaign_id=follow_up_of(survey)).values_list(
            "customer_id", "status"
        )
    )
    assert statuses == {consenting[0].customer_id: "sent", refusing[0].pk: "suppressed"}
    refused = Message.objects.get(campaign_id=follow_up_of(survey), customer_id=refusing[0].pk)
    assert refused.suppressed_reason == "no_consent"


def test_turning_the_follow_up_off_finishes_its_campaign_and_suppresses_what_is_pending():
    survey = survey_made(promoter_follow_up=FOLLOW_UP)
    _answered(survey, [10])
    promoter_follow_ups_enrol()
    campaign_id = follow_up_of(survey)

    survey_update(survey_id=survey.pk, fields={"promoter_follow_up": None})

    survey.refresh_from_db()
    assert survey.follow_up_campaign_id is None
    assert Campaign.objects.get(pk=campaign_id).status == "finished"
    assert list(
        Message.objects.filter(campaign_id=campaign_id).values_list("status", flat=True)
    ) == ["suppressed"]
    assert promoter_follow_ups_enrol() == 0

    survey_update(survey_id=survey.pk, fields={"promoter_follow_up": FOLLOW_UP})
    survey.refresh_from_db()
    renewed = Campaign.objects.get(pk=follow_up_of(survey))
    assert renewed.pk != campaign_id
    assert renewed.name.startswith("Promoter follow-up: After purchase (")


def test_the_daily_survey_step_enrols_the_promoters_too():
    survey = survey_made(promoter_follow_up=FOLLOW_UP)
    _answered(survey, [9, 3])

    pipeline.surveys_invite.delay()
    pipeline.surveys_invite.delay()

    assert Assignment.objects.filter(campaign_id=follow_up_of(survey)).count() == 1


def test_renaming_a_survey_renames_its_campaigns():
    survey = survey_made(promoter_follow_up=FOLLOW_UP)

    survey_update(survey_id=survey.pk, fields={"name": "Checkout NPS"})

    names = set(Campaign.objects.values_list("name", flat=True))
    assert names == {"Survey: Checkout NPS", "Promoter follow-up: Checkout NPS"}
