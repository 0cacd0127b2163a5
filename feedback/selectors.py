"""Reads of the feedback app that the answer page, the API and the tasks share."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from feedback.models import Invitation, Response
from feedback.nps import PASSIVE_FROM, PROMOTER_FROM, NpsFigures
from feedback.tokens import token_hash, token_matches, token_well_formed


def invitation_by_token(token: str, *, now: datetime | None = None) -> Invitation | None:
    """The invitation of ``token`` if it is ours and has not expired, else None.

    Unknown, tampered and expired tokens all answer None (the page treats them alike).
    A malformed token costs no query; a well-formed one, one query by the token's hash
    (unique index), then the stored salt's token is compared in constant time.
    """
    if not token_well_formed(token):
        return None
    invitation = (
        Invitation.objects.select_related("survey", "customer")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None or not token_matches(token, invitation.salt):
        return None
    if invitation.expires_at <= (now or timezone.now()):
        return None
    return invitation


def response_of(invitation: Invitation) -> Response | None:
    return Response.objects.filter(invitation_id=invitation.pk).first()


def change_possible_until(response: Response, *, now: datetime | None = None) -> datetime | None:
    """Until when ``response`` may still be changed (None: no longer)."""
    until = response.answered_at + timedelta(minutes=settings.FEEDBACK_CHANGE_MINUTES)
    return until if until > (now or timezone.now()) else None


def survey_nps(*, survey_id: int) -> NpsFigures:
    """A survey's NPS figures: one aggregate over its responses (the survey-score index)
    and one count of its invitations."""
    counts = Response.objects.filter(survey_id=survey_id).aggregate(
        responses=Count("id"),
        promoters=Count("id", filter=Q(score__gte=PROMOTER_FROM)),
        passives=Count("id", filter=Q(score__gte=PASSIVE_FROM, score__lt=PROMOTER_FROM)),
        detractors=Count("id", filter=Q(score__lt=PASSIVE_FROM)),
    )
    invitations = Invitation.objects.filter(survey_id=survey_id).count()
    return NpsFigures(**counts, invitations=invitations)
