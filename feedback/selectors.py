"""Reads of the feedback app that the answer page, the API and the tasks share."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from clvcrm.core.rows import instance_from_row
from customers.models import Customer, Segment
from feedback.analytics import Period, invitations_in, responses_in
from feedback.models import Invitation, Response, Survey
from feedback.nps import PASSIVE_FROM, PROMOTER_FROM, NpsFigures
from feedback.tokens import token_hash, token_matches, token_well_formed

ALL_TIME = Period()


def invitation_by_token(token: str, *, now: datetime | None = None) -> Invitation | None:
    """The invitation of ``token`` if it is ours and has not expired, else None.

    Unknown, tampered and expired tokens all answer None (the page treats them alike).
    A malformed token costs no query; a well-formed one, one query by the token's hash
    (unique index), then the stored salt's token is compared in constant time.
    """
    if not token_well_formed(token):
        return None
    invitation = _invitation_by_hash(token_hash(token))
    if invitation is None or not token_matches(token, invitation.salt):
        return None
    if invitation.expires_at <= (now or timezone.now()):
        return None
    return invitation


def _invitation_by_hash(hashed: str) -> Invitation | None:
    """The invitation with its survey and its customer's language (the rest of the
    customer deferred): one statement, written out because every answer runs it."""
    invitation_fields, survey_fields = (
        Invitation._meta.concrete_fields,
        Survey._meta.concrete_fields,
    )
    columns = [f"i.{f.column}" for f in invitation_fields] + [
        f"s.{f.column}" for f in survey_fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)}, c.language FROM {Invitation._meta.db_table} i "
            f"JOIN {Survey._meta.db_table} s ON s.id = i.survey_id "
            f"JOIN {Customer._meta.db_table} c ON c.id = i.customer_id "
            "WHERE i.token_hash = %s",
            [hashed],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(invitation_fields)
    invitation = instance_from_row(Invitation, invitation_fields, row[:split])
    invitation.survey = instance_from_row(Survey, survey_fields, row[split:-1])
    language_fields = [Customer._meta.pk, Customer._meta.get_field("language")]
    invitation.customer = instance_from_row(
        Customer, language_fields, [invitation.customer_id, row[-1]]
    )
    return invitation


def response_of(invitation: Invitation) -> Response | None:
    return Response.objects.filter(invitation_id=invitation.pk).first()


def change_possible_until(response: Response, *, now: datetime | None = None) -> datetime | None:
    """Until when ``response`` may still be changed (None: no longer)."""
    until = response.answered_at + timedelta(minutes=settings.FEEDBACK_CHANGE_MINUTES)
    return until if until > (now or timezone.now()) else None


def survey_nps(*, survey_id: int, period: Period = ALL_TIME) -> NpsFigures:
    """A survey's NPS figures: one aggregate over its responses answered in ``period``
    (the survey indexes) and one over its invitations sent in it (the response rate is
    the share of those answered)."""
    counts = responses_in(survey_id=survey_id, period=period).aggregate(
        responses=Count("id"),
        promoters=Count("id", filter=Q(score__gte=PROMOTER_FROM)),
        passives=Count("id", filter=Q(score__gte=PASSIVE_FROM, score__lt=PROMOTER_FROM)),
        detractors=Count("id", filter=Q(score__lt=PASSIVE_FROM)),
    )
    sent = invitations_in(survey_id=survey_id, period=period).aggregate(
        invitations=Count("id"), answered=Count("response")
    )
    return NpsFigures(**counts, **sent)


@dataclass(frozen=True)
class SurveyRow:
    """A survey on the list page with its invitations and NPS figures."""

    survey: Survey
    figures: NpsFigures


def survey_rows() -> list[SurveyRow]:
    """Every survey (newest first) with its figures: three queries whatever the number of
    surveys (the surveys, their invitations counted by survey, their responses by survey
    and category)."""
    surveys = list(Survey.objects.select_related("segment"))
    sent = dict(
        Invitation.objects.values("survey_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("survey_id", "n")
    )
    answered: dict[int, dict[str, Any]] = {
        row["survey_id"]: {**row}
        for row in Response.objects.values("survey_id")
        .annotate(
            responses=Count("id"),
            promoters=Count("id", filter=Q(score__gte=PROMOTER_FROM)),
            passives=Count("id", filter=Q(score__gte=PASSIVE_FROM, score__lt=PROMOTER_FROM)),
            detractors=Count("id", filter=Q(score__lt=PASSIVE_FROM)),
        )
        .order_by()
    }
    empty: dict[str, int] = {"responses": 0, "promoters": 0, "passives": 0, "detractors": 0}
    rows = []
    for survey in surveys:
        counts = {key: answered.get(survey.pk, empty)[key] for key in empty}
        rows.append(SurveyRow(survey, NpsFigures(**counts, invitations=sent.get(survey.pk, 0))))
    return rows


def customers_listed(entries: Sequence[str]) -> tuple[list[int], int]:
    """The customers ``entries`` name, by external id or email address (any case), in one
    query; their ids, and how many entries named nobody."""
    emails = {entry.lower() for entry in entries}
    found = list(
        Customer.objects.annotate(email_lower=Lower("email"))
        .filter(Q(external_id__in=list(entries)) | Q(email_lower__in=list(emails)))
        .values_list("id", "external_id", "email_lower")
    )
    external_ids = {external_id for _, external_id, _ in found}
    addresses = {email for _, _, email in found if email}
    unknown = sum(
        1 for entry in entries if entry not in external_ids and entry.lower() not in addresses
    )
    return sorted({pk for pk, _, _ in found}), unknown


# The customer page's NPS answers panel: the latest answers of one customer.
CUSTOMER_RESPONSES = 20


def customer_responses(customer_id: int) -> list[Response]:
    """The customer's latest answers, newest first, with their survey and the name of the
    segment they were in when they answered (``segment_name``; empty if that segment is
    gone): one query over the response's customer index."""
    segment_name = Segment.objects.filter(code=OuterRef("segment_code")).values("name")[:1]
    rows = (
        Response.objects.filter(customer_id=customer_id)
        .select_related("survey")
        .annotate(segment_name=Subquery(segment_name))
        .order_by("-answered_at", "-id")
    )
    return list(rows[:CUSTOMER_RESPONSES])


def customer_record_panel(customer: Customer) -> dict[str, Any]:
    """The NPS answers panel's context: the answers, the limit and the customer's latest
    category (on the customer row: no query)."""
    return {
        "responses": customer_responses(customer.pk),
        "limit": CUSTOMER_RESPONSES,
        "category": customer.get_nps_category_display() if customer.nps_category else "",
        "category_code": customer.nps_category,
    }
