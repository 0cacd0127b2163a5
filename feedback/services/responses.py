"""Store an answer: once per invitation, changeable for a short while.

The first answer is one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` on the
invitation's unique key, which also copies the customer's segment, tier, predicted CLV and
P(alive) at that moment: of any number of submissions at once, exactly one inserts. The
others, and any later one, may change the score and comment while the first answer is
less than ``FEEDBACK_CHANGE_MINUTES`` old (one conditional UPDATE); after that the answer
stands ("already answered").

In the same transaction, a stored or changed answer becomes the customer's latest NPS
category (unless they have answered another survey since), and a detractor's opens the
follow-up task on the customer's record (``feedback.services.follow_ups``), once.
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from customers.services.customers import customer_nps_record
from feedback.models import Response, ScoreCategory
from feedback.services.follow_ups import detractor_follow_up_open

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
"""


class Outcome(StrEnum):
    STORED = "stored"
    CHANGED = "changed"
    ALREADY_ANSWERED = "already_answered"


@dataclass(frozen=True)
class Submitted:
    outcome: Outcome
    response: Response


def response_submit(*, invitation_id: int, score: int, comment: str, language: str) -> Submitted:
    """Store ``score`` (0–10, checked by the form and by the database) and ``comment`` as the
    answer to the invitation, or change the answer within the window; see the module."""
    if not 0 <= score <= 10:
        raise ValueError(f"score {score} is not 0 to 10")
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
            cursor.execute(FIRST_ANSWER, params)
            stored = cursor.rowcount == 1
        if stored:
            return _acted_on(Outcome.STORED, invitation_id)
        window_start = now - timedelta(minutes=settings.FEEDBACK_CHANGE_MINUTES)
        changed = Response.objects.filter(
            invitation_id=invitation_id, answered_at__gt=window_start
        ).update(score=score, comment=comment, changed_at=now)
        if changed:
            return _acted_on(Outcome.CHANGED, invitation_id)
        return Submitted(
            Outcome.ALREADY_ANSWERED, Response.objects.get(invitation_id=invitation_id)
        )


def _acted_on(outcome: Outcome, invitation_id: int) -> Submitted:
    """The answer just stored or changed, with what follows from it in its transaction:
    the customer's latest NPS category, a detractor's follow-up task."""
    response = Response.objects.select_related("survey").get(invitation_id=invitation_id)
    customer_nps_record(
        customer_id=response.customer_id,
        category=ScoreCategory.of(response.score),
        answered_at=response.answered_at,
    )
    detractor_follow_up_open(response=response, survey_name=response.survey.name)
    return Submitted(outcome, response)
