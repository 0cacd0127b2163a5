"""Store an answer: once per invitation, changeable for a short while.

The first answer is one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` on the
invitation's unique key, which also copies the customer's segment, tier, predicted CLV and
P(alive) at that moment: of any number of submissions at once, exactly one inserts. The
others, and any later one, may change the score and comment while the first answer is
less than ``FEEDBACK_CHANGE_MINUTES`` old (one conditional UPDATE); after that the answer
stands ("already answered").

In the same transaction, a stored or changed answer becomes the customer's latest NPS
category (unless they have answered another survey since), and a detractor's opens the
follow-up task on the customer's record (``feedback.services.detractors``), once. After
it commits, a promoter's answer queues the survey's follow-up email
(``feedback.services.follow_ups``), if the survey has one.
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from clvcrm.core.rows import instance_from_row
from clvcrm.core.tasks import enqueue_on_commit
from customers.services.customers import customer_nps_record
from feedback.models import Invitation, Response, ScoreCategory, Survey
from feedback.services.detractors import detractor_follow_up_open

FIRST_ANSWER = """
    INSERT INTO feedback_response (
        invitation_id, survey_id, customer_id, score, comment, language, answered_at,
        segment_code, tier_name, predicted_clv, p_alive
    )
    SELECT i.id, i.survey_id, i.customer_id, %(score)s, %(comment)s, %(language)s, %(now)s,
           COALESCE(sg.code, ''), COALESCE(t.name, ''), sc.predicted_clv, sc.p_alive
    FROM feedback_invitation i
    LEFT JOIN customers_customersegment cs ON cs.customer_id = i.customer_id
    LEFT JOIN customers_segment sg ON sg.id = cs.segment_id
    LEFT JOIN customers_loyaltystatus ls ON ls.customer_id = i.customer_id
    LEFT JOIN customers_loyaltytier t ON t.id = ls.tier_id
    LEFT JOIN customers_customerscore sc ON sc.customer_id = i.customer_id
    WHERE i.id = %(invitation)s
    ON CONFLICT (invitation_id) DO NOTHING
    RETURNING {columns}
"""
# The stored row comes back with the insert (SQLite 3.35+ and PostgreSQL): no second read.
RESPONSE_COLUMNS = [str(field.column) for field in Response._meta.concrete_fields]
PROMOTER_FOLLOW_UP_TASK = "feedback.tasks.promoter_follow_ups_enrol"


class Outcome(StrEnum):
    STORED = "stored"
    CHANGED = "changed"
    ALREADY_ANSWERED = "already_answered"


@dataclass(frozen=True)
class Submitted:
    outcome: Outcome
    response: Response


def response_submit(
    *, invitation: Invitation, score: int, comment: str, language: str
) -> Submitted:
    """Store ``score`` (0–10, checked by the form and by the database) and ``comment`` as the
    answer to ``invitation`` (its survey loaded with it: what follows an answer reads the
    survey's name and follow-up from there), or change the answer within the window; see
    the module."""
    if not 0 <= score <= 10:
        raise ValueError(f"score {score} is not 0 to 10")
    invitation_id = invitation.pk
    now = timezone.now()
    params: dict[str, Any] = {
        "invitation": invitation_id,
        "score": score,
        "comment": comment,
        "language": language,
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute(FIRST_ANSWER.format(columns=", ".join(RESPONSE_COLUMNS)), params)
            row = cursor.fetchone()
        if row is not None:
            return _acted_on(
                Outcome.STORED,
                instance_from_row(Response, Response._meta.concrete_fields, row),
                invitation.survey,
            )
        window_start = now - timedelta(minutes=settings.FEEDBACK_CHANGE_MINUTES)
        changed = Response.objects.filter(
            invitation_id=invitation_id, answered_at__gt=window_start
        ).update(score=score, comment=comment, changed_at=now)
        response = Response.objects.get(invitation_id=invitation_id)
        if changed:
            return _acted_on(Outcome.CHANGED, response, invitation.survey)
        return Submitted(Outcome.ALREADY_ANSWERED, response)


def _acted_on(outcome: Outcome, response: Response, survey: Survey) -> Submitted:
    """The answer just stored or changed, with what follows from it in its transaction:
    the customer's latest NPS category, a detractor's follow-up task; and once it commits,
    a promoter's follow-up email, when the survey has one."""
    category = ScoreCategory.of(response.score)
    customer_nps_record(
        customer_id=response.customer_id, category=category, answered_at=response.answered_at
    )
    if category == ScoreCategory.DETRACTOR:
        detractor_follow_up_open(response=response, survey_name=survey.name)
    elif category == ScoreCategory.PROMOTER and survey.follow_up_campaign_id is not None:
        enqueue_on_commit(PROMOTER_FOLLOW_UP_TASK, [response.pk])
    return Submitted(outcome, response)
