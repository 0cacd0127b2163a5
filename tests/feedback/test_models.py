"""The database's own guarantees: one response per invitation, scores 0–10, the triggers'
settings, unique token hashes."""

import pytest
from django.db import IntegrityError, transaction

from feedback.models import Invitation, Response, Survey
from tests.feedback.builders import one_invitation, response_made, survey_made

pytestmark = pytest.mark.django_db


def test_one_response_per_invitation():
    invitation, _ = one_invitation()
    response_made(invitation, 9)

    with pytest.raises(IntegrityError), transaction.atomic():
        response_made(invitation, 3)
    assert Response.objects.count() == 1


@pytest.mark.parametrize("score", [-1, 11, 200])
def test_a_score_outside_0_to_10_is_refused_by_the_database(score):
    invitation, _ = one_invitation()

    with pytest.raises(IntegrityError), transaction.atomic():
        response_made(invitation, score)
    assert Response.objects.count() == 0


@pytest.mark.parametrize("score", [0, 10])
def test_the_ends_of_the_scale_are_kept(score):
    invitation, _ = one_invitation()

    assert response_made(invitation, score).score == score


def test_an_after_order_survey_needs_its_days_in_the_database_too():
    survey = survey_made()

    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.filter(pk=survey.pk).update(trigger="after_order")


def test_token_hashes_are_unique():
    invitation, _ = one_invitation()
    twin = Invitation(
        survey_id=invitation.survey_id,
        customer_id=invitation.customer_id,
        salt=invitation.salt,
        token_hash=invitation.token_hash,
        trigger_ref="manual:other",
        expires_at=invitation.expires_at,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_the_default_question_names_the_shop_in_each_language(settings):
    settings.SHOP_NAME = "Tea & Co"
    survey = survey_made()

    assert survey.question_in("en") == "How likely are you to recommend Tea & Co to a friend?"
    assert survey.question_in("ru") == "Насколько вероятно, что вы порекомендуете Tea & Co другу?"
    assert survey.question_in("zh-hans") == "您向朋友推荐Tea & Co的可能性有多大？"
    assert survey.question_in("xx") == survey.question_in("en")
    assert survey.open_question_in("ru") == ""
