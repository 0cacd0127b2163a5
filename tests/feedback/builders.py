"""Surveys and invitations for the feedback tests, made through the services."""

from collections.abc import Sequence
from typing import Any

from customers.models import Customer
from feedback.models import Invitation, Response, Survey
from feedback.services.invitations import survey_invite
from feedback.services.surveys import survey_create
from feedback.tokens import token_of
from tests.campaigns.builders import customers_made


def survey_made(name: str = "After purchase", **fields: Any) -> Survey:
    """A manual survey unless ``fields`` say otherwise."""
    return survey_create(fields={"name": name, "trigger": "manual", **fields})


def invited(survey: Survey, customers: Sequence[Customer]) -> list[tuple[Invitation, str]]:
    """Invite ``customers`` by id; each invitation with its token (rebuilt from the salt,
    as the sender does)."""
    survey_invite(survey_id=survey.pk, customer_ids=[c.pk for c in customers])
    invitations = Invitation.objects.filter(survey=survey, customer__in=customers).order_by("id")
    return [(invitation, token_of(invitation.salt)) for invitation in invitations]


def one_invitation(**customer_fields: Any) -> tuple[Invitation, str]:
    survey = survey_made()
    (customer,) = customers_made(1, prefix="N", **customer_fields)
    ((invitation, token),) = invited(survey, [customer])
    return invitation, token


def response_made(invitation: Invitation, score: int) -> Response:
    """An answer written directly (the figures' tests need many, not the page)."""
    return Response.objects.create(
        invitation=invitation,
        survey_id=invitation.survey_id,
        customer_id=invitation.customer_id,
        score=score,
        language="en",
    )


def follow_up_of(survey: Survey) -> int:
    """The id of the survey's promoter follow-up campaign (it must have one)."""
    assert survey.follow_up_campaign_id is not None
    return survey.follow_up_campaign_id
